/**
 * Lazy switching with a dirty flag, as merged in Linux 4.5 (arch/arm64/kvm/hyp/debug-sr.c):
 * guest debug registers trap (MDCR_EL2.TDA) until the guest writes one; the flag is also set on
 * entry whenever the guest's MDSCR_EL1 has KDE or MDE, and then host and guest state switch in full.
 */
import { definePolicy } from '../../../src/engine/policy.js';
import type { Arm64Context, Arm64Host, Arm64Vcpu } from '../model.js';
import { DBG_MDSCR_KDE, DBG_MDSCR_MDE, MDSCR_EL1 } from '../registers.js';
import {
  __debug_restore_state,
  __debug_save_state,
  type DebugSr,
  emulate_sys_reg_2015,
  guest_run_enter,
  guest_run_exit,
  KVM_ARM64_DEBUG_DIRTY,
} from './hyp.js';

/** debug-sr.c as merged: the dirty test inside save/restore, KDE || MDE in the host-save condition. */
export const debugSr2015: DebugSr = {
  __debug_save_state(k: Arm64Context, dbg: Float64Array, ctxt: Float64Array): void {
    if (k.vcpu.debugFlags & KVM_ARM64_DEBUG_DIRTY) __debug_save_state(k, dbg, ctxt);
  },

  __debug_restore_state(k: Arm64Context, dbg: Float64Array, ctxt: Float64Array): void {
    if (k.vcpu.debugFlags & KVM_ARM64_DEBUG_DIRTY) __debug_restore_state(k, dbg, ctxt);
  },

  __debug_cond_save_host_state(k: Arm64Context): void {
    // If any of KDE, MDE or KVM_ARM64_DEBUG_DIRTY is set, perform a full save/restore cycle.
    if ((k.vcpu.ctxt[MDSCR_EL1] as number) & DBG_MDSCR_KDE || (k.vcpu.ctxt[MDSCR_EL1] as number) & DBG_MDSCR_MDE) {
      k.vcpu.debugFlags |= KVM_ARM64_DEBUG_DIRTY;
    }
    this.__debug_save_state(k, k.vcpu.hostDebugState, k.host.ctxt);
  },

  __debug_cond_restore_host_state(k: Arm64Context): void {
    this.__debug_restore_state(k, k.vcpu.hostDebugState, k.host.ctxt);
    if (k.vcpu.debugFlags & KVM_ARM64_DEBUG_DIRTY) k.vcpu.debugFlags &= ~KVM_ARM64_DEBUG_DIRTY;
  },
};

/**
 * The 2015 policies' scope: 4.5's userspace debugging is left out of their code, so they give no
 * verdict with `--gdb 1`.
 */
export const NO_GUEST_DEBUG_2015 = {
  scope: {
    gdb: {
      values: [0],
      why: "KVM_SET_GUEST_DEBUG (4.2's kvm_arm_setup_debug with debug_ptr) is left out of this transliteration of 4.5's world switch; arm64-owner-2025 models 6.14's",
    },
  },
};

export default definePolicy<Arm64Vcpu, Arm64Host>({
  name: 'arm64-dirty-2015',
  arch: 'arm64-nvhe',
  summary: 'dirty-flag lazy switch as merged in Linux 4.5 (KDE || MDE forces a full switch)',
  hooks: {
    guestEnter: (k) => guest_run_enter(k, debugSr2015),
    guestExit: (k) => guest_run_exit(k, debugSr2015),
    trap: emulate_sys_reg_2015,
  },
  ...NO_GUEST_DEBUG_2015,
});
