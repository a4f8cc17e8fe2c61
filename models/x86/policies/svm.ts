/** The SVM side of KVM's debug-register handling (Linux arch/x86/kvm/svm/svm.c, as of 6.17; no SEV-ES). */
import type { TrapParams } from '../../../src/engine/policy.js';
import { eraSvmDebugctlByHand } from '../eras.js';
import type { X86Context } from '../model.js';
import {
  DEBUGCTL,
  DEBUGCTLMSR_LBR,
  DR,
  DR_CONTROLS,
  DR6,
  DR6_ACTIVE_LOW,
  DR7,
  LBR_CTL_ENABLE_MASK,
  SLOTS,
  SVM_DR_INTERCEPTS,
} from '../registers.js';
import {
  emulate_dr_access,
  handle_db_payload,
  KVM_DEBUGREG_WONT_EXIT,
  KVM_RUN_LOAD_GUEST_DR6,
  type KvmX86Ops,
  kvm_complete_insn_gp,
} from './kvm-x86.js';

/** set_dr_intercepts / clr_dr_intercepts. */
export function svm_dr_intercepts(k: X86Context, on: boolean): void {
  k.vcpu.vmcs[DR_CONTROLS] = on ? SVM_DR_INTERCEPTS : 0;
}

/** svm_sync_dirty_debug_regs. */
export function svm_sync_dirty_debug_regs(k: X86Context): void {
  for (let i = 0; i < SLOTS; i++) k.vcpu.arch[DR(i)] = k.hw.read(DR(i));
  k.vcpu.arch[DR6] = k.vcpu.vmcs[DR6] as number; // svm->vmcb->save.dr6
  k.vcpu.arch[DR7] = k.vcpu.vmcs[DR7] as number;
  k.vcpu.switchDbRegs &= ~KVM_DEBUGREG_WONT_EXIT;
  svm_dr_intercepts(k, true);
}

/** dr_interception (with decode assists). */
export function dr_interception(k: X86Context, p: TrapParams): number | undefined {
  if (k.vcpu.guestDebug === 0) {
    // No more DR vmexits; force a reload of the debug registers and reenter on this instruction. The
    // next vmexit will retrieve the full state of the debug registers.
    svm_dr_intercepts(k, false);
    k.vcpu.switchDbRegs |= KVM_DEBUGREG_WONT_EXIT;
    p.retry = true; // return 1 without skipping the instruction
    return undefined;
  }
  emulate_dr_access(k, svmOps, p);
  return kvm_complete_insn_gp(k, svmOps);
}

/** svm_update_lbrv: LBR virtualisation on while the guest's DEBUGCTL has LBR (no nested guests). */
export function svm_update_lbrv(k: X86Context): void {
  const enable = ((k.vcpu.vmcs[DEBUGCTL] as number) & DEBUGCTLMSR_LBR) !== 0;
  k.vcpu.virtExt = enable ? k.vcpu.virtExt | LBR_CTL_ENABLE_MASK : k.vcpu.virtExt & ~LBR_CTL_ENABLE_MASK;
}

/**
 * svm_set_msr / svm_get_msr for MSR_IA32_DEBUGCTLMSR: without the `lbrv` parameter the write is dropped
 * (kvm_pr_unimpl_wrmsr); otherwise it goes to the VMCB's save.dbgctl and svm_update_lbrv runs.
 */
export function svm_debugctl_msr(k: X86Context, p: TrapParams): void {
  if (!p.isWrite) {
    p.regval = k.vcpu.vmcs[DEBUGCTL] as number;
    return;
  }
  if (!k.host.lbrv) return;
  if (k.vcpu.vmcs[DEBUGCTL] === p.regval) return;
  k.vcpu.vmcs[DEBUGCTL] = p.regval;
  svm_update_lbrv(k);
}

/** Whether KVM switches DEBUGCTL by hand around VMRUN (svm_vcpu_run, 6.14+): LBRV off and the values differ. */
const manualDebugctl = (k: X86Context): boolean =>
  !(k.vcpu.virtExt & LBR_CTL_ENABLE_MASK) && k.vcpu.hostDebugctl !== (k.vcpu.vmcs[DEBUGCTL] as number);

/** The kvm_x86_ops of SVM. */
export const svmOps: KvmX86Ops = {
  set_dr7(k, value) {
    k.vcpu.vmcs[DR7] = value; // svm->vmcb->save.dr7
  },
  dr_exits: svm_dr_intercepts,
  sync_dirty_debug_regs: svm_sync_dirty_debug_regs,
  handle_dr: dr_interception,
  // svm_skip_emulated_instruction: RIP (next_rip) and the interrupt shadow, not modelled.
  skip_emulated_instruction() {},
  // db_interception: payload = svm->vmcb->save.dr6 ^ DR6_ACTIVE_LOW.
  handle_db: (k) => handle_db_payload(k, svmOps, ((k.vcpu.vmcs[DR6] as number) ^ DR6_ACTIVE_LOW) >>> 0),
  run_enter(k, run_flags) {
    // Run with all-zero DR6 unless the guest can write DR6 freely, so that KVM can get the exact cause of a #DB.
    if (run_flags & KVM_RUN_LOAD_GUEST_DR6) k.vcpu.vmcs[DR6] = k.vcpu.arch[DR6] as number;
    else if (!(k.vcpu.switchDbRegs & KVM_DEBUGREG_WONT_EXIT)) k.vcpu.vmcs[DR6] = DR6_ACTIVE_LOW;
    // Before 6.14, and in late 6.1.y/6.6.y (x86-era 1 to 5), svm_vcpu_run left DEBUGCTL to LBR virtualisation.
    if (eraSvmDebugctlByHand(k.host.era)) svmOps.debugctl_enter(k, run_flags);
  },
  run_exit(k) {
    if (eraSvmDebugctlByHand(k.host.era)) svmOps.debugctl_exit(k);
  },
  // svm_vcpu_reset -> init_vmcb (INIT too) -> set_dr_intercepts(): DR exits back on; switch_db_regs keeps WONT_EXIT.
  vcpu_reset: (k) => svm_dr_intercepts(k, true),
  debugctl_enter(k) {
    // Hardware only context switches DEBUGCTL if LBR virtualization is enabled: load it by hand.
    if (manualDebugctl(k)) k.hw.write(DEBUGCTL, k.vcpu.vmcs[DEBUGCTL] as number);
  },
  debugctl_exit(k) {
    if (manualDebugctl(k)) k.hw.write(DEBUGCTL, k.vcpu.hostDebugctl);
  },
  HOST_OWNED_DEBUGCTL: 0,
  handle_debugctl: svm_debugctl_msr,
  vcpu_load_6_13() {},
  // 6.13's svm_set_msr differs only for BTF (suppressed since 6.14), which the modelled guest never writes.
  handle_debugctl_6_13: svm_debugctl_msr,
};
