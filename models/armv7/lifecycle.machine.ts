/**
 * The vCPU lifecycle on 32-bit KVM/arm: the host kernel runs in SVC mode (Non-secure PL1), the
 * world switch (__kvm_vcpu_run in interrupts.S) runs in Hyp mode, and a trapped CP14 access is a
 * full exit whose handler runs in the host (kvm_handle_cp14_32) before the entry path runs again.
 */
import { vcpuLifecycle } from '../../src/model-kit/vcpu-lifecycle.js';

/** The ARMv7 vCPU lifecycle machine; hook actions are placeholders a policy provides. */
export const armv7Lifecycle = vcpuLifecycle({ id: 'armv7-vcpu', switchContext: 'hyp', guestDebug: false });
