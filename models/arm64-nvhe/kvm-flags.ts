/**
 * arm64 KVM flag words as the kernel headers define them, in a module that imports no model or
 * policy: the field tables (fields.ts, loaded with the model) decode them, and the policies that set
 * them import the model, so keeping them here keeps every module loadable first.
 */
import { KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_SINGLESTEP } from '../../src/model-kit/kvm-guestdbg.js';

export { KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_SINGLESTEP };
/** arm64 uapi KVM_GUESTDBG_USE_HW (1 << 17). */
export const KVM_GUESTDBG_USE_HW = 1 << 17;

/** kvm_host.h enum debug_owner. */
export const VCPU_DEBUG_FREE = 0;
export const VCPU_DEBUG_HOST_OWNED = 1;
export const VCPU_DEBUG_GUEST_OWNED = 2;

/** vcpu iflags: the guest's own step state was active-pending / userspace's step state was. */
export const GUEST_SS_ACTIVE_PENDING = 1 << 0;
export const HOST_SS_ACTIVE_PENDING = 1 << 1;

/** kvm_host.h host_data flags (enum kvm_host_data_flags): TRBE_ENABLED, EL1_TRACING_CONFIGURED. */
export const TRBE_ENABLED = 1 << 0;
export const EL1_TRACING_CONFIGURED = 1 << 1;
