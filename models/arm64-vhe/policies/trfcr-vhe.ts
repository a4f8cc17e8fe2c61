/**
 * Guest trace filtering on VHE, for both the 2023 series and Linux 6.14: the host reaches the
 * guests' TRFCR_EL1 directly as TRFCR_EL12, so the trace driver's call into KVM writes it at once
 * and the world switch never touches trace ("For VHE, TRFCR_EL1 is written immediately. Because
 * guest writes to the register are trapped, the value will persist"). The debug-register switch
 * underneath is arm64-owner-2025's (6.17's save of the host's MDCR_EL2: 6.14's own, in
 * arm64-owner-2025-6.14, would end every search at its 2-step MDCR_EL2 bug before any trace bug), with
 * the run loop's local_irq_disable() marked.
 */
import { definePolicy, type Policy } from '../../../src/engine/policy.js';

import type { Arm64VheContext, Arm64VheHost, Arm64VheVcpu } from '../model.js';
import { TRFCR_EL12 } from '../trace.js';
import owner2025 from './arm64-owner-2025.js';

/** debug.c (VHE branch of kvm_etm_set_guest_trfcr, 2023, and kvm_tracing_set_el1_configuration, 6.14). */
export function writeTrfcrEl12(k: Arm64VheContext, trfcrWhileInGuest: number): void {
  k.hw.write(TRFCR_EL12, trfcrWhileInGuest);
}

/** A VHE trace policy: arm64-owner-2025's hooks, `setGuestTrace` as given, interrupts off before entry. */
export function vheTracePolicy(name: string, summary: string, setGuestTrace = writeTrfcrEl12): Policy<Arm64VheVcpu, Arm64VheHost> {
  const { guestEnter } = owner2025.hooks;
  return definePolicy<Arm64VheVcpu, Arm64VheHost>({
    name,
    arch: 'arm64-vhe',
    summary,
    hooks: {
      ...owner2025.hooks,
      setGuestTrace,
      guestEnter(k) {
        k.localIrqDisable();
        guestEnter?.(k);
      },
    },
  });
}
