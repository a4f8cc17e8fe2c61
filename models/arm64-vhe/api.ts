/**
 * What an arm64 VHE policy file imports, beyond `worldswitch/arm64-nvhe`: the VHE vCPU type, the
 * deferred VM registers and their traps, the OS Lock and PSTATE.SS bits, and the 2017 helpers
 * (loading and saving the VM registers, the VHE run loop, access_vm_reg). Published as `worldswitch/arm64-vhe`.
 */

export { GDB_BCR, KVM_ARM_MAX_DBG_REGS } from '../arm64-nvhe/vmm-debug-events.js';
export type { Arm64VheContext, Arm64VheHooks, Arm64VheHost, Arm64VheVcpu } from './model.js';
export { resetSysRegs } from './model.js';
export { accessorHooks, reset50, vcpuSysReg, vcpuSysRegAccess } from './policies/arm64-vhe-deferred-2017.js';
export { vheTracePolicy, writeTrfcrEl12 } from './policies/trfcr-vhe.js';
export {
  access_vm_reg,
  activate_traps_vhe_load,
  deactivate_traps_vhe_put,
  emulate_sys_reg_2017,
  HCR_HOST_VHE_FLAGS,
  kvm_vcpu_load_2017,
  kvm_vcpu_load_sysregs,
  kvm_vcpu_put_2017,
  kvm_vcpu_put_sysregs,
  kvm_vcpu_run_vhe_enter,
  kvm_vcpu_run_vhe_exit,
  memoryCopy,
  type SysRegAccess,
} from './policies/vhe.js';
export {
  AFSR0_EL1,
  AFSR1_EL1,
  AMAIR_EL1,
  BCR_HMC,
  CONTEXTIDR_EL1,
  DACR32_EL2,
  ESR_EL1,
  FAR_EL1,
  HCR_E2H,
  HCR_EL2,
  HCR_TGE,
  HCR_TRVM,
  HCR_TVM,
  IFSR32_EL2,
  isVmReg,
  MAIR_EL1,
  OSLAR_EL1,
  OSLAR_OSLK,
  OSLSR_EL1,
  OSLSR_OSLK,
  OSLSR_OSLM_IMPLEMENTED,
  SCTLR_C,
  SCTLR_EL1,
  SCTLR_M,
  SPSR_EL2,
  TCR_EL1,
  TTBR0_EL1,
  TTBR1_EL1,
  VM_REGS,
} from './registers.js';
export { TRFCR_EL12 } from './trace.js';
