/**
 * "[PATCH v1] arm64: KVM: Add interface to set guest value for TRFCR register" (James Clark, Sep 2023)
 * with its nVHE switch (patch 4/5) as posted: the ETM driver stores the guests' TRFCR_EL1 per CPU,
 * the run loop copies it into the vCPU with interrupts disabled, and hyp swaps TRFCR_EL1 when host
 * and guest values differ. The breakpoint switch underneath is arm64-dirty-2015's.
 */
import { definePolicy } from '../../../src/engine/policy.js';
import type { Arm64Context, Arm64Host, Arm64Vcpu } from '../model.js';
import { ID_AA64DFR0_EL1, MDCR_EL2_TTRF, TRBLIMITR_EL1, TRFCR_EL1 } from '../registers.js';
import { TRBLIMITR_EL1_E, traceBufferOf, traceFiltOf } from '../trace.js';
import { debugSr2015 } from './arm64-dirty-2015.js';
import { guest_run_enter, guest_run_exit, trap_debug_regs } from './hyp.js';

/** kvm_host.h iflags DEBUG_STATE_SAVE_TRFCR (BIT(6) there; bit 1 of this model's debugFlags, bit 0 being DEBUG_DIRTY). */
export const DEBUG_STATE_SAVE_TRFCR = 1 << 1;

/**
 * debug.c kvm_arch_vcpu_load_debug_state_flags (v1 4/5): the flag is set when TRBE is implemented
 * (TRBIDR_EL1.P is 0 on the modelled CPU: the host owns TRBE) and also when FEAT_TRF is.
 */
export function kvm_arch_vcpu_load_debug_state_flags(k: Arm64Context): void {
  const dfr0 = k.hw.read(ID_AA64DFR0_EL1);
  if (traceBufferOf(dfr0)) k.vcpu.debugFlags |= DEBUG_STATE_SAVE_TRFCR;
  if (traceFiltOf(dfr0)) k.vcpu.debugFlags |= DEBUG_STATE_SAVE_TRFCR;
}

/** debug.c kvm_arch_vcpu_put_debug_state_flags. */
export function kvm_arch_vcpu_put_debug_state_flags(k: Arm64Context): void {
  k.vcpu.debugFlags &= ~DEBUG_STATE_SAVE_TRFCR;
}

/** debug.c kvm_etm_set_guest_trfcr, nVHE: `*this_cpu_ptr(&guest_trfcr) = trfcr_guest`. */
export function kvm_etm_set_guest_trfcr(k: Arm64Context, trfcrGuest: number): void {
  k.host.trfcrWhileInGuest = trfcrGuest;
}

/** debug.c kvm_etm_update_vcpu_events: "must be called before every vcpu run after disabling interrupts". */
export function kvm_etm_update_vcpu_events(k: Arm64Context): void {
  if (k.vcpu.debugFlags & DEBUG_STATE_SAVE_TRFCR) k.vcpu.guestTrfcrEl1 = k.host.trfcrWhileInGuest;
}

/** hyp/nvhe/debug-sr.c __debug_save_trace (v1 4/5): TRBLIMITR_EL1 is read whenever the flag is set. */
function __debug_save_trace(k: Arm64Context): void {
  k.vcpu.hostDebugState[TRFCR_EL1] = k.hw.read(TRFCR_EL1);
  if (k.hw.read(TRBLIMITR_EL1) & TRBLIMITR_EL1_E) {
    // Prohibit trace generation while in the guest; isb(); tsb_csync() drain the buffer.
    k.vcpu.guestTrfcrEl1 = 0;
    k.hw.write(TRFCR_EL1, 0);
  } else if (k.vcpu.guestTrfcrEl1 !== k.vcpu.hostDebugState[TRFCR_EL1]) {
    k.hw.write(TRFCR_EL1, k.vcpu.guestTrfcrEl1);
  }
}

/** hyp/nvhe/debug-sr.c __debug_restore_trace (v1 4/5). */
export function __debug_restore_trace(k: Arm64Context): void {
  if (k.vcpu.hostDebugState[TRFCR_EL1] !== k.vcpu.guestTrfcrEl1) k.hw.write(TRFCR_EL1, k.vcpu.hostDebugState[TRFCR_EL1] as number);
}

/** hyp/nvhe/debug-sr.c __debug_save_host_buffers_nvhe (trace part; SPE is not modelled). */
export function __debug_save_host_buffers_nvhe(k: Arm64Context): void {
  if (k.vcpu.debugFlags & DEBUG_STATE_SAVE_TRFCR) __debug_save_trace(k);
}

/** hyp/nvhe/debug-sr.c __debug_restore_host_buffers_nvhe (trace part). */
export function __debug_restore_host_buffers_nvhe(k: Arm64Context): void {
  if (k.vcpu.debugFlags & DEBUG_STATE_SAVE_TRFCR) __debug_restore_trace(k);
}

/**
 * arm.c kvm_arch_vcpu_ioctl_run from local_irq_disable() on, then __kvm_vcpu_run: the vCPU's copy
 * is refreshed with interrupts off, so no trace session change can land between copy and entry.
 */
export function trfcr2023Enter(k: Arm64Context): void {
  k.localIrqDisable();
  kvm_etm_update_vcpu_events(k);
  // The series applies to 6.6-rc, whose kvm_arm_setup_mdcr_el2 traps TRFCR_EL1 (TTRF, a354a64d91ee, 5.12).
  guest_run_enter(k, debugSr2015, MDCR_EL2_TTRF);
  __debug_save_host_buffers_nvhe(k);
}

/** __kvm_vcpu_run after the guest exits: the host's debug state, then its trace filter. */
export function trfcr2023Exit(k: Arm64Context): void {
  guest_run_exit(k, debugSr2015);
  __debug_restore_host_buffers_nvhe(k);
}

export default definePolicy<Arm64Vcpu, Arm64Host>({
  name: 'arm64-trfcr-2023',
  arch: 'arm64-nvhe',
  summary: 'guest TRFCR per CPU, copied into the vCPU before each run (v1 as posted: reads TRBLIMITR_EL1 without TRBE)',
  hooks: {
    vcpuLoad: kvm_arch_vcpu_load_debug_state_flags,
    vcpuPut: kvm_arch_vcpu_put_debug_state_flags,
    setGuestTrace: kvm_etm_set_guest_trfcr,
    guestEnter: trfcr2023Enter,
    guestExit: trfcr2023Exit,
    trap: trap_debug_regs,
  },
  scope: {
    oslock: {
      values: [0],
      why: "the debug switch here is 4.5's (arm64-dirty-2015's), without the OS Lock emulation the 2023 kernel had (5.18: trap_oslar_el1, OSLSR_EL1 in sys_regs[], MDE masked while locked); arm64-trfcr-2025 models 6.14's",
    },
  },
});
