/**
 * The vCPU lifecycle on an arm64 host without VHE: the host kernel runs at EL1, the world switch
 * (__guest_run) runs at EL2 ("hyp"), and a trapped system-register access is a full exit whose
 * handler runs in the host (kvm_handle_sys_reg) before the entry path runs again. With `--gdb 1`,
 * userspace may debug the vCPU (KVM_SET_GUEST_DEBUG), and KVM_RUN's loop is told apart from its return
 * to userspace, as on VHE: arm.c's run loop is the same code on both hosts.
 */
import { vcpuLifecycle } from '../../src/model-kit/vcpu-lifecycle.js';

/** The arm64 nVHE vCPU lifecycle machine; hook actions are placeholders a policy provides. */
export const arm64NvheLifecycle = vcpuLifecycle({ id: 'arm64-nvhe-vcpu', switchContext: 'hyp', guestDebug: false });

/** The same with KVM_SET_GUEST_DEBUG and 6.14's run loop (`--gdb 1`). */
export const arm64NvheGdbLifecycle = vcpuLifecycle({ id: 'arm64-nvhe-vcpu', switchContext: 'hyp', guestDebug: true, runLoop: true });
