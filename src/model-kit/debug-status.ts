/**
 * Ghost words of a model whose CPUs latch debug events in a status register (PowerPC DBSR):
 * per CPU, the latched status bits by whom they are owed to, and the bits already delivered; per
 * vCPU, what userspace asked for with KVM_SET_GUEST_DEBUG. Models name their ghost words with
 * these arrays (in this order) so the architecture-neutral invariants can read them.
 */

/** Per-CPU ghost words: status bits owed to the host, owed to the guest's world, spurious, delivered. */
export const STATUS_GHOST = ['statusHost', 'statusGuest', 'statusSpurious', 'statusDelivered'] as const;
export const STATUS_HOST = 0;
export const STATUS_GUEST = 1;
export const STATUS_SPURIOUS = 2;
export const STATUS_DELIVERED = 3;

/** Per-vCPU ghost words: userspace debug flags (`VMM_DEBUG_*`). */
export const VMM_GHOST = ['vmmDebug'] as const;
export const VMM_DEBUG = 0;
/** KVM_GUESTDBG_ENABLE was set. */
export const VMM_DEBUG_ENABLE = 1;
/** ... with hardware breakpoints (KVM_GUESTDBG_USE_HW_BP). */
export const VMM_DEBUG_HW = 2;
/** ... single-stepping the guest (KVM_GUESTDBG_SINGLESTEP). */
export const VMM_DEBUG_STEP = 4;
