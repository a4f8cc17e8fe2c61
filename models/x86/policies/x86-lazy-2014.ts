/**
 * KVM/x86's lazy debug-register switching, introduced in Linux 3.15 (2014, "KVM: x86: Allow the guest
 * to run with dirty debug registers") and written here as upstream has it today: the first DR access
 * turns DR exits off (KVM_DEBUGREG_WONT_EXIT) and the guest runs with its registers live until the next
 * exit syncs them back; DR0-DR3 are loaded only while the guest or userspace enables a breakpoint, and
 * the host's are restored after the run loop only when hw_breakpoint_active().
 */
import type { TrapParams } from '../../../src/engine/policy.js';
import { ERA_6_13, ERA_6_17, eraDebugctlAfterIrqs } from '../eras.js';
import type { X86Context, X86Hooks } from '../model.js';
import { DEBUGCTL } from '../registers.js';
import {
  handle_fastpath_set_msr_irqoff,
  type KvmX86Ops,
  kvm_arch_vcpu_ioctl_set_guest_debug,
  kvm_emulate_msr,
  kvm_get_dr,
  kvm_vcpu_ioctl_x86_set_debugregs,
  kvm_vcpu_reset,
  load_guest_debug_regs,
  put_guest_debug_regs,
} from './kvm-x86.js';
import { x86Policies } from './vendors.js';

const msr: TrapParams = { reg: DEBUGCTL, isWrite: false, regval: 0 };

/** KVM_GET_MSRS / KVM_SET_MSRS of IA32_DEBUGCTL through the vendor's MSR handler; returns the value read. */
export function debugctl_msr(k: X86Context, ops: KvmX86Ops, isWrite: boolean, value: number): number {
  msr.isWrite = isWrite;
  msr.regval = value;
  debugctlHandler(k, ops)(k, msr);
  return msr.regval;
}

/** The vendor's IA32_DEBUGCTL MSR handler of the era the model runs (k.host.era). */
const debugctlHandler = (k: X86Context, ops: KvmX86Ops) =>
  eraDebugctlAfterIrqs(k.host.era) ? ops.handle_debugctl : ops.handle_debugctl_6_13;

/** The upstream hooks over vendor `ops`. */
export function lazyHooks(ops: KvmX86Ops): X86Hooks {
  return {
    guestEnter: (k) => load_guest_debug_regs(k, ops),
    guestExit(k, reason) {
      // After a fast path that exits to userspace, vcpu_run's exit half already ran (in `fastpath`).
      if (reason !== 'fastpath') ops.run_exit(k);
      put_guest_debug_regs(k, ops);
      return reason === 'debug' ? ops.handle_db(k) : undefined;
    },
    fastpath(k) {
      // vcpu_run's exit half, then vmx/svm_exit_handlers_fastpath -> handle_fastpath_set_msr_irqoff.
      ops.run_exit(k);
      const exit = handle_fastpath_set_msr_irqoff(k, ops);
      // EXIT_FASTPATH_EXIT_USERSPACE: vcpu_enter_guest leaves its loop (guestExit(k, 'fastpath')) and returns 0.
      if (exit !== undefined) return exit;
      // EXIT_FASTPATH_REENTER_GUEST: vcpu_run is called again with run_flags = 0.
      ops.run_enter(k, 0);
      return undefined;
    },
    vcpuLoad(k) {
      if (!eraDebugctlAfterIrqs(k.host.era)) ops.vcpu_load_6_13(k);
    },
    // handle_rdmsr/handle_wrmsr (kvm_emulate_rdmsr/wrmsr) or the DR-access handler; both skip the
    // emulated instruction with kvm_skip_emulated_instruction, which reports its single-step.
    trap: (k, p) => (p.reg === DEBUGCTL ? kvm_emulate_msr(k, ops, p, debugctlHandler(k, ops)) : ops.handle_dr(k, p)),
    // KVM_GET/SET_DEBUGREGS, or KVM_GET/SET_MSRS for IA32_DEBUGCTL (the vendor's get_msr/set_msr, host-initiated).
    getReg: (k, reg) => (reg === DEBUGCTL ? debugctl_msr(k, ops, false, 0) : kvm_get_dr(k, reg)),
    setReg: (k, reg, value) =>
      reg === DEBUGCTL ? debugctl_msr(k, ops, true, value) : kvm_vcpu_ioctl_x86_set_debugregs(k, ops, reg, value),
    vcpuReset: (k) => kvm_vcpu_reset(k, ops),
    setGuestDebug: (k, dbg) => kvm_arch_vcpu_ioctl_set_guest_debug(k, ops, dbg),
  };
}

/** The eras this code is (its DR code is 6.17's, in effect 6.13.y's; its DEBUGCTL code reads the era): not 5.7 to late 6.1.y. */
export const LAZY_2014_ERAS = {
  scope: {
    'x86-era': {
      values: [ERA_6_17, ERA_6_13],
      why: "its debug-register code is Linux 6.13's and 6.17's, not 5.7's, 5.10's, 5.15's or late 6.1.y's (whose fast path is 5.15's): check those with a policy file transliterated from their code (test/fixtures/eras/ has 5.10's, 5.15's and late 6.1.y/6.6.y's)",
    },
  },
};

/** x86-lazy-2014 on VMX and on SVM. */
export const [x86Lazy2014Vmx, x86Lazy2014Svm] = x86Policies(
  'x86-lazy-2014',
  'upstream lazy switching (3.15+): DR exits off after the first access (WONT_EXIT), synced at the next exit',
  lazyHooks,
  LAZY_2014_ERAS,
);
