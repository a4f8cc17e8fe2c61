/**
 * What an arm64 policy file imports: register ids and bits, the vCPU/host memory types, and the
 * hyp helpers every arm64 world switch shares. Published as `worldswitch/arm64-nvhe`.
 */
export type { Arm64Context, Arm64Hooks, Arm64Host, Arm64Vcpu } from './model.js';
export { isDebugStateReg } from './model.js';
export {
  __activate_traps,
  __deactivate_traps,
  __sysreg_restore_state,
  __sysreg_save_state,
  KVM_ARM64_DEBUG_DIRTY,
  kvm_arm_setup_debug,
  restore_debug,
  save_debug,
  trap_debug_regs,
} from './policies/hyp.js';
export {
  BCR_E,
  DBG_MDSCR_KDE,
  DBG_MDSCR_MDE,
  DBG_MDSCR_SS,
  DBG_SPSR_SS,
  DBGBCR,
  DBGBVR,
  DBGWCR,
  DBGWVR,
  ID_AA64DFR0_EL1,
  MDCCINT_EL1,
  MDCR_EL2,
  MDCR_EL2_HPMN_MASK,
  MDCR_EL2_TDA,
  MDCR_EL2_TDE,
  MDCR_EL2_TDOSA,
  MDCR_EL2_TDRA,
  MDCR_EL2_TPM,
  MDCR_EL2_TPMCR,
  MDSCR_EL1,
  TRBLIMITR_EL1,
  TRFCR_EL1,
  TRFCR_EL2,
  WCR_E,
} from './registers.js';
export {
  TRBLIMITR_EL1_E,
  TRFCR_E0TRE,
  TRFCR_E1TRE,
  TRFCR_EL2_CX,
  TRFCR_ENABLES,
  TRFCR_TS_VIRTUAL,
  traceBufferOf,
  traceFiltOf,
} from './trace.js';
