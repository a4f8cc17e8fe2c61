/**
 * What an ARMv7 policy file imports: register ids and bits, the vCPU/host memory types, and the
 * world-switch helpers the 2015 series shares. Published as `worldswitch/armv7`.
 */
export { DBG_REG_KINDS, type DbgRegKind, dbgRegId, dbgRegOf } from '../arm-slots.js';
export type { Armv7Context, Armv7Hooks, Armv7Host, Armv7Vcpu } from './model.js';
export {
  any_ctrl_enabled,
  emulate_cp14_32,
  GUEST_LIVE,
  HDCR_DEBUG_TRAPS,
  host_ctrl_enabled,
  KVM_ARM_DEBUG_DIRTY,
  restore_debug_state,
  save_debug_state,
  set_hdcr_vmentry,
  set_hdcr_vmexit,
  switch_to_guest,
  switch_to_host,
  switchWhenEnabled,
  trap_debug32,
  trap_raz_wi,
} from './policies/hyp.js';
export {
  ARM_BREAKPOINT_LEN_4,
  ARM_BREAKPOINT_LOAD,
  ARM_BREAKPOINT_PRIV,
  ARM_BREAKPOINT_STORE,
  ARM_BREAKPOINT_USER,
  ARM_DSCR_HDBGEN,
  ARM_DSCR_MDBGEN,
  BCR_MISMATCH,
  bcr,
  CTRL_E,
  DBGBCR,
  DBGBVR,
  DBGDIDR,
  DBGDSCRext,
  DBGVCR,
  DBGVCR_NSI,
  DBGWCR,
  DBGWVR,
  didrCounts,
  HDCR,
  HDCR_HPMN_MASK,
  HDCR_TDA,
  HDCR_TDE,
  HDCR_TDOSA,
  HDCR_TDRA,
  HDCR_TPM,
  HDCR_TPMCR,
  MAX_SLOTS,
  wcr,
} from './registers.js';
