/**
 * The upstream debug-owner design (Linux 6.14 arch/arm64/kvm/debug.c, hyp/include/hyp/debug-sr.h):
 * at vcpu_load the debug registers are HOST_OWNED (userspace debugs the vCPU, or its OS Lock is
 * locked), GUEST_OWNED (the guest's MDSCR_EL1 has MDE or KDE) or FREE; MDCR_EL2 is computed there
 * (TDA unless the guest owns them), and the first trapped access promotes FREE to GUEST_OWNED. The
 * world switch swaps the registers only when someone owns them, and the VM registers are deferred.
 */
import { definePolicy, type GuestDebug, type TrapParams } from '../../../src/policy.js';
import type { Arm64Host } from '../../arm64-nvhe/model.js';
import { __debug_restore_state, __debug_save_state, __sysreg_restore_state, __sysreg_save_state } from '../../arm64-nvhe/policies/hyp.js';
import {
  DBG_MDSCR_KDE,
  DBG_MDSCR_MDE,
  DBGBCR,
  DBGBVR,
  ID_AA64DFR0_EL1,
  MDCR_EL2,
  MDCR_EL2_HPMN_MASK,
  MDCR_EL2_TDA,
  MDCR_EL2_TDE,
  MDCR_EL2_TDOSA,
  MDCR_EL2_TDRA,
  MDCR_EL2_TPM,
  MDCR_EL2_TPMCR,
  MDSCR_EL1,
} from '../../arm64-nvhe/registers.js';
import { type Arm64VheContext, type Arm64VheVcpu, resetSysRegs } from '../model.js';
import { HCR_EL2, isVmReg, OSLAR_EL1, OSLAR_OSLK, OSLSR_EL1, OSLSR_OSLK } from '../registers.js';
import { GDB_BCR } from '../vmm-debug-events.js';
import { vcpuSysRegAccess } from './arm64-vhe-deferred-2017.js';
import { access_vm_reg, HCR_HOST_VHE_FLAGS, kvm_vcpu_load_sysregs, kvm_vcpu_put_sysregs, type SysRegAccess } from './vhe.js';

/** kvm_host.h enum debug_owner. */
export const VCPU_DEBUG_FREE = 0;
export const VCPU_DEBUG_HOST_OWNED = 1;
export const VCPU_DEBUG_GUEST_OWNED = 2;
/** uapi linux/kvm.h KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_SINGLESTEP; arm64 uapi KVM_GUESTDBG_USE_HW (1 << 17). */
export const KVM_GUESTDBG_ENABLE = 1 << 0;
export const KVM_GUESTDBG_SINGLESTEP = 1 << 1;
export const KVM_GUESTDBG_USE_HW = 1 << 17;

/** vcpu_read_sys_reg / vcpu_write_sys_reg: unchanged since 4.17 for the registers the model has. */
const sysReg: SysRegAccess = vcpuSysRegAccess;

const kvm_host_owns_debug_regs = (v: Arm64VheVcpu): boolean => v.debugOwner === VCPU_DEBUG_HOST_OWNED;
const kvm_guest_owns_debug_regs = (v: Arm64VheVcpu): boolean => v.debugOwner === VCPU_DEBUG_GUEST_OWNED;
const kvm_debug_regs_in_use = (v: Arm64VheVcpu): boolean => v.debugOwner !== VCPU_DEBUG_FREE;
const kvm_vcpu_os_lock_enabled = (v: Arm64VheVcpu): boolean => ((v.ctxt[OSLSR_EL1] as number) & OSLSR_OSLK) !== 0;

/** kvm_arm_setup_mdcr_el2: trap PMU, debug ROM and OS registers; TDE while userspace debugs; TDA unless the guest owns debug. */
function kvm_arm_setup_mdcr_el2(k: Arm64VheContext): void {
  let mdcr = (k.host.ctxt[MDCR_EL2] as number) & MDCR_EL2_HPMN_MASK;
  mdcr |= MDCR_EL2_TPM | MDCR_EL2_TPMCR | MDCR_EL2_TDRA | MDCR_EL2_TDOSA;
  if (k.vcpu.guestDebug) mdcr |= MDCR_EL2_TDE;
  if (!kvm_guest_owns_debug_regs(k.vcpu)) mdcr |= MDCR_EL2_TDA;
  k.vcpu.mdcrEl2 = mdcr;
}

/** setup_external_mdscr: the MDSCR_EL1 the guest runs with while the host owns debug (MDE and KDE for userspace's breakpoints). */
function setup_external_mdscr(k: Arm64VheContext): void {
  let mdscr = 0;
  if (k.vcpu.guestDebug & KVM_GUESTDBG_USE_HW) mdscr |= DBG_MDSCR_MDE | DBG_MDSCR_KDE;
  k.vcpu.externalMdscrEl1 = mdscr;
}

/** kvm_vcpu_load_debug: decide who owns the debug registers, then MDCR_EL2. */
function kvm_vcpu_load_debug(k: Arm64VheContext): void {
  if (k.vcpu.guestDebug || kvm_vcpu_os_lock_enabled(k.vcpu)) {
    k.vcpu.debugOwner = VCPU_DEBUG_HOST_OWNED;
    setup_external_mdscr(k);
  } else {
    const mdscr = sysReg.read(k, MDSCR_EL1);
    k.vcpu.debugOwner = mdscr & (DBG_MDSCR_KDE | DBG_MDSCR_MDE) ? VCPU_DEBUG_GUEST_OWNED : VCPU_DEBUG_FREE;
  }
  kvm_arm_setup_mdcr_el2(k);
}

/** kvm_debug_set_guest_ownership: a trapped access hands FREE debug registers to the guest (host ownership wins). */
function kvm_debug_set_guest_ownership(k: Arm64VheContext): void {
  if (kvm_host_owns_debug_regs(k.vcpu)) return;
  k.vcpu.debugOwner = VCPU_DEBUG_GUEST_OWNED;
  kvm_arm_setup_mdcr_el2(k);
}

/** kvm_arch_vcpu_load: the debug owner first ("must be called before kvm_vcpu_load_vhe"), then the deferred sysregs. */
function kvm_arch_vcpu_load(k: Arm64VheContext): void {
  kvm_vcpu_load_debug(k);
  kvm_vcpu_load_sysregs(k);
}

/** kvm_arch_vcpu_put. */
function kvm_arch_vcpu_put(k: Arm64VheContext): void {
  kvm_vcpu_put_sysregs(k);
}

/** kvm_debug_handle_oslar: record OSLK, then put and load the vCPU so ownership is decided again. */
function kvm_debug_handle_oslar(k: Arm64VheContext, val: number): void {
  const oslsr = k.vcpu.ctxt[OSLSR_EL1] as number;
  k.vcpu.ctxt[OSLSR_EL1] = val & OSLAR_OSLK ? oslsr | OSLSR_OSLK : oslsr & ~OSLSR_OSLK;
  kvm_arch_vcpu_put(k);
  kvm_arch_vcpu_load(k);
}

/** The debug registers the guest runs on: userspace's while the host owns them, else its own (__vcpu_debug_regs). */
const guest_dbg = (v: Arm64VheVcpu): Float64Array => (kvm_host_owns_debug_regs(v) ? v.externalDebugState : v.debugState);

/** ctxt_mdscr_el1: where the guest's MDSCR_EL1 is saved and restored from. */
function saveGuestMdscr(k: Arm64VheContext): void {
  if (kvm_host_owns_debug_regs(k.vcpu)) k.vcpu.externalMdscrEl1 = k.hw.read(MDSCR_EL1);
  else __sysreg_save_state(k, k.vcpu.ctxt);
}

/** __kvm_vcpu_run_vhe up to the guest: host MDSCR_EL1 saved, traps on, guest MDSCR_EL1, __debug_switch_to_guest. */
function guestEnter(k: Arm64VheContext): void {
  __sysreg_save_state(k, k.host.ctxt);
  k.hw.write(HCR_EL2, k.vcpu.hcrEl2);
  // 6.14 writes MDCR_EL2 at vcpu_load on VHE; here MDCR_EL2 gates host debug too, so it switches with the traps.
  k.hw.write(MDCR_EL2, k.vcpu.mdcrEl2);
  k.hw.write(MDSCR_EL1, kvm_host_owns_debug_regs(k.vcpu) ? k.vcpu.externalMdscrEl1 : (k.vcpu.ctxt[MDSCR_EL1] as number));
  if (!kvm_debug_regs_in_use(k.vcpu)) return;
  __debug_save_state(k, k.vcpu.hostDebugState, k.host.ctxt);
  __debug_restore_state(k, guest_dbg(k.vcpu), k.vcpu.ctxt);
}

/** __kvm_vcpu_run_vhe after the exit: guest MDSCR_EL1 saved, traps off, host MDSCR_EL1, __debug_switch_to_host. */
function guestExit(k: Arm64VheContext): void {
  saveGuestMdscr(k);
  k.hw.write(HCR_EL2, HCR_HOST_VHE_FLAGS);
  k.hw.write(MDCR_EL2, k.hw.read(MDCR_EL2) & MDCR_EL2_HPMN_MASK);
  __sysreg_restore_state(k, k.host.ctxt);
  if (!kvm_debug_regs_in_use(k.vcpu)) return;
  __debug_save_state(k, guest_dbg(k.vcpu), k.vcpu.ctxt);
  __debug_restore_state(k, k.vcpu.hostDebugState, k.host.ctxt);
}

/** The 6.14 sys_regs.c handlers for the trapped registers the model has. */
function trap(k: Arm64VheContext, p: TrapParams): void {
  if (isVmReg(p.reg)) access_vm_reg(k, p, sysReg, sysReg);
  else if (p.reg === OSLAR_EL1) {
    if (p.isWrite) kvm_debug_handle_oslar(k, p.regval); // trap_oslar_el1
  } else if (p.reg === OSLSR_EL1) {
    if (!p.isWrite) p.regval = k.vcpu.ctxt[OSLSR_EL1] as number; // trap_oslsr_el1
  } else {
    // trap_bvr / trap_bcr / trap_wvr / trap_wcr / trap_debug_regs: the memory copy, then ownership.
    if (p.isWrite) sysReg.write(k, p.reg, p.regval);
    else p.regval = sysReg.read(k, p.reg);
    kvm_debug_set_guest_ownership(k);
  }
}

/**
 * kvm_arch_vcpu_ioctl_set_guest_debug; ownership is decided at the vcpu_load that KVM_RUN does
 * next, which this model's still-loaded vCPU stands for with a put and a load.
 */
function setGuestDebug(k: Arm64VheContext, dbg: GuestDebug): number {
  if (dbg.enable) {
    k.vcpu.guestDebug = KVM_GUESTDBG_ENABLE | (dbg.useHw ? KVM_GUESTDBG_USE_HW : 0);
    if (dbg.useHw) {
      // vcpu->arch.external_debug_state = dbg->arch: the breakpoints a gdb stub passes, packed from slot 0.
      k.vcpu.externalDebugState.fill(0);
      dbg.bps.forEach((addr, n) => {
        k.vcpu.externalDebugState[DBGBVR(n)] = addr;
        k.vcpu.externalDebugState[DBGBCR(n)] = GDB_BCR;
      });
    }
  } else k.vcpu.guestDebug = 0;
  kvm_arch_vcpu_put(k);
  kvm_arch_vcpu_load(k);
  return 0;
}

export default definePolicy<Arm64VheVcpu, Arm64Host>({
  name: 'arm64-owner-2025',
  arch: 'arm64-vhe',
  summary: 'upstream 6.14 debug owner (FREE / HOST_OWNED / GUEST_OWNED at vcpu_load, promoted on the first trap), VM sysregs deferred',
  hooks: {
    vcpuLoad: kvm_arch_vcpu_load,
    vcpuPut: kvm_arch_vcpu_put,
    guestEnter,
    guestExit,
    trap,
    getReg: (k, reg) => (reg === ID_AA64DFR0_EL1 ? k.hw.read(reg) : sysReg.read(k, reg)),
    // KVM_SET_ONE_REG, then the vcpu_load of the next KVM_RUN.
    setReg(k, reg, value) {
      sysReg.write(k, reg, value);
      kvm_arch_vcpu_put(k);
      kvm_arch_vcpu_load(k);
    },
    hypReadReg: sysReg.read,
    hypWriteReg: sysReg.write,
    setGuestDebug,
    // kvm_reset_vcpu: put, reset the memory copy, load.
    vcpuReset(k) {
      kvm_arch_vcpu_put(k);
      resetSysRegs(k.vcpu);
      kvm_arch_vcpu_load(k);
    },
  },
});
