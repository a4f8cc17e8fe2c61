/**
 * What every VHE policy of the 2017 deferral series shares, transliterated from Linux 4.17
 * arch/arm64/kvm/{hyp/sysreg-sr.c, hyp/switch.c, debug.c, sys_regs.c, mmu.c}: loading the VM
 * registers and MDCR_EL2 at vcpu_load and putting them back at vcpu_put, the VHE run loop, and the
 * trapped VM-register handler with its cache toggle. Where a value is read or written is the policy's choice (`SysRegAccess`).
 */
import type { TrapParams } from '../../../src/engine/policy.js';
import { debugSr2015 } from '../../arm64-nvhe/policies/arm64-dirty-2015.js';
import {
  __sysreg_restore_state,
  __sysreg_save_state,
  KVM_ARM64_DEBUG_DIRTY,
  kvm_arm_setup_debug,
  trap_debug_regs,
} from '../../arm64-nvhe/policies/hyp.js';
import { DBG_MDSCR_KDE, DBG_MDSCR_MDE, MDCCINT_EL1, MDCR_EL2, MDCR_EL2_HPMN_MASK, MDSCR_EL1 } from '../../arm64-nvhe/registers.js';
import type { Arm64VheContext } from '../model.js';
import {
  HCR_EL2,
  HCR_HOST_VHE_FLAGS,
  HCR_TVM,
  isVmReg,
  OSLAR_EL1,
  OSLSR_EL1,
  OSLSR_OSLM_IMPLEMENTED,
  SCTLR_C,
  SCTLR_EL1,
  SCTLR_M,
  SPSR_EL2,
  VM_REGS,
} from '../registers.js';

/** The 2017 policies' scope: userspace debugging is left out of their 4.17 code, so they give no verdict with it. */
export const NO_GUEST_DEBUG_2017 = {
  scope: {
    gdb: {
      values: [0],
      why: 'KVM_SET_GUEST_DEBUG (kvm_arm_setup_debug with debug_ptr, since 4.2) is left out of this 4.17 transliteration; arm64-guestdbg-2022 and arm64-owner-2025 model it',
    },
  },
};

export { HCR_HOST_VHE_FLAGS } from '../registers.js';

/** How a policy reads and writes a vCPU's system register: the memory copy, the CPU, or whichever holds it. */
export interface SysRegAccess {
  read(k: Arm64VheContext, reg: number): number;
  write(k: Arm64VheContext, reg: number, value: number): void;
}

/** vcpu_sys_reg(): the memory copy, wherever the live value is. */
export const memoryCopy: SysRegAccess = {
  read: (k, reg) => k.vcpu.ctxt[reg] as number,
  write(k, reg, value) {
    k.vcpu.ctxt[reg] = value;
  },
};

/** kvm_vcpu_load_sysregs (4.17 hyp/sysreg-sr.c): __sysreg_restore_el1_state onto the CPU, then the flag. */
export function kvm_vcpu_load_sysregs(k: Arm64VheContext): void {
  for (const reg of VM_REGS) k.hw.write(reg, k.vcpu.ctxt[reg] as number);
  k.vcpu.sysregsLoadedOnCpu = 1;
}

/** kvm_vcpu_put_sysregs: __sysreg_save_el1_state into memory, then the flag. */
export function kvm_vcpu_put_sysregs(k: Arm64VheContext): void {
  for (const reg of VM_REGS) k.vcpu.ctxt[reg] = k.hw.read(reg);
  k.vcpu.sysregsLoadedOnCpu = 0;
}

/**
 * 4.17 hyp/switch.c activate_traps_vhe_load (__activate_traps_common), called by kvm_vcpu_load_sysregs:
 * the vCPU's MDCR_EL2 goes on the CPU at vcpu_load, not at each entry (the host at EL2 does not use it).
 */
export function activate_traps_vhe_load(k: Arm64VheContext): void {
  k.hw.write(MDCR_EL2, k.vcpu.mdcrEl2);
}

/** 4.17 deactivate_traps_vhe_put, called by kvm_vcpu_put_sysregs: MDCR_EL2 keeps only the host's fields (HPMN, E2PB, TPMS). */
export function deactivate_traps_vhe_put(k: Arm64VheContext): void {
  k.hw.write(MDCR_EL2, k.hw.read(MDCR_EL2) & MDCR_EL2_HPMN_MASK);
}

/** 4.17 kvm_vcpu_load_sysregs as a whole: the deferred VM registers, then the load-time traps. */
export function kvm_vcpu_load_2017(k: Arm64VheContext): void {
  kvm_vcpu_load_sysregs(k);
  activate_traps_vhe_load(k);
}

/** 4.17 kvm_vcpu_put_sysregs as a whole: the load-time traps undone, then the VM registers back to memory. */
export function kvm_vcpu_put_2017(k: Arm64VheContext): void {
  deactivate_traps_vhe_put(k);
  kvm_vcpu_put_sysregs(k);
}

/**
 * The 4.17 run loop up to the guest: kvm_arm_setup_debug, whose KDE/MDE check ("If KDE or MDE are
 * set, perform a full save/restore cycle") reads MDSCR_EL1 through `sysReg` (vcpu_read_sys_reg in
 * 4.17; the memory copy before it), then "Write mdcr_el2 changes since vcpu_load on VHE systems";
 * then __kvm_vcpu_run_vhe: the host's MDSCR_EL1 saved with its common state, __activate_traps
 * (HCR_EL2 only on VHE), the guest's sysregs, __debug_switch_to_guest (the dirty flag alone decides).
 */
export function kvm_vcpu_run_vhe_enter_with(k: Arm64VheContext, sysReg: SysRegAccess): void {
  const orig_mdcr_el2 = k.vcpu.mdcrEl2;
  kvm_arm_setup_debug(k);
  if (sysReg.read(k, MDSCR_EL1) & (DBG_MDSCR_KDE | DBG_MDSCR_MDE)) k.vcpu.debugFlags |= KVM_ARM64_DEBUG_DIRTY;
  if (orig_mdcr_el2 !== k.vcpu.mdcrEl2) k.hw.write(MDCR_EL2, k.vcpu.mdcrEl2);
  __sysreg_save_state(k, k.host.ctxt);
  debugSr2015.__debug_save_state(k, k.vcpu.hostDebugState, k.host.ctxt);
  k.hw.write(HCR_EL2, k.vcpu.hcrEl2);
  __sysreg_restore_state(k, k.vcpu.ctxt);
  debugSr2015.__debug_restore_state(k, k.vcpu.debugState, k.vcpu.ctxt);
  __sysreg_restore_el2_return_state(k);
}

/** kvm_vcpu_run_vhe_enter_with the memory copy for MDSCR_EL1 (never deferred: what vcpu_read_sys_reg returns for it as merged). */
export function kvm_vcpu_run_vhe_enter(k: Arm64VheContext): void {
  kvm_vcpu_run_vhe_enter_with(k, memoryCopy);
}

/** __sysreg_restore_el2_return_state: the guest's PSTATE into SPSR_EL2 for the ERET (only SS is modelled). */
export function __sysreg_restore_el2_return_state(k: Arm64VheContext): void {
  k.hw.write(SPSR_EL2, k.vcpu.pstate);
}

/** __sysreg_save_el2_return_state: the guest's PSTATE from SPSR_EL2 at the exit. */
export function __sysreg_save_el2_return_state(k: Arm64VheContext): void {
  k.vcpu.pstate = k.hw.read(SPSR_EL2);
}

/** __kvm_vcpu_run_vhe after the guest exits: its MDSCR_EL1 saved, HCR_EL2 the host's (MDCR_EL2 stays until vcpu_put), the host's MDSCR_EL1 and debug state back. */
export function kvm_vcpu_run_vhe_exit(k: Arm64VheContext): void {
  __sysreg_save_el2_return_state(k);
  __sysreg_save_state(k, k.vcpu.ctxt);
  k.hw.write(HCR_EL2, HCR_HOST_VHE_FLAGS);
  __sysreg_restore_state(k, k.host.ctxt);
  debugSr2015.__debug_save_state(k, k.vcpu.debugState, k.vcpu.ctxt);
  debugSr2015.__debug_cond_restore_host_state(k);
}

/** vcpu_has_cache_enabled (kvm_mmu.h): SCTLR_EL1.M and .C both set, read through `access`. */
function vcpu_has_cache_enabled(k: Arm64VheContext, access: SysRegAccess): boolean {
  const sctlr = access.read(k, SCTLR_EL1);
  return (sctlr & (SCTLR_M | SCTLR_C)) === (SCTLR_M | SCTLR_C);
}

/**
 * sys_regs.c access_vm_reg (only writes trap, under HCR_EL2.TVM; the 64-bit path): the value goes
 * through `vm`, and kvm_toggle_cache (mmu.c) stops trapping once the guest turns its caches on,
 * judging by SCTLR_EL1 read through `cache`.
 */
export function access_vm_reg(k: Arm64VheContext, p: TrapParams, vm: SysRegAccess, cache: SysRegAccess): void {
  if (!p.isWrite) k.bug(`access_vm_reg: read of ${p.reg} trapped (BUG_ON(!p->is_write))`);
  vm.write(k, p.reg, p.regval);
  // kvm_toggle_cache: stage2_flush_vm when the cache state changed (was_enabled) is outside the model.
  if (vcpu_has_cache_enabled(k, cache)) k.vcpu.hcrEl2 &= ~HCR_TVM;
}

/**
 * sys_regs.c trap_debug_regs: MDSCR_EL1 and MDCCINT_EL1 are sys_regs[] entries, read and written
 * through `sysReg` (4.17 vcpu_read_sys_reg / vcpu_write_sys_reg; vcpu_sys_reg() before); the
 * breakpoint and watchpoint registers live in vcpu_debug_state (trap_bvr & co. through debug_ptr).
 */
function trap_debug_regs_2017(k: Arm64VheContext, p: TrapParams, sysReg: SysRegAccess): void {
  if (p.reg !== MDSCR_EL1 && p.reg !== MDCCINT_EL1) trap_debug_regs(k, p);
  else if (p.isWrite) {
    sysReg.write(k, p.reg, p.regval);
    k.vcpu.debugFlags |= KVM_ARM64_DEBUG_DIRTY;
  } else p.regval = sysReg.read(k, p.reg);
}

/**
 * The 4.17 sys_regs.c table for the trapped registers the model has: VM registers through
 * access_vm_reg, OSLAR_EL1 RAZ/WI (trap_raz_wi), OSLSR_EL1 "OS Lock implemented, unlocked"
 * (trap_oslsr_el1), the debug registers through trap_debug_regs (MDSCR_EL1, MDCCINT_EL1 through
 * `sysReg`, the memory copy unless given) and friends.
 */
export function emulate_sys_reg_2017(
  k: Arm64VheContext,
  p: TrapParams,
  vm: SysRegAccess,
  cache: SysRegAccess,
  sysReg: SysRegAccess = memoryCopy,
): void {
  if (isVmReg(p.reg)) access_vm_reg(k, p, vm, cache);
  else if (p.reg === OSLAR_EL1) {
    if (!p.isWrite) p.regval = 0;
  } else if (p.reg === OSLSR_EL1) {
    if (!p.isWrite) p.regval = OSLSR_OSLM_IMPLEMENTED;
  } else trap_debug_regs_2017(k, p, sysReg);
}
