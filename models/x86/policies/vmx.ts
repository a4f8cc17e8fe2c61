/** The VMX side of KVM's debug-register handling (Linux arch/x86/kvm/vmx/vmx.c, as of 6.17). */
import type { TrapParams } from '../../../src/engine/policy.js';
import type { X86Context } from '../model.js';
import {
  CPU_BASED_MOV_DR_EXITING,
  DEBUGCTL,
  DEBUGCTLMSR_FREEZE_IN_SMM,
  DEBUGCTLMSR_LBR,
  DR,
  DR_CONTROLS,
  DR6,
  DR6_ACTIVE_LOW,
  DR7,
  EXIT_QUAL,
  SLOTS,
} from '../registers.js';
import {
  emulate_dr_access,
  emulate_general_detect,
  handle_db_payload,
  KVM_DEBUGREG_WONT_EXIT,
  KVM_RUN_LOAD_DEBUGCTL,
  KVM_RUN_LOAD_GUEST_DR6,
  type KvmX86Ops,
  kvm_complete_insn_gp,
} from './kvm-x86.js';

/** exec_controls_setbit / exec_controls_clearbit on CPU_BASED_MOV_DR_EXITING. */
export function vmx_mov_dr_exiting(k: X86Context, on: boolean): void {
  const ctl = k.vcpu.vmcs[DR_CONTROLS] as number;
  k.vcpu.vmcs[DR_CONTROLS] = (on ? ctl | CPU_BASED_MOV_DR_EXITING : ctl & ~CPU_BASED_MOV_DR_EXITING) >>> 0;
}

/** vmx_sync_dirty_debug_regs. */
export function vmx_sync_dirty_debug_regs(k: X86Context): void {
  for (let i = 0; i < SLOTS; i++) k.vcpu.arch[DR(i)] = k.hw.read(DR(i));
  k.vcpu.arch[DR6] = k.hw.read(DR6);
  k.vcpu.arch[DR7] = k.vcpu.vmcs[DR7] as number; // vmcs_readl(GUEST_DR7)
  k.vcpu.switchDbRegs &= ~KVM_DEBUGREG_WONT_EXIT;
  vmx_mov_dr_exiting(k, true);
  // do_debug expects dr6 to be cleared after it runs, avoid that it sees a stale dr6 from the guest.
  k.hw.write(DR6, DR6_ACTIVE_LOW); // set_debugreg(DR6_RESERVED, 6)
}

/** handle_dr (CPL 0 guest code; kvm_require_dr and #GP checks not modelled). */
export function handle_dr(k: X86Context, p: TrapParams): number | undefined {
  // A #DB(BD) is a fault: the MOV is not executed, so nothing is skipped (`return 1`).
  if (emulate_general_detect(k, vmxOps, k.vcpu.vmcs[DR7] as number)) return undefined;
  if (k.vcpu.guestDebug === 0) {
    vmx_mov_dr_exiting(k, false);
    // No more DR vmexits; force a reload of the debug registers and reenter on this instruction. The
    // next vmexit will retrieve the full state of the debug registers.
    k.vcpu.switchDbRegs |= KVM_DEBUGREG_WONT_EXIT;
    p.retry = true; // return 1 without skipping the instruction
    return undefined;
  }
  emulate_dr_access(k, vmxOps, p);
  return kvm_complete_insn_gp(k, vmxOps);
}

/** vmx.h vmx_guest_debugctl_write: the guest's value with the host's FREEZE_IN_SMM (6.17). */
export function vmx_guest_debugctl_write(k: X86Context, val: number): void {
  if (val & DEBUGCTLMSR_FREEZE_IN_SMM) k.warn('WARN_ON_ONCE(val & DEBUGCTLMSR_FREEZE_IN_SMM)');
  k.vcpu.vmcs[DEBUGCTL] = (val | (k.vcpu.hostDebugctl & DEBUGCTLMSR_FREEZE_IN_SMM)) >>> 0;
}

/** vmx.h vmx_guest_debugctl_read. */
export const vmx_guest_debugctl_read = (k: X86Context): number => ((k.vcpu.vmcs[DEBUGCTL] as number) & ~DEBUGCTLMSR_FREEZE_IN_SMM) >>> 0;

/** vmx.h vmx_reload_guest_debugctl. */
export function vmx_reload_guest_debugctl(k: X86Context): void {
  const val = k.vcpu.vmcs[DEBUGCTL] as number;
  if (!((val ^ k.vcpu.hostDebugctl) & DEBUGCTLMSR_FREEZE_IN_SMM)) return;
  vmx_guest_debugctl_write(k, (val & ~DEBUGCTLMSR_FREEZE_IN_SMM) >>> 0);
}

/**
 * vmx_set_msr / vmx_get_msr for MSR_IA32_DEBUGCTLMSR: the guest may set LBR (vmx_get_supported_debugctl
 * with guest LBRs enabled); other bits are outside the modelled domain.
 */
export function vmx_debugctl_msr(k: X86Context, p: TrapParams): void {
  if (p.isWrite) vmx_guest_debugctl_write(k, (p.regval & DEBUGCTLMSR_LBR) >>> 0);
  else p.regval = vmx_guest_debugctl_read(k);
}

/** The kvm_x86_ops of VMX. */
export const vmxOps: KvmX86Ops = {
  set_dr7(k, value) {
    k.vcpu.vmcs[DR7] = value; // vmcs_writel(GUEST_DR7, val)
  },
  dr_exits: vmx_mov_dr_exiting,
  sync_dirty_debug_regs: vmx_sync_dirty_debug_regs,
  handle_dr,
  // vmx_skip_emulated_instruction: RIP (VM_EXIT_INSTRUCTION_LEN) and the interrupt shadow, not modelled.
  skip_emulated_instruction() {},
  handle_db: (k) => handle_db_payload(k, vmxOps, k.hw.read(EXIT_QUAL)),
  run_enter(k, run_flags) {
    if (run_flags & KVM_RUN_LOAD_GUEST_DR6) k.hw.write(DR6, k.vcpu.arch[DR6] as number);
    vmxOps.debugctl_enter(k, run_flags);
  },
  run_exit: (k) => vmxOps.debugctl_exit(k),
  // vmx_vcpu_reset: init_vmcs (the MOV-DR exiting control) runs at RESET only (__vmx_vcpu_reset), not at INIT.
  vcpu_reset() {},
  debugctl_enter(k, run_flags) {
    if (run_flags & KVM_RUN_LOAD_DEBUGCTL) vmx_reload_guest_debugctl(k);
  },
  debugctl_exit(k) {
    // MSR_IA32_DEBUGCTLMSR is zeroed on vmexit. Restore it if needed.
    if (k.vcpu.hostDebugctl) k.hw.write(DEBUGCTL, k.vcpu.hostDebugctl);
  },
  HOST_OWNED_DEBUGCTL: DEBUGCTLMSR_FREEZE_IN_SMM,
  handle_debugctl: vmx_debugctl_msr,
  vcpu_load_6_13(k) {
    k.vcpu.hostDebugctl = k.hw.read(DEBUGCTL); // vmx->host_debugctlmsr = get_debugctlmsr()
  },
  handle_debugctl_6_13(k, p) {
    // vmx_set_msr / vmx_get_msr before 6.17: vmcs_write64(GUEST_IA32_DEBUGCTL, data) / vmcs_read64.
    if (p.isWrite) k.vcpu.vmcs[DEBUGCTL] = (p.regval & DEBUGCTLMSR_LBR) >>> 0;
    else p.regval = k.vcpu.vmcs[DEBUGCTL] as number;
  },
};
