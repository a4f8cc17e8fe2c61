/**
 * The upstream 6.14 debug-owner design on a host without VHE: ownership (FREE / GUEST_OWNED here,
 * since this model has neither KVM_SET_GUEST_DEBUG nor the OS Lock) and MDCR_EL2 decided at
 * vcpu_load, the first trapped access promoting FREE to GUEST_OWNED, and the hyp world switch
 * (__kvm_vcpu_run) swapping the debug registers only while someone owns them.
 */
import { definePolicy } from '../../../src/engine/policy.js';
import { type Arm64Context, type Arm64Host, type Arm64Vcpu, commonCode } from '../model.js';
import { debug_switch_to_guest, debug_switch_to_host, kvm_vcpu_load_debug, trap_debug_owner } from './debug-owner.js';

/** No OS Lock in this model: never locked. */
const unlocked = (): boolean => false;

/** kvm_arch_vcpu_load's debug part (kvm_vcpu_load_debug). */
const load = (k: Arm64Context): void => kvm_vcpu_load_debug(k, unlocked);

export default definePolicy<Arm64Vcpu, Arm64Host>({
  name: 'arm64-owner-2025',
  arch: 'arm64-nvhe',
  summary: 'upstream 6.14 debug owner (FREE / GUEST_OWNED at vcpu_load, promoted on the first trap), nVHE world switch',
  hooks: {
    vcpuLoad: load,
    guestEnter: (k) => debug_switch_to_guest(k),
    guestExit: (k) => debug_switch_to_host(k),
    trap: (k, p) => trap_debug_owner(k, p),
    // KVM_SET_ONE_REG, then the vcpu_load of the next KVM_RUN decides ownership again.
    setReg(k, reg, value) {
      commonCode.setReg(k, reg, value);
      load(k);
    },
    // kvm_reset_vcpu: kvm_reset_sys_regs, then the load that follows.
    vcpuReset(k) {
      commonCode.vcpuReset(k);
      load(k);
    },
  },
});
