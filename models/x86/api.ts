/**
 * What an x86 policy file imports: register ids and bits, the vCPU/host memory types, the
 * KVM_EXIT_DEBUG a #DB exit returns, and the upstream helpers (x86.c common code and the VMX and
 * SVM kvm_x86_ops). Published as `worldswitch/x86`.
 */
export type { X86Context, X86Hooks, X86Host, X86Vcpu } from './model.js';
export {
  emulate_dr_access,
  emulate_general_detect,
  handle_db_payload,
  hw_breakpoint_active,
  hw_breakpoint_restore,
  KVM_DEBUGREG_AUTO_SWITCH,
  KVM_DEBUGREG_BP_ENABLED,
  KVM_DEBUGREG_WONT_EXIT,
  KVM_GUESTDBG_ENABLE,
  KVM_GUESTDBG_SINGLESTEP,
  KVM_GUESTDBG_USE_HW_BP,
  KVM_RUN_LOAD_GUEST_DR6,
  type KvmX86Ops,
  kvm_arch_vcpu_ioctl_set_guest_debug,
  kvm_get_dr,
  kvm_queue_db,
  kvm_set_dr,
  kvm_update_dr7,
  kvm_update_dr0123,
  kvm_vcpu_ioctl_x86_set_debugregs,
  kvm_vcpu_reset,
  load_guest_debug_regs,
  put_guest_debug_regs,
} from './policies/kvm-x86.js';
export { svmOps } from './policies/svm.js';
export { vmxOps } from './policies/vmx.js';
export { lazyHooks } from './policies/x86-lazy-2014.js';
export {
  CPU_BASED_MOV_DR_EXITING,
  DEBUGCTL,
  DEBUGCTLMSR_BTF,
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
  SLOTS,
  SVM_DR_INTERCEPTS,
} from './registers.js';
export { KVM_EXIT_DEBUG } from './vm-switch.js';
