/**
 * Mutants of x86-lazy-2014, each one plausible slip a reviewer could miss, built on the fixed policy
 * (x86-lazy-2014-fixed) so that the planted slip is the only thing wrong. The checker must find each
 * by running the engine, never by looking it up by name.
 */
import type { X86Context, X86Host, X86Vcpu } from '../../models/x86/model.js';
import {
  emulate_dr_access,
  emulate_general_detect,
  hw_breakpoint_active,
  KVM_DEBUGREG_WONT_EXIT,
  KVM_GUESTDBG_ENABLE,
  KVM_GUESTDBG_SINGLESTEP,
  KVM_GUESTDBG_USE_HW_BP,
  type KvmX86Ops,
  kvm_complete_insn_gp,
  kvm_emulate_msr,
  kvm_queue_db,
  kvm_skip_emulated_instruction,
  kvm_update_dr7,
  kvm_update_dr0123,
} from '../../models/x86/policies/kvm-x86.js';
import { svmOps } from '../../models/x86/policies/svm.js';
import { vmx_mov_dr_exiting, vmxOps } from '../../models/x86/policies/vmx.js';
import { lazyFixedHooks } from '../../models/x86/policies/x86-lazy-2014-fixed.js';
import { DEBUGCTL, DR, DR_STEP, DR6, DR6_ACTIVE_LOW, DR7, RFLAGS, SLOTS, X86_EFLAGS_TF } from '../../models/x86/registers.js';
import { KVM_EXIT_DEBUG } from '../../models/x86/vm-switch.js';
import type { TrapParams } from '../../src/engine/policy.js';
import { definePolicy, type GuestDebug, type Hooks, type Policy } from '../../src/engine/policy.js';

type X86Hooks = Hooks<X86Vcpu, X86Host>;
type Mutant = Policy<X86Vcpu, X86Host>;

function mutant(name: string, arch: 'x86-vmx' | 'x86-svm', hooks: X86Hooks): Mutant {
  return definePolicy<X86Vcpu, X86Host>({ name, arch, summary: `mutant of x86-lazy-2014: ${name}`, hooks });
}

const opsOf = (arch: 'x86-vmx' | 'x86-svm'): KvmX86Ops => (arch === 'x86-vmx' ? vmxOps : svmOps);

/** After the run loop, hw_breakpoint_restore() forgets DR0-DR3: the host's DR7 comes back over the guest's addresses. */
export function hostAddressesNotRestored(arch: 'x86-vmx' | 'x86-svm'): Mutant {
  const ops = opsOf(arch);
  const fixed = lazyFixedHooks(ops);
  return mutant('host-dr0-3-not-restored', arch, {
    ...fixed,
    guestExit(k, reason) {
      ops.run_exit(k);
      if (k.vcpu.switchDbRegs & KVM_DEBUGREG_WONT_EXIT) {
        ops.sync_dirty_debug_regs(k);
        kvm_update_dr0123(k);
        kvm_update_dr7(k, ops);
      }
      if (hw_breakpoint_active(k)) {
        k.hw.write(DR6, DR6_ACTIVE_LOW);
        k.hw.write(DR7, k.host.hwBreakpoint[DR7] as number); // set_debugreg(cpu_debugreg[0..3]) forgotten
      }
      return reason === 'debug' ? ops.handle_db(k) : undefined;
    },
  });
}

/** sync_dirty_debug_regs clears KVM_DEBUGREG_WONT_EXIT but does not turn DR exits back on. */
export function exitsNotRearmed(arch: 'x86-vmx' | 'x86-svm'): Mutant {
  const ops = opsOf(arch);
  const sync = (k: X86Context): void => {
    for (let i = 0; i < SLOTS; i++) k.vcpu.arch[DR(i)] = k.hw.read(DR(i));
    k.vcpu.arch[DR6] = arch === 'x86-vmx' ? k.hw.read(DR6) : (k.vcpu.vmcs[DR6] as number);
    k.vcpu.arch[DR7] = k.vcpu.vmcs[DR7] as number;
    k.vcpu.switchDbRegs &= ~KVM_DEBUGREG_WONT_EXIT;
    // exec_controls_setbit(vmx, CPU_BASED_MOV_DR_EXITING) / set_dr_intercepts(svm) forgotten
  };
  return mutant('mov-dr-exiting-not-rearmed', arch, lazyFixedHooks({ ...ops, sync_dirty_debug_regs: sync }));
}

/** VMX handle_dr without the DR7.GD test: the MOV-DR exit swallows the guest's general-detect #DB. */
export const generalDetectNotEmulated: Mutant = mutant('guest-dr7-gd-not-emulated', 'x86-vmx', {
  ...lazyFixedHooks(vmxOps),
  trap(k, p) {
    if (p.reg === DEBUGCTL) return kvm_emulate_msr(k, vmxOps, p, vmxOps.handle_debugctl); // a WRMSR/RDMSR exit, not a MOV DR
    if (k.vcpu.guestDebug === 0) {
      vmx_mov_dr_exiting(k, false);
      k.vcpu.switchDbRegs |= KVM_DEBUGREG_WONT_EXIT;
    }
    emulate_dr_access(k, vmxOps, p);
    return kvm_complete_insn_gp(k, vmxOps);
  },
});

/** KVM_SET_GUEST_DEBUG stores userspace's debugreg[] but never calls kvm_update_dr7(): nothing loads them. */
export function userspaceBreakpointsNotLoaded(arch: 'x86-vmx' | 'x86-svm'): Mutant {
  const fixed = lazyFixedHooks(opsOf(arch));
  return mutant('userspace-breakpoints-not-loaded', arch, {
    ...fixed,
    setGuestDebug(k, dbg: GuestDebug) {
      let control = dbg.enable ? KVM_GUESTDBG_ENABLE : 0;
      if (dbg.enable && dbg.useHw) control |= KVM_GUESTDBG_USE_HW_BP;
      if (dbg.enable && dbg.singleStep) control |= KVM_GUESTDBG_SINGLESTEP;
      k.vcpu.guestDebug = control;
      const debugreg = dbg.arch ?? [];
      if (control & KVM_GUESTDBG_USE_HW_BP) {
        for (let i = 0; i < SLOTS; i++) k.vcpu.effDb[DR(i)] = debugreg[i] ?? 0;
        k.vcpu.guestDebugDr7 = debugreg[7] ?? 0;
      }
      // kvm_update_dr7(vcpu) forgotten
      return 0;
    },
  });
}

/**
 * The DR-access and MSR exit handlers with the kvm_skip_emulated_instruction of each vendor's ops
 * replaced by `skip` (the instruction is emulated, then skipped): handle_dr / dr_interception and
 * kvm_emulate_rdmsr/wrmsr as on x86-lazy-2014-fixed otherwise.
 */
function withSkip(name: string, arch: 'x86-vmx' | 'x86-svm', skip: (k: X86Context, ops: KvmX86Ops) => number | undefined): Mutant {
  const ops = opsOf(arch);
  const handleDr = (k: X86Context, p: TrapParams): number | undefined => {
    if (arch === 'x86-vmx' && emulate_general_detect(k, ops, k.vcpu.vmcs[DR7] as number)) return undefined;
    if (k.vcpu.guestDebug === 0) {
      ops.dr_exits(k, false);
      k.vcpu.switchDbRegs |= KVM_DEBUGREG_WONT_EXIT;
      p.retry = true;
      return undefined;
    }
    emulate_dr_access(k, ops, p);
    return skip(k, ops);
  };
  const fixed = lazyFixedHooks({ ...ops, handle_dr: handleDr });
  return mutant(name, arch, {
    ...fixed,
    trap(k, p) {
      if (p.reg !== DEBUGCTL) return handleDr(k, p);
      ops.handle_debugctl(k, p); // kvm_emulate_rdmsr/wrmsr: the vendor's get_msr/set_msr, then the skip
      return skip(k, ops);
    },
  });
}

/**
 * Before Linux 4.11 (6affcbedcac7 "KVM: x86: Add kvm_skip_emulated_instruction and use it"): an exit
 * handler that emulates the guest's MOV DR or RDMSR/WRMSR skips it with the vendor's
 * skip_emulated_instruction alone and returns 1, so the instruction's single-step is never reported:
 * gdb's `stepi` over a MOV DR runs two instructions.
 */
export function emulatedStepLost(arch: 'x86-vmx' | 'x86-svm'): Mutant {
  return withSkip('emulated-step-lost', arch, (k, ops) => {
    ops.skip_emulated_instruction(k);
    return undefined; // return 1
  });
}

/**
 * kvm_skip_emulated_instruction testing `vcpu->guest_debug` instead of the old RFLAGS.TF: while
 * userspace debugs without single-stepping (KVM_GUESTDBG_ENABLE, with or without hardware
 * breakpoints), every emulated MOV DR or MSR access returns KVM_EXIT_DEBUG with DR6.BS, a step
 * nobody asked for.
 */
export function emulatedStepWithoutTf(arch: 'x86-vmx' | 'x86-svm'): Mutant {
  return withSkip('emulated-step-without-tf', arch, (k, ops) => {
    ops.skip_emulated_instruction(k);
    return k.vcpu.guestDebug ? KVM_EXIT_DEBUG : undefined; // `if (unlikely(rflags & X86_EFLAGS_TF))` misread
  });
}

/**
 * A DR-access handler that, while userspace single-steps, reports the trapped MOV's step before
 * emulating it: KVM_EXIT_DEBUG with the MOV neither emulated nor skipped (RIP still at it, so it runs
 * at the next KVM_RUN). Userspace gets a step for an instruction that has not executed, and that
 * instruction's own step after it. MSR accesses are handled as upstream does.
 */
export function emulatedStepEarly(arch: 'x86-vmx' | 'x86-svm'): Mutant {
  const ops = opsOf(arch);
  const fixed = lazyFixedHooks(ops);
  return mutant('emulated-step-early', arch, {
    ...fixed,
    trap(k, p) {
      if (p.reg !== DEBUGCTL && k.vcpu.guestDebug & KVM_GUESTDBG_SINGLESTEP && (k.vcpu.vmcs[RFLAGS] as number) & X86_EFLAGS_TF) {
        p.retry = true; // not skipped: the MOV runs again
        return KVM_EXIT_DEBUG;
      }
      return fixed.trap?.(k, p);
    },
  });
}

/**
 * kvm_vcpu_do_singlestep routed through a helper that tests only KVM_GUESTDBG_USE_HW_BP, as
 * kvm_inject_emulated_db did for the emulator's code breakpoints (a proposed consolidation of the two
 * had to add KVM_GUESTDBG_SINGLESTEP to its test): a userspace that single-steps without hardware
 * breakpoints gets the emulated instruction's step queued into the guest (kvm_queue_exception_p).
 */
export function emulatedStepInjected(arch: 'x86-vmx' | 'x86-svm'): Mutant {
  return withSkip('emulated-step-injected', arch, (k, ops) => {
    const rflags = k.vcpu.vmcs[RFLAGS] as number;
    ops.skip_emulated_instruction(k);
    if (!(rflags & X86_EFLAGS_TF)) return undefined;
    if (k.vcpu.guestDebug & KVM_GUESTDBG_USE_HW_BP) return KVM_EXIT_DEBUG;
    kvm_queue_db(k, ops, DR_STEP);
    return undefined;
  });
}

/**
 * The fast path before 6.12 (f7f39c50edb9): handle_fastpath_set_msr_irqoff skips the WRMSR it handled
 * with kvm_skip_emulated_instruction but ignores its result and returns EXIT_FASTPATH_REENTER_GUEST, so
 * while userspace single-steps, the step that kvm_vcpu_do_singlestep set up (KVM_EXIT_DEBUG) is dropped
 * and the guest runs on. Everything else as x86-lazy-2014-fixed.
 */
export function fastpathStepIgnored(arch: 'x86-vmx' | 'x86-svm'): Mutant {
  const ops = opsOf(arch);
  return mutant('fastpath-step-ignored', arch, {
    ...lazyFixedHooks(ops),
    fastpath(k) {
      ops.run_exit(k);
      kvm_skip_emulated_instruction(k, ops); // `if (!kvm_skip_emulated_instruction(vcpu))` missing
      ops.run_enter(k, 0); // EXIT_FASTPATH_REENTER_GUEST
    },
  });
}
