/**
 * The ARMv7 model against its sources: bit positions from hw_breakpoint.h and kvm_arm.h, DBGDIDR
 * read-only with Cortex-A15's counts, Monitor debug-mode matching (address match and mismatch,
 * privilege, load/store), HDCR routing and traps, and the host's reserved breakpoint.
 */
import { describe, expect, it } from 'vitest';
import { breakpointHits, effectiveSlots, routesToHyp, trapsToHyp, watchpointHits } from '../models/armv7/hardware.js';
import { armv7 } from '../models/armv7/model.js';
import eager from '../models/armv7/policies/eager.js';
import {
  ARM_BREAKPOINT_LOAD,
  ARM_BREAKPOINT_PRIV,
  ARM_BREAKPOINT_STORE,
  ARM_BREAKPOINT_USER,
  ARM_DSCR_HDBGEN,
  ARM_DSCR_MDBGEN,
  bcr,
  DBGBCR,
  DBGBVR,
  DBGDIDR,
  DBGDSCRext,
  DBGWCR,
  DBGWVR,
  dbgdidr,
  didrCounts,
  HDCR,
  HDCR_TDA,
  HDCR_TDE,
  HDCR_TDOSA,
  HDCR_TDRA,
  HDCR_TPM,
  HDCR_TPMCR,
  REGISTER_COUNT,
  wcr,
} from '../models/armv7/registers.js';
import { invariantsFor } from '../properties/suites.js';
import { definePolicy } from '../src/engine/policy.js';
import { makeExecutor } from '../src/searches/check.js';

const fresh = (): Float64Array => new Float64Array(REGISTER_COUNT);

describe('armv7 register definitions', () => {
  it('takes its bit positions from hw_breakpoint.h and arch/arm kvm_arm.h', () => {
    expect([ARM_DSCR_HDBGEN, ARM_DSCR_MDBGEN]).toEqual([0x4000, 0x8000]);
    expect([HDCR_TPMCR, HDCR_TPM, HDCR_TDE, HDCR_TDA, HDCR_TDOSA, HDCR_TDRA]).toEqual([0x20, 0x40, 0x100, 0x200, 0x400, 0x800]);
    // encode_ctrl_reg(): a PL1 execute breakpoint of length 4 is 0x1e3; with mismatch, bit 22 too.
    expect(bcr(ARM_BREAKPOINT_PRIV)).toBe(0x1e3);
    expect(bcr(ARM_BREAKPOINT_USER, true)).toBe(0x4001e5);
    expect(wcr(ARM_BREAKPOINT_PRIV | ARM_BREAKPOINT_USER, ARM_BREAKPOINT_LOAD | ARM_BREAKPOINT_STORE)).toBe(0x1ff);
  });

  it('reports Cortex-A15 (6 breakpoints, 4 watchpoints, v7.1 debug) in DBGDIDR, and reads the counts back as the kernel does', () => {
    const m = armv7.instantiate({});
    expect(m.registers.reset[DBGDIDR]).toBe(0x3515f000);
    expect((dbgdidr({ brps: 6, wrps: 4 }) >>> 16) & 0xf).toBe(5); // ARM_DEBUG_ARCH_V7_1
    expect(didrCounts(dbgdidr({ brps: 16, wrps: 2 }))).toEqual({ brps: 16, wrps: 2 });
    expect(m.registers.implemented[DBGBCR(5)]).toBe(1);
    expect(m.registers.implemented[DBGBCR(6)]).toBe(0);
    expect(m.registers.implemented[DBGWCR(4)]).toBe(0);
  });

  it("has ARMv7's CP14 debug registers only: the 64 slot registers, DBGDSCRext, DBGDIDR, DBGVCR, the OS Lock's (no ARMv8 DBGDCCINT), and HDCR", () => {
    const names = armv7.instantiate({}).registers.names;
    const singletons = names.filter((n) => !/^DBG[BW][VC]R\d+$/.test(n));
    expect(names.length - singletons.length).toBe(64); // the series' cp14[]: NR_CP14_REGS 66 = invalid + 64 + DBGDSCRext
    expect([...singletons].sort()).toEqual(['DBGDIDR', 'DBGDSCRext', 'DBGOSLAR', 'DBGOSLSR', 'DBGVCR', 'HDCR']);
  });

  it('makes DBGDIDR read-only: the guest cannot write it and a policy that does is a policy-total finding', () => {
    const m = armv7.instantiate({});
    expect(m.guestReadable).toContain(DBGDIDR);
    expect(m.guestWritable).not.toContain(DBGDIDR);
    const writer = definePolicy({ name: 'writes-didr', arch: 'armv7', hooks: { guestEnter: (k) => k.hw.write(DBGDIDR, 0) } });
    const x = makeExecutor(writer, armv7, invariantsFor('armv7'));
    x.load(0, 0);
    x.enter(0);
    expect(x.violation?.invariant).toBe('policy-total');
    expect(x.violation?.message).toContain('read-only DBGDIDR');
  });

  it('starts the host with MDBGen set (enable_monitor_mode at boot), and the guest with it only under --mdbgen 1', () => {
    const plain = makeExecutor(eager, armv7, []);
    expect(plain.world.hostIntent[DBGDSCRext]).toBe(ARM_DSCR_MDBGEN);
    expect(plain.world.guestIntent[DBGDSCRext]).toBe(0);
    const kept = makeExecutor(eager, armv7, [], { mdbgen: 1 });
    expect(kept.world.guestIntent[DBGDSCRext]).toBe(ARM_DSCR_MDBGEN);
    expect(kept.model.valueDomain(DBGDSCRext)).toEqual([ARM_DSCR_MDBGEN]);
  });
});

describe('armv7 breakpoint matching (Monitor debug-mode)', () => {
  it('generates no debug event without DBGDSCR.MDBGen', () => {
    const r = fresh();
    r[DBGBVR(0)] = 0x1000;
    r[DBGBCR(0)] = bcr(ARM_BREAKPOINT_PRIV);
    expect(breakpointHits(r, 0, 1, 0x1000, 6, 4)).toBe(0);
    r[DBGDSCRext] = ARM_DSCR_MDBGEN;
    expect(breakpointHits(r, 0, 1, 0x1000, 6, 4)).toBe(1);
  });

  it('matches DBGBVR[31:2] at the privilege PMC selects', () => {
    const r = fresh();
    r[DBGDSCRext] = ARM_DSCR_MDBGEN;
    r[DBGBVR(2)] = 0x1000;
    r[DBGBCR(2)] = bcr(ARM_BREAKPOINT_USER);
    expect(breakpointHits(r, 0, 0, 0x1002, 6, 4)).toBe(1 << 2);
    expect(breakpointHits(r, 0, 1, 0x1000, 6, 4)).toBe(0);
    expect(breakpointHits(r, 0, 0, 0x1004, 6, 4)).toBe(0);
  });

  it('fires a mismatch breakpoint everywhere except its address (the single-step breakpoint)', () => {
    const r = fresh();
    r[DBGDSCRext] = ARM_DSCR_MDBGEN;
    r[DBGBVR(5)] = 0x1000;
    r[DBGBCR(5)] = bcr(ARM_BREAKPOINT_PRIV, true);
    expect(breakpointHits(r, 0, 1, 0x1000, 6, 4)).toBe(0);
    expect(breakpointHits(r, 0, 1, 0x2000, 6, 4)).toBe(1 << 5);
  });

  it('matches watchpoints on the access type LSC selects', () => {
    const r = fresh();
    r[DBGDSCRext] = ARM_DSCR_MDBGEN;
    r[DBGWVR(1)] = 0x2000;
    r[DBGWCR(1)] = wcr(ARM_BREAKPOINT_PRIV, ARM_BREAKPOINT_STORE);
    expect(watchpointHits(r, 0, 1, 0x2000, true, 6, 4)).toBe(1 << 7);
    expect(watchpointHits(r, 0, 1, 0x2000, false, 6, 4)).toBe(0);
    expect(effectiveSlots(r, 0, 0, 6, 4)).toBe(0);
  });

  it('routes debug exceptions to Hyp mode with HDCR.TDE, and traps CP14 accesses with TDA or TDE', () => {
    const r = fresh();
    expect(trapsToHyp(r, 0, DBGBCR(0))).toBe(false);
    r[HDCR] = HDCR_TPM | HDCR_TPMCR;
    expect(trapsToHyp(r, 0, DBGDSCRext)).toBe(false);
    r[HDCR] = HDCR_TDA;
    expect([DBGBVR(0), DBGWCR(3), DBGDSCRext, DBGDIDR].map((reg) => trapsToHyp(r, 0, reg))).toEqual([true, true, true, true]);
    expect(trapsToHyp(r, 0, HDCR)).toBe(false);
    expect(routesToHyp(r, 0)).toBe(false);
    r[HDCR] = HDCR_TDE;
    expect(routesToHyp(r, 0)).toBe(true);
    expect(trapsToHyp(r, 0, DBGBCR(1))).toBe(true);
  });
});

describe("the host's hw_breakpoint layer", () => {
  const setBreakpoint = (x: ReturnType<typeof makeExecutor>, slot: number): void => {
    const kind = x.kinds.findIndex((k) => k.type === 'HOST_SET_BREAKPOINT');
    x.apply(new Float64Array([kind, 0, 0, slot, 1, 0x1000]));
  };

  it('offers the host slots 0..core_num_brps-1 only: the last breakpoint is reserved', () => {
    const m = armv7.instantiate({});
    const x = makeExecutor(eager, armv7, []);
    const set = x.kinds.find((k) => k.type === 'HOST_SET_BREAKPOINT');
    const slots = new Set<number>();
    set?.enumerate(x, (ev) => {
      if (ev[2] === 0) slots.add(ev[3] as number);
    });
    expect([...slots].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(m.registers.implemented[DBGBCR(5)]).toBe(1);
  });

  it('records ordinary breakpoints in bp_on_reg', () => {
    const x = makeExecutor(eager, armv7, []);
    const onReg = (reg: number): number => x.world.hostMem[1 * REGISTER_COUNT + reg] as number; // cpu0, area onReg
    setBreakpoint(x, 0);
    expect(onReg(DBGBCR(0))).toBe(1);
    expect(x.world.hw[DBGBCR(0)]).toBe(bcr(ARM_BREAKPOINT_PRIV));
  });

  it('sends the host writes to the policy while HDCR traps them', () => {
    const seen: number[] = [];
    const tracker = definePolicy({
      name: 'tracks-host',
      arch: 'armv7',
      hooks: {
        vcpuLoad: (k) => k.hw.write(HDCR, HDCR_TDA),
        hostTrap: (k, p) => {
          seen.push(p.reg);
          k.hw.write(p.reg, p.regval);
        },
      },
    });
    const x = makeExecutor(tracker, armv7, invariantsFor('armv7'));
    x.load(0, 0);
    setBreakpoint(x, 1);
    expect(seen).toEqual([DBGBVR(1), DBGBCR(1)]);
    expect(x.violation).toBeUndefined();
    expect(x.world.hw[DBGBCR(1)]).toBe(bcr(ARM_BREAKPOINT_PRIV));
  });
});
