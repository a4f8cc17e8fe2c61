/**
 * The upstream 6.14 debug-owner design on a host without VHE: ownership (FREE / GUEST_OWNED, and
 * HOST_OWNED while userspace debugs the vCPU with `--gdb 1` or its OS Lock is locked with `--oslock 1`:
 * OSLAR_EL1 trapped by TDOSA, OSLSR_EL1.OSLK kept in memory, ownership decided again) and MDCR_EL2
 * decided at vcpu_load, the first trapped access promoting FREE to GUEST_OWNED, and the hyp world
 * switch (__kvm_vcpu_run) swapping the debug registers only while someone owns them: userspace's
 * (external_debug_state) while the host owns them. Userspace single-step: the step state taken over
 * at vcpu_load and given back at vcpu_put (kvm_vcpu_load_debug / kvm_vcpu_put_debug), the guest's
 * PSTATE in SPSR_EL2 from entry to exit, re-armed after a step exit (kvm_handle_guest_debug) and
 * advanced past an emulated instruction (kvm_skip_instr).
 */
import { definePolicy, type TrapParams } from '../../../src/engine/policy.js';
import { type Arm64Context, type Arm64Host, type Arm64Vcpu, commonCode } from '../model.js';
import { OSLAR_EL1, OSLSR_EL1, OSLSR_OSLK, SPSR_EL2 } from '../registers.js';
import {
  debug_switch_to_guest,
  debug_switch_to_host,
  kvm_arch_vcpu_ioctl_set_guest_debug,
  kvm_handle_guest_debug,
  kvm_skip_instr,
  kvm_vcpu_load_debug,
  kvm_vcpu_put_debug,
  trap_debug_owner,
  trap_os_lock,
} from './debug-owner.js';

const OS_LOCK = { oslar: OSLAR_EL1, oslsr: OSLSR_EL1 };

/**
 * kvm_vcpu_os_lock_enabled: OSLSR_EL1.OSLK of the memory copy (__vcpu_sys_reg). The register is in
 * the model with `--oslock 1` only; without it the lock is never taken.
 */
const kvm_vcpu_os_lock_enabled = (v: Arm64Vcpu): boolean => ((v.ctxt[OSLSR_EL1] ?? 0) & OSLSR_OSLK) !== 0;

/** kvm_arch_vcpu_load's debug part (kvm_vcpu_load_debug). */
const load = (k: Arm64Context): void => kvm_vcpu_load_debug(k, kvm_vcpu_os_lock_enabled);

/** kvm_arch_vcpu_put's debug part (kvm_vcpu_put_debug: the step state back to the guest). */
const put = (k: Arm64Context): void => kvm_vcpu_put_debug(k);

/** The 6.14 sys_regs.c handlers for the trapped registers the model has, then the skip past the instruction. */
function trap(k: Arm64Context, p: TrapParams): void {
  if (!trap_os_lock(k, p, OS_LOCK, put, load)) trap_debug_owner(k, p);
  kvm_skip_instr(k);
}

export default definePolicy<Arm64Vcpu, Arm64Host>({
  name: 'arm64-owner-2025',
  arch: 'arm64-nvhe',
  summary: 'upstream 6.14 debug owner (FREE / HOST_OWNED / GUEST_OWNED at vcpu_load, promoted on the first trap), nVHE world switch',
  hooks: {
    vcpuLoad: load,
    vcpuPut: put,
    // hyp/nvhe/switch.c __kvm_vcpu_run: __sysreg_restore_state_nvhe(guest_ctxt)'s
    // __sysreg_restore_el2_return_state writes the guest's PSTATE to SPSR_EL2 for the ERET; it comes
    // before __activate_traps and __debug_switch_to_guest there, after them here: neither touches SPSR_EL2.
    guestEnter(k) {
      debug_switch_to_guest(k);
      k.hw.write(SPSR_EL2, k.vcpu.pstate);
    },
    // __kvm_vcpu_run's fixup_guest_exit -> synchronize_vcpu_pstate saves SPSR_EL2 at once
    // ("Save PSTATE early"), before __sysreg_save_state_nvhe and __debug_switch_to_host; on nVHE
    // __sysreg_save_el2_return_state reads it only for the host ("Guest PSTATE gets saved at guest
    // fixup time in all cases"). handle_exit then sees a step exit.
    guestExit(k, reason) {
      k.vcpu.pstate = k.hw.read(SPSR_EL2);
      debug_switch_to_host(k);
      kvm_handle_guest_debug(k, reason);
    },
    trap,
    // KVM_SET_ONE_REG. Without --gdb the model runs it loaded, so the decision of the next KVM_RUN's
    // vcpu_load is taken here; with --gdb the model puts and loads the vCPU around it. While userspace
    // debugs the vCPU that decision (HOST_OWNED) does not depend on the guest's registers.
    setReg(k, reg, value) {
      commonCode.setReg(k, reg, value);
      if (!k.vcpu.guestDebug) load(k);
    },
    // KVM_SET_GUEST_DEBUG (`--gdb 1`: run between two KVM_RUNs); the next vcpu_load decides ownership.
    setGuestDebug(k, dbg) {
      kvm_arch_vcpu_ioctl_set_guest_debug(k, dbg);
      return 0;
    },
    // kvm_reset_vcpu: put, kvm_reset_sys_regs, load.
    vcpuReset(k) {
      put(k);
      commonCode.vcpuReset(k);
      load(k);
    },
  },
});
