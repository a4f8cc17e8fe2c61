/**
 * "[PATCH v2 08/21] arm64: KVM: Implement debug save/restore" exactly as posted (Dec 2015): the
 * dirty-flag lazy switch, but the host-save condition tests MDSCR_EL1.KDE twice (KDE || KDE) and
 * never MDE, so a guest debugging only its EL0 code runs on the host's breakpoint registers.
 */
import { definePolicy } from '../../../src/policy.js';
import type { Arm64Context, Arm64Host, Arm64Vcpu } from '../model.js';
import { DBG_MDSCR_KDE, DBGBCR, DBGBVR, DBGWCR, DBGWVR, ID_AA64DFR0_EL1, MDCCINT_EL1, MDSCR_EL1 } from '../registers.js';
import { type DebugSr, guest_run_enter, guest_run_exit, KVM_ARM64_DEBUG_DIRTY, restore_debug, save_debug, trap_debug_regs } from './hyp.js';

const debugSrV2: DebugSr = {
  __debug_save_state(k: Arm64Context, dbg: Float64Array, ctxt: Float64Array): void {
    if (k.vcpu.debugFlags & KVM_ARM64_DEBUG_DIRTY) {
      const aa64dfr0 = k.hw.read(ID_AA64DFR0_EL1);
      const brps = (aa64dfr0 >> 12) & 0xf;
      const wrps = (aa64dfr0 >> 20) & 0xf;
      save_debug(k.hw, dbg, DBGBCR, brps);
      save_debug(k.hw, dbg, DBGBVR, brps);
      save_debug(k.hw, dbg, DBGWCR, wrps);
      save_debug(k.hw, dbg, DBGWVR, wrps);
      ctxt[MDCCINT_EL1] = k.hw.read(MDCCINT_EL1);
    }
  },

  __debug_restore_state(k: Arm64Context, dbg: Float64Array, ctxt: Float64Array): void {
    if (k.vcpu.debugFlags & KVM_ARM64_DEBUG_DIRTY) {
      const aa64dfr0 = k.hw.read(ID_AA64DFR0_EL1);
      const brps = (aa64dfr0 >> 12) & 0xf;
      const wrps = (aa64dfr0 >> 20) & 0xf;
      restore_debug(k.hw, dbg, DBGBCR, brps);
      restore_debug(k.hw, dbg, DBGBVR, brps);
      restore_debug(k.hw, dbg, DBGWCR, wrps);
      restore_debug(k.hw, dbg, DBGWVR, wrps);
      k.hw.write(MDCCINT_EL1, ctxt[MDCCINT_EL1] as number);
    }
  },

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
    trap: trap_debug_regs,
  },
});
