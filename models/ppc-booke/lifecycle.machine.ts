/**
 * The vCPU lifecycle of KVM on a Book E host without hypervisor mode (BookE-PR, 440/e500v2): the
 * world switch is host kernel code (kvm_arch_vcpu_ioctl_run, __kvmppc_vcpu_run), shown as the
 * `entering` / `exiting` states ("hyp": between the worlds, host claims resume when it returns).
 * Every guest interrupt is an exit to KVM: a debug interrupt taken in the guest exits with reason
 * `debug`, and when userspace debugs the vCPU the exit returns to it as KVM_EXIT_DEBUG (`loaded`).
 * An emulated privileged instruction (mfmsr/mtmsr) is a full exit whose handler runs in the host.
 */
import { vcpuLifecycle } from '../../src/vcpu-lifecycle.js';

/** The Book E vCPU lifecycle machine; hook actions are placeholders a policy provides. */
export const bookeLifecycle = vcpuLifecycle({ id: 'ppc-booke-vcpu', switchContext: 'hyp', guestDebug: true });
