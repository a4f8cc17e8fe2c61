/**
 * The upstream debug-owner design on VHE (arm64-nvhe/policies/debug-owner.ts, 6.14) with what VHE
 * adds: MDCR_EL2 written by the host itself at vcpu_load (kvm_arm_setup_mdcr_el2 writes the guest's,
 * also when a trap promotes FREE), never in the world switch; the VM registers deferred to
 * vcpu_load/vcpu_put behind vcpu_read/write_sys_reg, HCR_EL2 in the run loop, KVM_SET_GUEST_DEBUG
 * (HOST_OWNED, userspace's breakpoints in external_debug_state) with single-step (the step state kept
 * across load/put), and the OS Lock (OSLAR_EL1 trapped, OSLSR_EL1.OSLK kept in memory, ownership
 * decided again).
 *
 * Where the host's MDCR_EL2 is saved and restored changed after 6.14, so the era is explicit:
 * - '6.17' (this file's default export, arm64-owner-2025): kvm_vcpu_load_debug saves it before
 *   writing the guest's, kvm_vcpu_put_debug restores it ("KVM: arm64: VHE: Save and restore host
 *   MDCR_EL2 value correctly", da2e743419cb, KVM/arm64 fixes for 6.17);
 * - '6.14' (6.14-6.16 as released, arm64-owner-2025-6.14.ts): kvm_vcpu_load_vhe saves it in
 *   __activate_traps_common and writes the vCPU's, after kvm_vcpu_load_debug has already written the
 *   vCPU's; kvm_vcpu_put_vhe writes the saved value back in __deactivate_traps_common.
 */
import { definePolicy, type TrapParams } from '../../../src/engine/policy.js';
import type { Arm64Vcpu } from '../../arm64-nvhe/model.js';
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
} from '../../arm64-nvhe/policies/debug-owner.js';
import { ID_AA64DFR0_EL1, MDCR_EL2 } from '../../arm64-nvhe/registers.js';
import { type Arm64VheContext, type Arm64VheHooks, type Arm64VheHost, type Arm64VheVcpu, resetSysRegs } from '../model.js';
import { HCR_EL2, isVmReg, OSLAR_EL1, OSLSR_EL1, OSLSR_OSLK, SPSR_EL2 } from '../registers.js';

const OS_LOCK = { oslar: OSLAR_EL1, oslsr: OSLSR_EL1 };

import { vcpuSysRegAccess as sysReg } from './arm64-vhe-deferred-2017.js';
import { access_vm_reg, HCR_HOST_VHE_FLAGS, kvm_vcpu_load_sysregs, kvm_vcpu_put_sysregs } from './vhe.js';

/** kvm_vcpu_os_lock_enabled: OSLSR_EL1.OSLK of the memory copy (__vcpu_sys_reg; OSLSR_EL1 is not deferred). */
const kvm_vcpu_os_lock_enabled = (v: Arm64Vcpu): boolean => ((v.ctxt[OSLSR_EL1] as number) & OSLSR_OSLK) !== 0;

/** has_vhe(). */
const VHE = true;

/** The debug.c entry points the VHE run loop calls at vcpu_load and vcpu_put (a test swaps them to plant slips). */
export interface VheDebugCalls {
  kvm_vcpu_load_debug(k: Arm64VheContext, osLockEnabled: (v: Arm64Vcpu) => boolean, vhe: boolean): void;
  kvm_vcpu_put_debug(k: Arm64VheContext, vhe: boolean): void;
}

/** Where the host's MDCR_EL2 is saved and restored: 6.14-6.16, or 6.17 onwards (the file's opening comment). */
export type VheOwnerEra = '6.14' | '6.17';

/** The debug.c entry points of `era`: 6.17's save and restore the host's MDCR_EL2 themselves, 6.14's do not. */
export function vheDebugCalls(era: VheOwnerEra): VheDebugCalls {
  const hostMdcr = era === '6.17';
  return {
    kvm_vcpu_load_debug: (k, osLockEnabled, vhe) => kvm_vcpu_load_debug(k, osLockEnabled, vhe, hostMdcr),
    kvm_vcpu_put_debug: (k, vhe) => kvm_vcpu_put_debug(k, vhe, hostMdcr),
  };
}

/** The policy's hooks for `era`, with `debug` at vcpu_load and vcpu_put (the era's own by default). */
export function vheOwnerHooks(debug?: VheDebugCalls, era: VheOwnerEra = '6.17'): Arm64VheHooks {
  const calls = debug ?? vheDebugCalls(era);
  const trapsAtLoad = era === '6.14';

  /**
   * kvm_vcpu_load_vhe: the deferred sysregs, then (6.14-6.16) __activate_traps_common: "the host's"
   * MDCR_EL2 read from the CPU into host_debug_state, the vCPU's written.
   */
  function kvm_vcpu_load_vhe(k: Arm64VheContext): void {
    kvm_vcpu_load_sysregs(k);
    if (!trapsAtLoad) return;
    k.host.hostDebugMdcrEl2 = k.hw.read(MDCR_EL2);
    k.hw.write(MDCR_EL2, k.vcpu.mdcrEl2);
  }

  /** kvm_vcpu_put_vhe: (6.14-6.16) __deactivate_traps_common writes host_debug_state's MDCR_EL2 back, then the deferred sysregs. */
  function kvm_vcpu_put_vhe(k: Arm64VheContext): void {
    if (trapsAtLoad) k.hw.write(MDCR_EL2, k.host.hostDebugMdcrEl2);
    kvm_vcpu_put_sysregs(k);
  }

  /** kvm_arch_vcpu_load: the debug owner and MDCR_EL2 first ("must be called before kvm_vcpu_load_vhe"), then kvm_vcpu_load_vhe. */
  function kvm_arch_vcpu_load(k: Arm64VheContext): void {
    calls.kvm_vcpu_load_debug(k, kvm_vcpu_os_lock_enabled, VHE);
    kvm_vcpu_load_vhe(k);
  }

  /** kvm_arch_vcpu_put (arm.c): kvm_vcpu_put_debug (the step state; from 6.17 the host's MDCR_EL2 first), then kvm_vcpu_put_vhe. */
  function kvm_arch_vcpu_put(k: Arm64VheContext): void {
    calls.kvm_vcpu_put_debug(k, VHE);
    kvm_vcpu_put_vhe(k);
  }

  /** The 6.14 sys_regs.c handlers for the trapped registers the model has, then the skip past the instruction. */
  function trap(k: Arm64VheContext, p: TrapParams): void {
    if (isVmReg(p.reg)) access_vm_reg(k, p, sysReg, sysReg);
    else if (!trap_os_lock(k, p, OS_LOCK, kvm_arch_vcpu_put, kvm_arch_vcpu_load)) trap_debug_owner(k, p, VHE);
    kvm_skip_instr(k);
  }

  return {
    vcpuLoad: kvm_arch_vcpu_load,
    vcpuPut: kvm_arch_vcpu_put,
    // __kvm_vcpu_run_vhe, ending in ERET with the guest's PSTATE; MDCR_EL2 is already the guest's.
    guestEnter(k) {
      k.hw.write(HCR_EL2, k.vcpu.hcrEl2);
      debug_switch_to_guest(k, VHE);
      k.hw.write(SPSR_EL2, k.vcpu.pstate);
    },
    // The exit saves the guest's PSTATE (fixup_guest_exit -> synchronize_vcpu_pstate; __sysreg_save_el2_return_state
    // saves only nVHE's host PSTATE: "Guest PSTATE gets saved at guest fixup time in all cases"); handle_exit then sees a step exit.
    guestExit(k, reason) {
      k.vcpu.pstate = k.hw.read(SPSR_EL2);
      k.hw.write(HCR_EL2, HCR_HOST_VHE_FLAGS);
      debug_switch_to_host(k, VHE);
      kvm_handle_guest_debug(k, reason);
    },
    trap,
    getReg: (k, reg) => (reg === ID_AA64DFR0_EL1 ? k.hw.read(reg) : sysReg.read(k, reg)),
    // KVM_SET_ONE_REG runs between two KVM_RUNs (the model puts the vCPU around it): the memory copy,
    // and the next KVM_RUN's vcpu_load decides ownership again.
    setReg: (k, reg, value) => sysReg.write(k, reg, value),
    hypReadReg: sysReg.read,
    hypWriteReg: sysReg.write,
    setGuestDebug(k, dbg) {
      kvm_arch_vcpu_ioctl_set_guest_debug(k, dbg);
      return 0;
    },
    // kvm_reset_vcpu: put, reset the memory copy, load.
    vcpuReset(k) {
      kvm_arch_vcpu_put(k);
      resetSysRegs(k.vcpu);
      kvm_arch_vcpu_load(k);
    },
  };
}

export default definePolicy<Arm64VheVcpu, Arm64VheHost>({
  name: 'arm64-owner-2025',
  arch: 'arm64-vhe',
  summary:
    "upstream debug owner as of 6.17 (6.14's FREE / HOST_OWNED / GUEST_OWNED at vcpu_load, promoted on the first trap; the host's MDCR_EL2 saved in kvm_vcpu_load_debug), VM sysregs deferred",
  hooks: vheOwnerHooks(undefined, '6.17'),
});
