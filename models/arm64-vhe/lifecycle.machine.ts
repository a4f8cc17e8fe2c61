/**
 * The vCPU lifecycle on an arm64 host with VHE: the host kernel itself runs at EL2, and the world
 * switch (kvm_vcpu_run_vhe) is host code run with DAIF masked (local_daif_mask), so no debug
 * exception reaches it: shown as `hyp`, between the worlds. The EL1 system registers stay on the CPU
 * from vcpu_load to vcpu_put, so the hypervisor's own register accesses while the vCPU is loaded
 * (exit handlers, exception injection) are events. Userspace may debug the vCPU (KVM_SET_GUEST_DEBUG).
 * KVM_RUN's loop is told apart from its return to userspace: after an exit the vCPU stays in the loop
 * (a put there is a preemption, resumed by the next load), and RUN_RETURN leaves it; userspace's
 * ioctls run between KVM_RUNs.
 */
import { vcpuLifecycle } from '../../src/model-kit/vcpu-lifecycle.js';

/** The arm64 VHE vCPU lifecycle machine; hook actions are placeholders a policy provides. */
export const arm64VheLifecycle = vcpuLifecycle({
  id: 'arm64-vhe-vcpu',
  switchContext: 'hyp',
  guestDebug: true,
  hypAccess: true,
  runLoop: true,
});
