/**
 * x86-lazy-2014 with the fix for what the checker finds in it (not upstream): a DR-access exit
 * (handle_dr / dr_interception) sets KVM_DEBUGREG_WONT_EXIT after the run loop's sync, so when KVM_RUN
 * returns to userspace before re-entering (a pending signal), userspace's KVM_SET_GUEST_DEBUG finds DR
 * exits off. Here KVM_SET_GUEST_DEBUG drops the pending WONT_EXIT and turns DR exits back on first.
 */
import type { GuestDebug } from '../../../src/engine/policy.js';
import type { X86Context, X86Hooks } from '../model.js';
import { KVM_DEBUGREG_WONT_EXIT, type KvmX86Ops, kvm_arch_vcpu_ioctl_set_guest_debug } from './kvm-x86.js';
import { x86Policies } from './vendors.js';
import { LAZY_2014_ERAS, lazyHooks } from './x86-lazy-2014.js';

/** The fixed hooks over vendor `ops`. */
export function lazyFixedHooks(ops: KvmX86Ops): X86Hooks {
  return {
    ...lazyHooks(ops),
    setGuestDebug(k: X86Context, dbg: GuestDebug): number {
      if (k.vcpu.switchDbRegs & KVM_DEBUGREG_WONT_EXIT) {
        // The guest has not run since the last sync: vcpu->arch holds its registers; only the exits are off.
        k.vcpu.switchDbRegs &= ~KVM_DEBUGREG_WONT_EXIT;
        ops.dr_exits(k, true);
      }
      return kvm_arch_vcpu_ioctl_set_guest_debug(k, ops, dbg);
    },
  };
}

/** x86-lazy-2014-fixed on VMX and on SVM. */
export const [x86Lazy2014FixedVmx, x86Lazy2014FixedSvm] = x86Policies(
  'x86-lazy-2014-fixed',
  'x86-lazy-2014 + KVM_SET_GUEST_DEBUG re-arms DR exits left off by a DR exit just before KVM_RUN returned (proposed fix)',
  lazyFixedHooks,
  LAZY_2014_ERAS,
);
