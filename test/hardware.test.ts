/**
 * models/arm64-nvhe/hardware.ts against the Arm ARM (DDI 0487): AArch64.CheckBreakpoint and
 * AArch64.CheckWatchpoint need MDSCR_EL1.MDE and AArch64.GenerateDebugExceptionsFrom(el), which
 * needs KDE only when the debug target is the same EL; MDCR_EL2.TDE makes EL2 the target and
 * TDA traps the debug registers (D13.2 MDCR_EL2).
 */
import { describe, expect, it } from 'vitest';
import {
  breakpointHits,
  debugExceptionsEnabled,
  effectiveSlots,
  routesToEl2,
  trapsToEl2,
  watchpointHits,
} from '../models/arm64-nvhe/hardware.js';
import {
  bcr,
  DBG_MDSCR_KDE,
  DBG_MDSCR_MDE,
  DBGBCR,
  DBGBVR,
  DBGWCR,
  DBGWVR,
  ID_AA64DFR0_EL1,
  idAa64dfr0,
  LSC_LOAD,
  LSC_STORE,
  MDCCINT_EL1,
  MDCR_EL2,
  MDCR_EL2_TDA,
  MDCR_EL2_TDE,
  MDSCR_EL1,
  PRIV_EL0,
  PRIV_EL1,
  REGISTER_COUNT,
  wcr,
} from '../models/arm64-nvhe/registers.js';

const BRPS = 6;
const WRPS = 4;
const EL0 = 0;
const EL1 = 1;

/** A register file at offset 0 with breakpoint 0 (or watchpoint 0) programmed, and `set` applied. */
function cpu(set: Partial<Record<number, number>>): Float64Array {
  const r = new Float64Array(REGISTER_COUNT);
  for (const [reg, value] of Object.entries(set)) r[Number(reg)] = value as number;
  return r;
}

const bp0 = (pmc: number, mdscr: number, mdcr = 0): Float64Array =>
  cpu({ [DBGBVR(0)]: 0x1000, [DBGBCR(0)]: bcr(pmc), [MDSCR_EL1]: mdscr, [MDCR_EL2]: mdcr });

describe('breakpoint effectiveness (AArch64.CheckBreakpoint)', () => {
  it('makes an EL1 breakpoint (BCR.E, PMC=EL1) effective at EL1 only with both MDSCR_EL1.MDE and KDE', () => {
    expect(effectiveSlots(bp0(PRIV_EL1, DBG_MDSCR_MDE | DBG_MDSCR_KDE), 0, EL1, BRPS, WRPS)).toBe(0b1);
    expect(effectiveSlots(bp0(PRIV_EL1, DBG_MDSCR_MDE), 0, EL1, BRPS, WRPS)).toBe(0);
    expect(effectiveSlots(bp0(PRIV_EL1, DBG_MDSCR_KDE), 0, EL1, BRPS, WRPS)).toBe(0);
    expect(effectiveSlots(bp0(PRIV_EL1, 0), 0, EL1, BRPS, WRPS)).toBe(0);
  });

  it('ignores a breakpoint whose BCR.E is clear', () => {
    const r = bp0(PRIV_EL1, DBG_MDSCR_MDE | DBG_MDSCR_KDE);
    r[DBGBCR(0)] = bcr(PRIV_EL1) & ~1;
    expect(effectiveSlots(r, 0, EL1, BRPS, WRPS)).toBe(0);
  });

  it('makes a breakpoint effective at EL0 with MDE and PMC including EL0, KDE not needed', () => {
    expect(effectiveSlots(bp0(PRIV_EL0, DBG_MDSCR_MDE), 0, EL0, BRPS, WRPS)).toBe(0b1);
    expect(effectiveSlots(bp0(PRIV_EL0 | PRIV_EL1, DBG_MDSCR_MDE), 0, EL0, BRPS, WRPS)).toBe(0b1);
    expect(effectiveSlots(bp0(PRIV_EL0, 0), 0, EL0, BRPS, WRPS)).toBe(0);
    expect(effectiveSlots(bp0(PRIV_EL1, DBG_MDSCR_MDE | DBG_MDSCR_KDE), 0, EL0, BRPS, WRPS)).toBe(0);
    expect(effectiveSlots(bp0(PRIV_EL0, DBG_MDSCR_MDE | DBG_MDSCR_KDE), 0, EL1, BRPS, WRPS)).toBe(0);
  });

  it('with MDCR_EL2.TDE routes to EL2, so an EL1 breakpoint is effective without KDE (target EL2 > EL1)', () => {
    const r = bp0(PRIV_EL1, DBG_MDSCR_MDE, MDCR_EL2_TDE);
    expect(routesToEl2(r, 0)).toBe(true);
    expect(debugExceptionsEnabled(r, 0, EL1)).toBe(true);
    expect(effectiveSlots(r, 0, EL1, BRPS, WRPS)).toBe(0b1);
    // MDE still gates every breakpoint and watchpoint exception.
    expect(effectiveSlots(bp0(PRIV_EL1, 0, MDCR_EL2_TDE), 0, EL1, BRPS, WRPS)).toBe(0);
    expect(routesToEl2(bp0(PRIV_EL1, DBG_MDSCR_MDE), 0)).toBe(false);
  });

  it('matches an instruction address within the word the breakpoint value names (BVR[1:0] ignored)', () => {
    const r = bp0(PRIV_EL1, DBG_MDSCR_MDE | DBG_MDSCR_KDE);
    expect(breakpointHits(r, 0, EL1, 0x1000, BRPS, WRPS)).toBe(0b1);
    expect(breakpointHits(r, 0, EL1, 0x1003, BRPS, WRPS)).toBe(0b1);
    expect(breakpointHits(r, 0, EL1, 0x1004, BRPS, WRPS)).toBe(0);
    expect(breakpointHits(r, 0, EL0, 0x1000, BRPS, WRPS)).toBe(0);
  });

  it('ignores slots beyond the implemented count', () => {
    const r = cpu({ [DBGBVR(BRPS)]: 0x1000, [DBGBCR(BRPS)]: bcr(PRIV_EL1), [MDSCR_EL1]: DBG_MDSCR_MDE | DBG_MDSCR_KDE });
    expect(effectiveSlots(r, 0, EL1, BRPS, WRPS)).toBe(0);
  });
});

describe('watchpoints (AArch64.CheckWatchpoint)', () => {
  const wp0 = (lsc: number): Float64Array =>
    cpu({ [DBGWVR(0)]: 0x2000, [DBGWCR(0)]: wcr(PRIV_EL1, lsc), [MDSCR_EL1]: DBG_MDSCR_MDE | DBG_MDSCR_KDE });
  const wp0Bit = 1 << BRPS;

  it('does not match a load with a store-only watchpoint (LSC = 0b10), and matches the store', () => {
    expect(watchpointHits(wp0(LSC_STORE), 0, EL1, 0x2000, false, BRPS, WRPS)).toBe(0);
    expect(watchpointHits(wp0(LSC_STORE), 0, EL1, 0x2000, true, BRPS, WRPS)).toBe(wp0Bit);
  });

  it('matches loads only with LSC = 0b01, both with 0b11, and numbers watchpoints after the breakpoints', () => {
    expect(watchpointHits(wp0(LSC_LOAD), 0, EL1, 0x2000, false, BRPS, WRPS)).toBe(wp0Bit);
    expect(watchpointHits(wp0(LSC_LOAD), 0, EL1, 0x2000, true, BRPS, WRPS)).toBe(0);
    expect(watchpointHits(wp0(LSC_LOAD | LSC_STORE), 0, EL1, 0x2007, true, BRPS, WRPS)).toBe(wp0Bit);
    expect(watchpointHits(wp0(LSC_LOAD | LSC_STORE), 0, EL1, 0x2008, true, BRPS, WRPS)).toBe(0);
  });
});

describe('traps to EL2 (MDCR_EL2.TDA)', () => {
  it('traps DBGBCR0_EL1 with TDA set, and not without it', () => {
    expect(trapsToEl2(cpu({ [MDCR_EL2]: MDCR_EL2_TDA }), 0, DBGBCR(0))).toBe(true);
    expect(trapsToEl2(cpu({}), 0, DBGBCR(0))).toBe(false);
  });

  it('traps MDSCR_EL1, MDCCINT_EL1 and the watchpoint registers with TDA, and with TDE (which makes TDA behave as set)', () => {
    for (const reg of [MDSCR_EL1, MDCCINT_EL1, DBGWVR(3), DBGWCR(0)]) {
      expect(trapsToEl2(cpu({ [MDCR_EL2]: MDCR_EL2_TDA }), 0, reg)).toBe(true);
      expect(trapsToEl2(cpu({ [MDCR_EL2]: MDCR_EL2_TDE }), 0, reg)).toBe(true);
    }
  });

  it('does not trap ID_AA64DFR0_EL1, even with TDA set', () => {
    expect(trapsToEl2(cpu({ [MDCR_EL2]: MDCR_EL2_TDA | MDCR_EL2_TDE }), 0, ID_AA64DFR0_EL1)).toBe(false);
  });
});

describe('ID_AA64DFR0_EL1', () => {
  it('is Cortex-A57 0x10305106 for 6 breakpoints and 4 watchpoints', () => {
    expect(idAa64dfr0({ brps: 6, wrps: 4 })).toBe(0x10305106);
  });

  it.each([
    [16, 2],
    [2, 16],
    [15, 3],
    [2, 2],
  ])('holds the counts minus one in BRPs [15:12] and WRPs [23:20] (%i breakpoints, %i watchpoints)', (brps, wrps) => {
    const v = idAa64dfr0({ brps, wrps });
    expect((v >>> 12) & 0xf).toBe(brps - 1);
    expect((v >>> 20) & 0xf).toBe(wrps - 1);
    expect(v & ~(0xf << 12) & ~(0xf << 20)).toBe(0x10000106);
  });
});
