/**
 * Eager switching: on every entry save all of the host's debug registers and load all of the
 * guest's, on every exit the reverse; guest accesses to the debug registers never trap. The correctness baseline and the
 * cost ceiling (DESIGN §8).
 */
import { definePolicy } from '../../../src/engine/policy.js';
import type { Arm64Context, Arm64Host, Arm64Vcpu } from '../model.js';
import {
  DBGBCR,
  DBGBVR,
  DBGWCR,
  DBGWVR,
  ID_AA64DFR0_EL1,
  MDCCINT_EL1,
  MDCR_EL2,
  MDCR_EL2_HPMN_MASK,
  MDCR_EL2_TDOSA,
  MDCR_EL2_TDRA,
  MDCR_EL2_TTRF,
} from '../registers.js';
import {
  __activate_traps,
  __deactivate_traps,
  __sysreg_restore_guest_pstate,
  __sysreg_restore_state,
  __sysreg_save_guest_pstate,
  __sysreg_save_state,
  emulate_sys_reg_2015,
  restore_debug,
  save_debug,
} from './hyp.js';

function switchDebug(
  k: Arm64Context,
  save: { dbg: Float64Array; ctxt: Float64Array },
  load: { dbg: Float64Array; ctxt: Float64Array },
): void {
  const aa64dfr0 = k.hw.read(ID_AA64DFR0_EL1);
  const brps = (aa64dfr0 >> 12) & 0xf;
  const wrps = (aa64dfr0 >> 20) & 0xf;
  for (const bank of [DBGBCR, DBGBVR]) save_debug(k.hw, save.dbg, bank, brps);
  for (const bank of [DBGWCR, DBGWVR]) save_debug(k.hw, save.dbg, bank, wrps);
  save.ctxt[MDCCINT_EL1] = k.hw.read(MDCCINT_EL1);
  for (const bank of [DBGBCR, DBGBVR]) restore_debug(k.hw, load.dbg, bank, brps);
  for (const bank of [DBGWCR, DBGWVR]) restore_debug(k.hw, load.dbg, bank, wrps);
  k.hw.write(MDCCINT_EL1, load.ctxt[MDCCINT_EL1] as number);
}

/**
 * The entry's debug switch, shared with arm64-vhe's eager (which saves and restores its own SPSR_EL2).
 * TRFCR_EL1 is not the guest's (FEAT_TRF is hidden from it): trapped by TTRF, as KVM has since 5.12 (a354a64d91ee).
 */
export function eagerEnter(k: Arm64Context): void {
  k.vcpu.mdcrEl2 = ((k.host.ctxt[MDCR_EL2] as number) & MDCR_EL2_HPMN_MASK) | MDCR_EL2_TTRF | MDCR_EL2_TDRA | MDCR_EL2_TDOSA;
  __sysreg_save_state(k, k.host.ctxt);
  __activate_traps(k);
  __sysreg_restore_state(k, k.vcpu.ctxt);
  switchDebug(k, { dbg: k.vcpu.hostDebugState, ctxt: k.host.ctxt }, { dbg: k.vcpu.debugState, ctxt: k.vcpu.ctxt });
}

/** The exit's debug switch, shared with arm64-vhe's eager. */
export function eagerExit(k: Arm64Context): void {
  __sysreg_save_state(k, k.vcpu.ctxt);
  __deactivate_traps(k);
  __sysreg_restore_state(k, k.host.ctxt);
  switchDebug(k, { dbg: k.vcpu.debugState, ctxt: k.vcpu.ctxt }, { dbg: k.vcpu.hostDebugState, ctxt: k.host.ctxt });
}

export default definePolicy<Arm64Vcpu, Arm64Host>({
  name: 'eager',
  arch: 'arm64-nvhe',
  summary:
    'always switch every debug register on entry and exit; never trap them (TDA clear; with --oslock the OS Lock registers trap under TDOSA, as in every era) (baseline, cost ceiling)',
  hooks: {
    // The guest's PSTATE in SPSR_EL2 (4.5's __sysreg_save/restore_state, hyp.ts); arm64-vhe's eager has its own.
    guestEnter(k) {
      eagerEnter(k);
      __sysreg_restore_guest_pstate(k);
    },
    guestExit(k) {
      __sysreg_save_guest_pstate(k);
      eagerExit(k);
    },
    // Only the OS Lock registers trap (MDCR_EL2.TDOSA, --oslock 1): handled as the eras before 5.18 did (RAZ/WI, "unlocked").
    trap: emulate_sys_reg_2015,
  },
});
