/**
 * The parts of KVM/arm64's world switch that every debug policy of the Linux 4.5 era shares,
 * transliterated from arch/arm64/kvm/{debug.c, sys_regs.c, hyp/switch.c, hyp/sysreg-sr.c}.
 * Only the registers this model has are touched (MDSCR_EL1 among the EL1 sysregs, MDCR_EL2 among
 * the traps); everything else those functions do is outside the debug state.
 */
import type { Hw, TrapParams } from '../../../src/engine/policy.js';
import type { Arm64Context } from '../model.js';
import { isDebugStateReg } from '../model.js';
import {
  DBGBCR,
  DBGBVR,
  DBGWCR,
  DBGWVR,
  ID_AA64DFR0_EL1,
  MDCCINT_EL1,
  MDCR_EL2,
  MDCR_EL2_HPMN_MASK,
  MDCR_EL2_TDA,
  MDCR_EL2_TDOSA,
  MDCR_EL2_TDRA,
  MDCR_EL2_TPM,
  MDCR_EL2_TPMCR,
  MDSCR_EL1,
  OSLAR_EL1,
  OSLSR_EL1,
  OSLSR_OSLM_IMPLEMENTED,
  SPSR_EL2,
} from '../registers.js';

/** kvm_host.h: KVM_ARM64_DEBUG_DIRTY_SHIFT 0. */
export const KVM_ARM64_DEBUG_DIRTY = 1 << 0;

/** save_debug(ptr, reg, nr): registers nr..0 of bank `reg` into `ptr` (the C switch falls through). */
export function save_debug(hw: Hw, ptr: Float64Array, reg: (n: number) => number, nr: number): void {
  for (let n = Math.min(nr, 15); n >= 0; n--) ptr[reg(n)] = hw.read(reg(n));
}

/** restore_debug(ptr, reg, nr): registers nr..0 of bank `reg` from `ptr`. */
export function restore_debug(hw: Hw, ptr: Float64Array, reg: (n: number) => number, nr: number): void {
  for (let n = Math.min(nr, 15); n >= 0; n--) hw.write(reg(n), ptr[reg(n)] as number);
}

/** debug-sr.h __debug_save_state: every implemented bp/wp register into `dbg`, MDCCINT_EL1 into `ctxt`. */
export function __debug_save_state(k: Arm64Context, dbg: Float64Array, ctxt: Float64Array): void {
  const aa64dfr0 = k.hw.read(ID_AA64DFR0_EL1);
  const brps = (aa64dfr0 >> 12) & 0xf;
  const wrps = (aa64dfr0 >> 20) & 0xf;
  save_debug(k.hw, dbg, DBGBCR, brps);
  save_debug(k.hw, dbg, DBGBVR, brps);
  save_debug(k.hw, dbg, DBGWCR, wrps);
  save_debug(k.hw, dbg, DBGWVR, wrps);
  ctxt[MDCCINT_EL1] = k.hw.read(MDCCINT_EL1);
}

/** debug-sr.h __debug_restore_state: every implemented bp/wp register from `dbg`, MDCCINT_EL1 from `ctxt`. */
export function __debug_restore_state(k: Arm64Context, dbg: Float64Array, ctxt: Float64Array): void {
  const aa64dfr0 = k.hw.read(ID_AA64DFR0_EL1);
  const brps = (aa64dfr0 >> 12) & 0xf;
  const wrps = (aa64dfr0 >> 20) & 0xf;
  restore_debug(k.hw, dbg, DBGBCR, brps);
  restore_debug(k.hw, dbg, DBGBVR, brps);
  restore_debug(k.hw, dbg, DBGWCR, wrps);
  restore_debug(k.hw, dbg, DBGWVR, wrps);
  k.hw.write(MDCCINT_EL1, ctxt[MDCCINT_EL1] as number);
}

/** hyp/sysreg-sr.c __sysreg_save_state: of the debug state, MDSCR_EL1 is switched with the EL1 sysregs. */
export function __sysreg_save_state(k: Arm64Context, ctxt: Float64Array): void {
  ctxt[MDSCR_EL1] = k.hw.read(MDSCR_EL1);
}

/** hyp/sysreg-sr.c __sysreg_restore_state. */
export function __sysreg_restore_state(k: Arm64Context, ctxt: Float64Array): void {
  k.hw.write(MDSCR_EL1, ctxt[MDSCR_EL1] as number);
}

/** hyp/switch.c __activate_traps: MDCR_EL2 from vcpu->arch.mdcr_el2. */
export function __activate_traps(k: Arm64Context): void {
  k.hw.write(MDCR_EL2, k.vcpu.mdcrEl2);
}

/** hyp/switch.c __deactivate_traps: back to the host's MDCR_EL2 (HPMN only). */
export function __deactivate_traps(k: Arm64Context): void {
  k.hw.write(MDCR_EL2, k.hw.read(MDCR_EL2) & MDCR_EL2_HPMN_MASK);
}

/**
 * debug.c kvm_arm_setup_debug (4.5, no KVM_SET_GUEST_DEBUG): trap debug register accesses unless
 * the guest's debug state is already dirty. The per-CPU mdcr_el2 saved at init is kept in host ctxt.
 * `ttrf`: MDCR_EL2_TTRF for a later kernel's list (a354a64d91ee, 5.12), which 4.5 does not have.
 */
export function kvm_arm_setup_debug(k: Arm64Context, ttrf = 0): void {
  const trap_debug = !(k.vcpu.debugFlags & KVM_ARM64_DEBUG_DIRTY);
  k.vcpu.mdcrEl2 = (k.host.ctxt[MDCR_EL2] as number) & MDCR_EL2_HPMN_MASK;
  k.vcpu.mdcrEl2 |= MDCR_EL2_TPM | MDCR_EL2_TPMCR | MDCR_EL2_TDRA | MDCR_EL2_TDOSA | ttrf;
  if (trap_debug) k.vcpu.mdcrEl2 |= MDCR_EL2_TDA;
}

/**
 * sys_regs.c trap_bvr/trap_bcr/trap_wvr/trap_wcr (reg_to_dbg, dbg_to_reg) and trap_debug_regs:
 * emulate the access on the memory copy; a write marks the debug state dirty.
 */
export function trap_debug_regs(k: Arm64Context, p: TrapParams): void {
  const mem = isDebugStateReg(p.reg) ? k.vcpu.debugState : k.vcpu.ctxt;
  if (p.isWrite) {
    mem[p.reg] = p.regval;
    k.vcpu.debugFlags |= KVM_ARM64_DEBUG_DIRTY;
  } else {
    p.regval = mem[p.reg] as number;
  }
}

/**
 * 4.x's sys_regs.c table for the registers the model has (the OS Lock's with `--oslock 1`): OSLAR_EL1
 * trap_raz_wi, OSLSR_EL1 trap_oslsr_el1 ("OS Lock implemented", unlocked, writes ignored; OS Lock
 * emulation came in 5.18), the debug registers trap_debug_regs and friends.
 */
export function emulate_sys_reg_2015(k: Arm64Context, p: TrapParams): void {
  if (p.reg === OSLAR_EL1) {
    if (!p.isWrite) p.regval = 0;
  } else if (p.reg === OSLSR_EL1) {
    if (!p.isWrite) p.regval = OSLSR_OSLM_IMPLEMENTED;
  } else trap_debug_regs(k, p);
}

/** The debug-sr.c entry points __guest_run calls: what differs between the 2015 policies. */
export interface DebugSr {
  __debug_cond_save_host_state(k: Arm64Context): void;
  __debug_restore_state(k: Arm64Context, dbg: Float64Array, ctxt: Float64Array): void;
  __debug_save_state(k: Arm64Context, dbg: Float64Array, ctxt: Float64Array): void;
  __debug_cond_restore_host_state(k: Arm64Context): void;
}

/** kvm_arch_vcpu_ioctl_run's kvm_arm_setup_debug (`ttrf` as there), then hyp/switch.c __guest_run up to __guest_enter. */
export function guest_run_enter(k: Arm64Context, sr: DebugSr, ttrf = 0): void {
  kvm_arm_setup_debug(k, ttrf);
  __sysreg_save_state(k, k.host.ctxt);
  sr.__debug_cond_save_host_state(k);
  __activate_traps(k);
  __sysreg_restore_state(k, k.vcpu.ctxt);
  __sysreg_restore_guest_pstate(k);
  sr.__debug_restore_state(k, k.vcpu.debugState, k.vcpu.ctxt);
}

/**
 * 4.5's hyp/sysreg-sr.c __sysreg_save_state: `ctxt->gp_regs.regs.pstate = read_sysreg(spsr_el2)`,
 * the guest's PSTATE (only SS is modelled) as the exception to EL2 left it. The host's own
 * SPSR_EL2 (its PSTATE at the HVC) is not modelled, as in arm64-owner-2025.
 */
export function __sysreg_save_guest_pstate(k: Arm64Context): void {
  k.vcpu.pstate = k.hw.read(SPSR_EL2);
}

/** 4.5's __sysreg_restore_state: `write_sysreg(ctxt->gp_regs.regs.pstate, spsr_el2)`, for the ERET into the guest. */
export function __sysreg_restore_guest_pstate(k: Arm64Context): void {
  k.hw.write(SPSR_EL2, k.vcpu.pstate);
}

/** hyp/switch.c __guest_run after the guest exits. */
export function guest_run_exit(k: Arm64Context, sr: DebugSr): void {
  __sysreg_save_guest_pstate(k);
  __sysreg_save_state(k, k.vcpu.ctxt);
  __deactivate_traps(k);
  __sysreg_restore_state(k, k.host.ctxt);
  sr.__debug_save_state(k, k.vcpu.debugState, k.vcpu.ctxt);
  sr.__debug_cond_restore_host_state(k);
}
