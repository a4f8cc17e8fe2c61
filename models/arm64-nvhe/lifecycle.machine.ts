/**
 * The vCPU lifecycle on an arm64 host without VHE: the host kernel runs at EL1, the world switch
 * (__guest_run) runs at EL2 ("hyp"), and a trapped system-register access is a full exit whose
 * handler runs in the host (kvm_handle_sys_reg) before the entry path runs again.
 */
import { vcpuLifecycle } from '../../src/model-kit/vcpu-lifecycle.js';

/** The arm64 nVHE vCPU lifecycle machine; hook actions are placeholders a policy provides. */
export const arm64NvheLifecycle = vcpuLifecycle({ id: 'arm64-nvhe-vcpu', switchContext: 'hyp', guestDebug: false });
