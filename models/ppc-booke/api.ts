/**
 * What a Book E policy file imports: register ids and bits, the vCPU/host memory types, the
 * KVM_EXIT_DEBUG a debug exit returns, and the upstream helpers (the run loop's way in and out, the
 * exit handler, the debug SPR emulation). Published as `worldswitch/ppc-booke`.
 */
export { KVM_EXIT_DEBUG, SWITCH_CODE } from './debug-interrupt.js';
export type { BookeContext, BookeHooks, BookeHost, BookeVcpu } from './model.js';
export { GUEST_DEBUG_REGS } from './model.js';
export {
  KVM_GUESTDBG_ENABLE,
  KVM_GUESTDBG_USE_HW_BP,
  kvm_arch_vcpu_ioctl_set_guest_debug,
  kvmppc_booke_emulate_mfspr,
  kvmppc_booke_emulate_mtspr,
  kvmppc_booke_vcpu_put,
  kvmppc_clear_dbsr,
  kvmppc_emulate,
  kvmppc_handle_exit,
  kvmppc_lightweight_exit,
  kvmppc_vcpu_run_enter,
  kvmppc_vcpu_run_return,
  kvmppc_vcpu_sync_debug,
  prime_debug_regs,
  switch_booke_debug_regs,
} from './policies/ppc-booke-2014.js';
export { ioctl_debug_guest_2008, kvmppc_enter_2008, kvmppc_shadow_msr_2008 } from './policies/ppc-booke-gdb-2008.js';
export {
  CSRR0,
  DAC,
  DBCR0,
  DBCR0_DAC,
  DBCR0_EDM,
  DBCR0_GUEST_MASK,
  DBCR0_IAC,
  DBCR0_IDM,
  DBCR1,
  DBCR1_DEFAULT,
  DBCR1_IAC1US,
  DBCR1_IAC2US,
  DBCR1_IAC3US,
  DBCR1_IAC4US,
  DBCR1_IACUS,
  DBCR2,
  DBCR2_DAC1US,
  DBCR2_DAC2US,
  DBCR2_DACUS,
  DBCR2_DEFAULT,
  DBSR,
  DBSR_DAC,
  DBSR_EVENTS,
  DBSR_IAC,
  DBSR_IAC1,
  DBSR_IAC2,
  DBSR_IAC3,
  DBSR_IAC4,
  DBSR_IDE,
  describeDbsr,
  IAC,
  MSR,
  MSR_DE,
} from './registers.js';
