/**
 * Planted slips in the x86 host/guest switch of DR6 and IA32_DEBUGCTL: each skips one half of a
 * switch that the unmutated policy does, so that the slip is the only thing wrong. The checker must
 * find each by running the engine, never by looking it up by name.
 */
import type { X86Host, X86Vcpu } from '../../models/x86/model.js';
import { eagerHooks } from '../../models/x86/policies/eager.js';
import {
  KVM_GUESTDBG_SINGLESTEP,
  type KvmX86Ops,
  kvm_complete_insn_gp,
  snapshot_host_debugctl,
} from '../../models/x86/policies/kvm-x86.js';
import { svmOps } from '../../models/x86/policies/svm.js';
import { vmx_mov_dr_exiting, vmxOps } from '../../models/x86/policies/vmx.js';
import { lazyFixedHooks } from '../../models/x86/policies/x86-lazy-2014-fixed.js';
import {
  DEBUGCTL,
  DEBUGCTLMSR_LBR,
  DR,
  DR6,
  DR7,
  RFLAGS,
  SLOTS,
  VM_ENTRY_LOAD_DEBUG_CONTROLS,
  VM_EXIT_SAVE_DEBUG_CONTROLS,
  X86_EFLAGS_TF,
} from '../../models/x86/registers.js';
import { KVM_EXIT_DEBUG } from '../../models/x86/vm-switch.js';
import { definePolicy, type Hooks, type Policy } from '../../src/engine/policy.js';

type X86Hooks = Hooks<X86Vcpu, X86Host>;
type Mutant = Policy<X86Vcpu, X86Host>;
type Arch = 'x86-vmx' | 'x86-svm';

const mutant = (name: string, arch: Arch, of: string, hooks: X86Hooks): Mutant =>
  definePolicy<X86Vcpu, X86Host>({ name, arch, summary: `mutant of ${of}: ${name}`, hooks });
const opsOf = (arch: Arch): KvmX86Ops => (arch === 'x86-vmx' ? vmxOps : svmOps);

/**
 * vmx_sync_dirty_debug_regs without `set_debugreg(DR6_RESERVED, 6)`: after the guest wrote DR6 with
 * DR exits off, the host runs with the guest's DR6 (on x86-lazy-2014-fixed, VMX).
 */
export const dr6NotReset: Mutant = mutant(
  'dr6-not-reset-after-sync',
  'x86-vmx',
  'x86-lazy-2014-fixed',
  lazyFixedHooks({
    ...vmxOps,
    sync_dirty_debug_regs(k) {
      for (let i = 0; i < SLOTS; i++) k.vcpu.arch[DR(i)] = k.hw.read(DR(i));
      k.vcpu.arch[DR6] = k.hw.read(DR6);
      k.vcpu.arch[DR7] = k.vcpu.vmcs[DR7] as number;
      k.vcpu.switchDbRegs &= ~2; // KVM_DEBUGREG_WONT_EXIT
      vmx_mov_dr_exiting(k, true);
      // set_debugreg(DR6_RESERVED, 6) forgotten
    },
  }),
);

/**
 * The guest half of the DEBUGCTL switch skipped, on eager: VMX enters without
 * VM_ENTRY_LOAD_DEBUG_CONTROLS (the CPU keeps the host's DEBUGCTL, and DR7); SVM skips the switch by
 * hand before VMRUN (svm_vcpu_run's update_debugctlmsr(svm->vmcb->save.dbgctl)).
 */
export function guestDebugctlNotLoaded(arch: Arch): Mutant {
  const ops = opsOf(arch);
  if (arch === 'x86-vmx') {
    const eager = eagerHooks(ops, true);
    return mutant('guest-debugctl-not-loaded', arch, 'eager', {
      ...eager,
      vcpuLoad(k) {
        k.vcpu.vmEntryControls &= ~VM_ENTRY_LOAD_DEBUG_CONTROLS;
      },
    });
  }
  return mutant('guest-debugctl-not-loaded', arch, 'eager', eagerHooks({ ...ops, debugctl_enter() {} }, false));
}

/**
 * vmx_set_msr(MSR_IA32_DEBUGCTLMSR) keeping the guest's value in a software copy only (no
 * vmcs_write64(GUEST_IA32_DEBUGCTL)), on eager: the guest reads back what it wrote, but VM entry
 * loads the old value, so the LBR it turned on (or off) is not in force.
 */
export const debugctlWriteNotInVmcs: Mutant = mutant('debugctl-write-not-in-vmcs', 'x86-vmx', 'eager', {
  ...eagerHooks(vmxOps, true),
  trap(k, p) {
    if (p.reg !== DEBUGCTL) return eagerHooks(vmxOps, true).trap?.(k, p);
    if (p.isWrite) k.vcpu.scratch[0] = (p.regval & DEBUGCTLMSR_LBR) >>> 0;
    else p.regval = k.vcpu.scratch[0] as number;
    return kvm_complete_insn_gp(k, vmxOps);
  },
});

/**
 * SVM eager trusting #VMEXIT with the host's DR6: each exit restores the host's DR0-DR3 and DR7 from
 * hw_breakpoint's copy but leaves DR6 to the CPU. Right only if #VMEXIT gives the host its DR6 back,
 * which the APM does not promise: found only with --vmexit-dr6 1.
 */
export const dr6LeftToVmexit: Mutant = mutant(
  'dr6-left-to-vmexit',
  'x86-svm',
  'eager',
  eagerHooks(svmOps, false, (k) => {
    for (let i = 0; i < SLOTS; i++) k.hw.write(DR(i), k.host.hwBreakpoint[DR(i)] as number);
    k.hw.write(DR7, k.host.hwBreakpoint[DR7] as number); // set_debugreg(DR6_RESERVED, 6) left out
  }),
);

/**
 * The host half of the DEBUGCTL switch skipped, on eager: after the exit KVM does not write the host's
 * DEBUGCTL back (VMX: the VM exit cleared it; SVM without LBRV: the guest's stays).
 */
export function hostDebugctlNotRestored(arch: Arch): Mutant {
  const ops = opsOf(arch);
  return mutant('host-debugctl-not-restored', arch, 'eager', eagerHooks({ ...ops, debugctl_exit() {} }, arch === 'x86-vmx'));
}

/**
 * eager with the host DEBUGCTL snapshot taken before local_irq_disable() (where KVM took it before
 * Linux 6.14): an interrupt in the run loop that changes DEBUGCTL is undone by the restore after the exit.
 */
export function debugctlSnapshotBeforeIrqOff(arch: Arch): Mutant {
  const ops = opsOf(arch);
  const eager = eagerHooks(ops, arch === 'x86-vmx');
  return mutant('debugctl-snapshot-before-irq-off', arch, 'eager', {
    ...eager,
    guestEnter(k) {
      snapshot_host_debugctl(k, ops);
      const snapshot = k.vcpu.hostDebugctl;
      eager.guestEnter?.(k);
      k.vcpu.hostDebugctl = snapshot; // the refresh after local_irq_disable() forgotten
    },
  });
}

/**
 * KVM_SET_GUEST_DEBUG(SINGLESTEP) without the RFLAGS update (`kvm_set_rflags`): the guest's TF is
 * never set, so userspace's single-step never exits (on x86-lazy-2014-fixed).
 */
export function singleStepTfNotSet(arch: Arch): Mutant {
  const fixed = lazyFixedHooks(opsOf(arch));
  return mutant('single-step-tf-not-set', arch, 'x86-lazy-2014-fixed', {
    ...fixed,
    setGuestDebug(k, dbg) {
      const rflags = k.vcpu.vmcs[RFLAGS] as number;
      const r = fixed.setGuestDebug?.(k, dbg);
      k.vcpu.vmcs[RFLAGS] = rflags & ~X86_EFLAGS_TF; // kvm_set_rflags(vcpu, rflags) forgotten
      return r;
    },
  });
}

/**
 * The #DB exit handler testing only KVM_GUESTDBG_USE_HW_BP (`handle_db_payload` without
 * KVM_GUESTDBG_SINGLESTEP): userspace's single-step #DB is queued into the guest instead of
 * returning KVM_EXIT_DEBUG, so gdb's `stepi` never stops (on x86-lazy-2014-fixed).
 */
export function singleStepInjected(arch: Arch): Mutant {
  const ops = opsOf(arch);
  return mutant(
    'single-step-injected',
    arch,
    'x86-lazy-2014-fixed',
    lazyFixedHooks({
      ...ops,
      handle_db(k) {
        const flags = k.vcpu.guestDebug;
        k.vcpu.guestDebug = flags & ~KVM_GUESTDBG_SINGLESTEP;
        try {
          return ops.handle_db(k);
        } finally {
          k.vcpu.guestDebug = flags;
        }
      },
    }),
  );
}

/**
 * The #DB exit handler returning KVM_EXIT_DEBUG for every #DB, as if userspace always debugged
 * (`handle_db_payload` without its KVM_GUESTDBG_* test), on eager: the guest's own breakpoints and
 * DR7.GD traps go to a userspace that never asked for them, and never reach the guest.
 */
export function debugAlwaysToUserspace(arch: Arch): Mutant {
  return mutant(
    'db-always-to-userspace',
    arch,
    'eager',
    eagerHooks({ ...opsOf(arch), handle_db: () => KVM_EXIT_DEBUG }, arch === 'x86-vmx'),
  );
}

/**
 * vmcs01 without VM_EXIT_SAVE_DEBUG_CONTROLS (x86-lazy-2014-fixed on VMX): a VM exit no longer saves
 * DR7 into GUEST_DR7, so the sync after a run with DR exits off reads a stale DR7.
 */
export const dr7NotSavedOnExit: Mutant = mutant('vm-exit-save-debug-controls-clear', 'x86-vmx', 'x86-lazy-2014-fixed', {
  ...lazyFixedHooks(vmxOps),
  vcpuLoad(k) {
    k.vcpu.vmExitControls &= ~VM_EXIT_SAVE_DEBUG_CONTROLS;
  },
});

/**
 * `base` with the code after the run loop (vcpu_enter_guest's dirty-DR sync and hw_breakpoint_restore)
 * skipped after a fast-path exit: its guestExit does nothing for reason `fastpath`. Only a run loop
 * that leaves the loop after a fast path (5.10 and 5.15's EXIT_FASTPATH_EXIT_HANDLED) reaches the slip.
 */
export function fastpathExitPathSkipped<V, H>(base: Policy<V, H>): Policy<V, H> {
  const hooks = base.hooks;
  return definePolicy<V, H>({
    name: 'fastpath-no-exit-path',
    arch: base.arch,
    hooks: { ...hooks, guestExit: (k, reason) => (reason === 'fastpath' ? undefined : hooks.guestExit?.(k, reason)) },
  });
}
