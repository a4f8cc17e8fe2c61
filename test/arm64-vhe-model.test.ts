/**
 * The arm64 VHE model: its lifecycle table agrees with its XState machine, the register file
 * extends arm64-nvhe's without moving an id, and the VM-register and OS Lock traps and the OS
 * Lock's effect on breakpoints follow the Arm ARM.
 */
import { describe, expect, it } from 'vitest';
import {
  arm64RegisterFile,
  bcr,
  DBG_MDSCR_KDE,
  DBG_MDSCR_MDE,
  DBGBCR,
  MDCR_EL2,
  MDCR_EL2_TDE,
  MDCR_EL2_TDOSA,
  MDSCR_EL1,
  PRIV_EL1,
} from '../models/arm64-nvhe/registers.js';
import { arm64VheFields } from '../models/arm64-vhe/fields.js';
import { vheEffectiveSlots, vheTrapsToEl2 } from '../models/arm64-vhe/hardware.js';
import { arm64VheLifecycle } from '../models/arm64-vhe/lifecycle.machine.js';
import {
  BCR_HMC,
  HCR_EL2,
  HCR_TRVM,
  HCR_TVM,
  OSLAR_EL1,
  OSLSR_EL1,
  OSLSR_OSLK,
  SCTLR_EL1,
  SCTLR_RESET,
  TTBR0_EL1,
  vheRegisterFile,
} from '../models/arm64-vhe/registers.js';
import { compileLifecycle, HOOK_NAMES } from '../src/engine/lifecycle.js';
import { decodeFields } from '../src/engine/register-fields.js';
import { expectTableAgreesWithMachine } from './lifecycle-agreement.js';

const table = compileLifecycle(arm64VheLifecycle);
const E = table.events.length;
const hookAt = (state: string, event: string): string | undefined =>
  HOOK_NAMES[table.hook[table.states.indexOf(state) * E + table.event(event)] as number];

describe('compiled arm64-vhe lifecycle table', () => {
  it('agrees with the XState machine on enabledness and target state along random walks', () => {
    expectTableAgreesWithMachine(arm64VheLifecycle, 20261122);
  });

  it('lets the hypervisor access registers while the host runs with the vCPU loaded, and only then', () => {
    for (const state of ['loaded', 'trapped']) {
      expect(hookAt(state, 'HYP_READ_REG')).toBe('hypReadReg');
      expect(hookAt(state, 'HYP_WRITE_REG')).toBe('hypWriteReg');
    }
    for (const state of ['unloaded', 'guest', 'entering', 'exiting']) {
      expect(table.next[table.states.indexOf(state) * E + table.event('HYP_READ_REG')]).toBe(-1);
    }
  });
});

describe('arm64-vhe registers and traps', () => {
  const cpu = { brps: 6, wrps: 4 };
  const file = vheRegisterFile(cpu);
  const r = new Float64Array(file.count);

  it('keeps every arm64-nvhe register id and appends the VHE ones', () => {
    const nvhe = arm64RegisterFile(cpu);
    expect(file.names.slice(0, nvhe.count)).toEqual(nvhe.names);
    expect(file.id('SCTLR_EL1')).toBe(SCTLR_EL1);
    expect(file.reset[SCTLR_EL1]).toBe(SCTLR_RESET);
    expect(file.semantics[OSLSR_EL1]).toBe(1); // read-only: KVM never writes the CPU's OSLSR_EL1
  });

  it('traps VM-register writes under HCR_EL2.TVM and reads under TRVM only', () => {
    r.fill(0);
    expect(vheTrapsToEl2(r, 0, TTBR0_EL1, true)).toBe(false);
    r[HCR_EL2] = HCR_TVM;
    expect(vheTrapsToEl2(r, 0, TTBR0_EL1, true)).toBe(true);
    expect(vheTrapsToEl2(r, 0, TTBR0_EL1, false)).toBe(false);
    r[HCR_EL2] = HCR_TRVM;
    expect(vheTrapsToEl2(r, 0, TTBR0_EL1, false)).toBe(true);
  });

  it('traps the OS Lock registers under MDCR_EL2.TDOSA', () => {
    r.fill(0);
    expect(vheTrapsToEl2(r, 0, OSLAR_EL1, true)).toBe(false);
    r[MDCR_EL2] = MDCR_EL2_TDOSA;
    expect(vheTrapsToEl2(r, 0, OSLAR_EL1, true)).toBe(true);
    expect(vheTrapsToEl2(r, 0, OSLSR_EL1, false)).toBe(true);
  });

  it('traps the OS Lock registers under MDCR_EL2.TDE alone (TDE makes TDOSA behave as 1, Arm ARM MDCR_EL2.TDE)', () => {
    r.fill(0);
    r[MDCR_EL2] = MDCR_EL2_TDE;
    expect(vheTrapsToEl2(r, 0, OSLAR_EL1, true)).toBe(true);
    expect(vheTrapsToEl2(r, 0, OSLSR_EL1, false)).toBe(true);
  });

  it("names a VHE host breakpoint's HMC bit in reports (DBGBCR<n>_EL1.HMC, bit 13), not as an unknown +0x2000", () => {
    expect(decodeFields(arm64VheFields().DBGBCR5_EL1, bcr(PRIV_EL1) | BCR_HMC)).toBe('E, PMC=EL1, BAS=0xf, HMC');
    expect(decodeFields(arm64VheFields().DBGWCR3_EL1, 0x1ffd | BCR_HMC)).toBe('E, PAC=EL0, LSC=load|store, BAS=0xff, HMC');
  });

  it('makes no breakpoint effective while OSLSR_EL1.OSLK is set', () => {
    r.fill(0);
    r[MDSCR_EL1] = DBG_MDSCR_MDE | DBG_MDSCR_KDE;
    r[DBGBCR(0)] = bcr(PRIV_EL1);
    expect(vheEffectiveSlots(r, 0, 1, 6, 4)).toBe(1);
    r[OSLSR_EL1] = OSLSR_OSLK;
    expect(vheEffectiveSlots(r, 0, 1, 6, 4)).toBe(0);
  });
});
