/**
 * The architecture-neutral KVM_SET_GUEST_DEBUG control bits (uapi/linux/kvm.h). The hardware
 * breakpoint bit is per architecture (`KVM_GUESTDBG_USE_HW` on arm64, `KVM_GUESTDBG_USE_HW_BP` on
 * x86 and PowerPC, both bit 17): each architecture's entry point exports it.
 */

/** uapi/linux/kvm.h KVM_GUESTDBG_ENABLE. */
export const KVM_GUESTDBG_ENABLE = 0x00000001;
/** uapi/linux/kvm.h KVM_GUESTDBG_SINGLESTEP. */
export const KVM_GUESTDBG_SINGLESTEP = 0x00000002;
