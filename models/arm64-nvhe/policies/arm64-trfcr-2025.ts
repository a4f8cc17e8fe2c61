/**
 * Guest trace filtering as merged upstream (Linux 6.14, arch/arm64/kvm/debug.c and
 * hyp/nvhe/debug-sr.c): the ETM driver hands KVM the guests' TRFCR_EL1 in per-CPU host_data
 * (kvm_tracing_set_el1_configuration), with EL1_TRACING_CONFIGURED set when it differs from the
 * host's; hyp reads host_data directly on every switch, so nothing is copied into the vCPU. The
 * debug registers switch as in arm64-owner-2025, the 6.14 debug-owner code.
 */
import { definePolicy } from '../../../src/engine/policy.js';
import { EL1_TRACING_CONFIGURED, TRBE_ENABLED } from '../kvm-flags.js';
import type { Arm64Context, Arm64Host, Arm64Vcpu } from '../model.js';
import { TRFCR_EL1 } from '../registers.js';
import owner2025 from './arm64-owner-2025.js';

export { EL1_TRACING_CONFIGURED, TRBE_ENABLED };

/** debug.c kvm_tracing_set_el1_configuration, nVHE (called with preemption disabled). */
export function kvm_tracing_set_el1_configuration(k: Arm64Context, trfcrWhileInGuest: number): void {
  k.host.trfcrWhileInGuest = trfcrWhileInGuest;
  if (k.hw.read(TRFCR_EL1) !== trfcrWhileInGuest) k.host.hostDataFlags |= EL1_TRACING_CONFIGURED;
  else k.host.hostDataFlags &= ~EL1_TRACING_CONFIGURED;
}

/** hyp/nvhe/debug-sr.c __trace_needs_switch. */
export const __trace_needs_switch = (k: Arm64Context): boolean => (k.host.hostDataFlags & (TRBE_ENABLED | EL1_TRACING_CONFIGURED)) !== 0;

/** hyp/nvhe/debug-sr.c __trace_switch_to_guest: __trace_do_switch(&host_debug_state.trfcr_el1, trfcr_while_in_guest). */
export function __trace_switch_to_guest(k: Arm64Context): void {
  // Unsupported with TRBE so disable (the TRBE driver's kvm_enable_trbe() is not modelled: never set).
  if (k.host.hostDataFlags & TRBE_ENABLED) k.host.trfcrWhileInGuest = 0;
  k.host.hostTrfcrEl1 = k.hw.read(TRFCR_EL1);
  k.hw.write(TRFCR_EL1, k.host.trfcrWhileInGuest);
  // __trace_needs_drain() is false without TRBE_ENABLED: no isb()/tsb_csync().
}

/** hyp/nvhe/debug-sr.c __trace_switch_to_host: __trace_do_switch(&trfcr_while_in_guest, host_debug_state.trfcr_el1). */
export function __trace_switch_to_host(k: Arm64Context): void {
  k.host.trfcrWhileInGuest = k.hw.read(TRFCR_EL1);
  k.hw.write(TRFCR_EL1, k.host.hostTrfcrEl1);
}

/** The entry path: interrupts off in the run loop, then __kvm_vcpu_run's __debug_save_host_buffers_nvhe. */
function enter(k: Arm64Context): void {
  k.localIrqDisable();
  owner2025.hooks.guestEnter?.(k);
  if (__trace_needs_switch(k)) __trace_switch_to_guest(k);
}

/** After the guest: __debug_restore_host_buffers_nvhe. */
function exit(k: Arm64Context, reason: string): void {
  owner2025.hooks.guestExit?.(k, reason);
  if (__trace_needs_switch(k)) __trace_switch_to_host(k);
}

export default definePolicy<Arm64Vcpu, Arm64Host>({
  name: 'arm64-trfcr-2025',
  arch: 'arm64-nvhe',
  summary: 'guest TRFCR in per-CPU host_data, switched by hyp when EL1_TRACING_CONFIGURED (Linux 6.14)',
  hooks: {
    ...owner2025.hooks,
    setGuestTrace: kvm_tracing_set_el1_configuration,
    guestEnter: enter,
    guestExit: exit,
  },
});
