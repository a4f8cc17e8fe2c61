/**
 * What an x86 policy file imports: register ids and bits, the vCPU/host memory types, the
 * KVM_EXIT_DEBUG a #DB exit returns, and the upstream helpers (x86.c common code and the VMX and
 * SVM kvm_x86_ops). Published as `worldswitch/x86`.
 */
export {
  ERA_5_7,
  ERA_5_10,
  ERA_5_15,
  ERA_6_13,
  ERA_6_17,
  ERA_LTS_2025,
  eraDebugctlAfterIrqs,
  eraSvmDebugctlByHand,
  fastPathReenters,
  KVM_DEBUGREG_FLAGS,
  MSR_IA32_TSC_DEADLINE,
  X2APIC_ICR_MSR,
} from './eras.js';
export type { SvmVcpu, X86Context, X86Hooks, X86Host, X86Vcpu } from './model.js';
export { eagerHooks } from './policies/eager.js';
export {
  emulate_dr_access,
  emulate_general_detect,
  handle_db_payload,
  handle_fastpath_set_msr_irqoff,
  hw_breakpoint_active,
  hw_breakpoint_restore,
  KVM_DEBUGREG_AUTO_SWITCH,
  KVM_DEBUGREG_BP_ENABLED,
  KVM_DEBUGREG_WONT_EXIT,
  KVM_GUESTDBG_ENABLE,
  KVM_GUESTDBG_SINGLESTEP,
  KVM_GUESTDBG_USE_HW_BP,
  KVM_RUN_LOAD_DEBUGCTL,
  KVM_RUN_LOAD_GUEST_DR6,
  type KvmX86Ops,
  kvm_arch_vcpu_ioctl_set_guest_debug,
  kvm_complete_insn_gp,
  kvm_emulate_msr,
  kvm_get_dr,
  kvm_queue_db,
  kvm_set_dr,
  kvm_skip_emulated_instruction,
  kvm_update_dr7,
  kvm_update_dr0123,
  kvm_vcpu_do_singlestep,
  kvm_vcpu_ioctl_x86_set_debugregs,
  kvm_vcpu_reset,
  load_guest_debug_regs,
  put_guest_debug_regs,
  snapshot_host_debugctl,
} from './policies/kvm-x86.js';
export { svm_debugctl_msr, svm_update_lbrv, svmOps } from './policies/svm.js';
export { vmx_debugctl_msr, vmx_guest_debugctl_read, vmx_guest_debugctl_write, vmx_reload_guest_debugctl, vmxOps } from './policies/vmx.js';
export { debugctl_msr, lazyHooks } from './policies/x86-lazy-2014.js';
export {
  CPU_BASED_MOV_DR_EXITING,
  DEBUGCTL,
  DEBUGCTLMSR_BTF,
  DEBUGCTLMSR_FREEZE_IN_SMM,
  DEBUGCTLMSR_LBR,
  DR,
  DR_CONTROLS,
  DR_GLOBAL_ENABLE_MASK,
  DR_STEP,
  DR_TRAP_BITS,
  DR6,
  DR6_ACTIVE_LOW,
  DR6_BD,
  DR6_VOLATILE,
  DR7,
  DR7_BP_EN_MASK,
  DR7_FIXED_1,
  DR7_GD,
  DR7_VOLATILE,
  describeDr6,
  dr7Slot,
  drNumber,
  EXIT_QUAL,
  HSAVE_DEBUGCTL,
  HSAVE_DR6,
  LBR_CTL_ENABLE_MASK,
  SLOTS,
  SVM_DR_INTERCEPTS,
  VM_ENTRY_LOAD_DEBUG_CONTROLS,
  VM_EXIT_SAVE_DEBUG_CONTROLS,
} from './registers.js';
export { KVM_EXIT_DEBUG } from './vm-switch.js';
