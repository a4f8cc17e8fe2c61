/**
 * "[PATCH v2 08/21] arm64: KVM: Implement debug save/restore" exactly as posted (Dec 2015): the
 * dirty-flag lazy switch, but the host-save condition tests MDSCR_EL1.KDE twice (KDE || KDE) and
 * never MDE, so a guest debugging only its EL0 code runs on the host's breakpoint registers.
 */
import { definePolicy } from '../../../src/engine/policy.js';
import type { Arm64Context, Arm64Host, Arm64Vcpu } from '../model.js';
import { DBG_MDSCR_KDE, MDSCR_EL1 } from '../registers.js';
import { debugSr2015, NO_GUEST_DEBUG_2015 } from './arm64-dirty-2015.js';
import { type DebugSr, emulate_sys_reg_2015, guest_run_enter, guest_run_exit, KVM_ARM64_DEBUG_DIRTY } from './hyp.js';

/** v2's debug-sr.c: __debug_save_state and __debug_restore_state as merged; the host-save condition and restore differ. */
const debugSrV2: DebugSr = {
  ...debugSr2015,

  __debug_cond_save_host_state(k: Arm64Context): void {
    if ((k.vcpu.ctxt[MDSCR_EL1] as number) & DBG_MDSCR_KDE || (k.vcpu.ctxt[MDSCR_EL1] as number) & DBG_MDSCR_KDE) {
      k.vcpu.debugFlags |= KVM_ARM64_DEBUG_DIRTY;
    }
    this.__debug_save_state(k, k.vcpu.hostDebugState, k.host.ctxt);
  },

  __debug_cond_restore_host_state(k: Arm64Context): void {
    if (k.vcpu.debugFlags & KVM_ARM64_DEBUG_DIRTY) {
      this.__debug_restore_state(k, k.vcpu.hostDebugState, k.host.ctxt);
      k.vcpu.debugFlags &= ~KVM_ARM64_DEBUG_DIRTY;
    }
  },
};

export default definePolicy<Arm64Vcpu, Arm64Host>({
  name: 'arm64-dirty-2015-v2',
  arch: 'arm64-nvhe',
  summary: 'dirty-flag lazy switch as posted in v2 (tests KDE || KDE: misses a guest with MDE only)',
  hooks: {
    guestEnter: (k) => guest_run_enter(k, debugSrV2),
    guestExit: (k) => guest_run_exit(k, debugSrV2),
    trap: emulate_sys_reg_2015,
  },
  ...NO_GUEST_DEBUG_2015,
});
