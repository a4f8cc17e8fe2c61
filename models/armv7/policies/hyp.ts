/**
 * The parts of 32-bit KVM/arm's world switch that the 2015 debug policies share, transliterated
 * from arch/arm/kvm/{interrupts.S, interrupts_head.S, coproc.c} and the v3 debug series
 * ("KVM: arm: implement world switch for debug registers", Zhichao Huang, June 2015).
 */
import type { TrapParams } from '../../../src/engine/policy.js';
import type { Armv7Context, Armv7Hooks } from '../model.js';
import {
  CTRL_E,
  DBGBCR,
  DBGBVR,
  DBGDIDR,
  DBGDSCRext,
  DBGOSLAR,
  DBGOSLSR,
  DBGOSLSR_OSLM_IMPLEMENTED,
  DBGVCR,
  DBGWCR,
  DBGWVR,
  didrCounts,
  HDCR,
  HDCR_TDA,
  HDCR_TDOSA,
  HDCR_TDRA,
  HDCR_TPM,
  HDCR_TPMCR,
} from '../registers.js';

/** kvm_asm.h: KVM_ARM_DEBUG_DIRTY_SHIFT 0. */
export const KVM_ARM_DEBUG_DIRTY = 1 << 0;

/** A debug flag of the review's alternatives: the guest's registers are on the hardware (set on entry, cleared on exit). */
export const GUEST_LIVE = 1 << 1;

/** The debug traps the series adds to set_hdcr. */
export const HDCR_DEBUG_TRAPS = HDCR_TDRA | HDCR_TDOSA | HDCR_TDA;

/**
 * The debug traps the series keeps while any guest runs, its debug state dirty or not: an
 * ASSUMPTION. The patch that changes set_hdcr is not in the thread (v3 08/11 adds only the macros);
 * the series ports arm64's lazy switch (its compute_debug_state keeps arm64's comment "Check the state
 * of MDSCR_EL1"), whose activate_traps (arm64 hyp.S, 3.16-4.4) sets TDRA and TDOSA at every entry and
 * leaves only TDA to the dirty flag. Until 2026-12-03 the model cleared all three with TDA, which let
 * a guest lock the CPU's OS Lock untrapped (a finding resting on that unsourced reading; helper audit).
 */
export const HDCR_GUEST_TRAPS = HDCR_TDRA | HDCR_TDOSA;

/**
 * interrupts_head.S set_hdcr vmentry as the series has it: trap the PMU (TPM, TPMCR), the OS Lock and
 * ROM registers (HDCR_GUEST_TRAPS) and, when `trapDebug`, the other CP14 debug registers (TDA); a
 * read-modify-write of HDCR (MRC/MCR p15, 4, c1, c1, 1).
 */
export function set_hdcr_vmentry(k: Armv7Context, trapDebug: boolean): void {
  let r2 = k.hw.read(HDCR) | HDCR_TPM | HDCR_TPMCR | HDCR_GUEST_TRAPS;
  r2 = trapDebug ? r2 | HDCR_TDA : r2 & ~HDCR_TDA;
  k.hw.write(HDCR, r2);
}

/** set_hdcr vmentry before the series (and for eager, which never traps): the PMU only. */
export function set_hdcr_vmentry_pmu(k: Armv7Context): void {
  k.hw.write(HDCR, (k.hw.read(HDCR) | HDCR_TPM | HDCR_TPMCR) & ~HDCR_DEBUG_TRAPS);
}

/** set_hdcr vmexit: clear the traps again, so that the host's own accesses do not trap. */
export function set_hdcr_vmexit(k: Armv7Context): void {
  k.hw.write(HDCR, k.hw.read(HDCR) & ~(HDCR_TPM | HDCR_TPMCR | HDCR_DEBUG_TRAPS));
}

/** read_hw_dbg_num: the numbers of breakpoints and watchpoints, from DBGDIDR. */
function read_hw_dbg_num(k: Armv7Context): { brps: number; wrps: number } {
  return didrCounts(k.hw.read(DBGDIDR));
}

/** Calls `f` on the registers cp14_read_and_str / cp14_ldr_and_write walk, in order: every BVR, BCR, WVR, WCR the CPU has. */
function eachSlotRegister(k: Armv7Context, f: (reg: number) => void): void {
  const { brps, wrps } = read_hw_dbg_num(k);
  for (let i = 0; i < brps; i++) f(DBGBVR(i));
  for (let i = 0; i < brps; i++) f(DBGBCR(i));
  for (let i = 0; i < wrps; i++) f(DBGWVR(i));
  for (let i = 0; i < wrps; i++) f(DBGWCR(i));
}

/** save_debug_state: every BVR, BCR, WVR, WCR (cp14_read_and_str), then DBGDSCRext, into `cp14` (the series' cp14[] has no other: NR_CP14_REGS 66). */
export function save_debug_state(k: Armv7Context, cp14: Float64Array): void {
  eachSlotRegister(k, (reg) => {
    cp14[reg] = k.hw.read(reg);
  });
  cp14[DBGDSCRext] = k.hw.read(DBGDSCRext);
}

/** restore_debug_state: the same registers from `cp14` (cp14_ldr_and_write). */
export function restore_debug_state(k: Armv7Context, cp14: Float64Array): void {
  eachSlotRegister(k, (reg) => k.hw.write(reg, cp14[reg] as number));
  k.hw.write(DBGDSCRext, cp14[DBGDSCRext] as number);
}

/** Whether any breakpoint or watchpoint control value in a memory copy `cp14` has its enable bit set. */
export function any_ctrl_enabled(cp14: Float64Array): boolean {
  for (let i = 0; i < 16; i++) {
    if (((cp14[DBGBCR(i)] as number) & CTRL_E) !== 0 || ((cp14[DBGWCR(i)] as number) & CTRL_E) !== 0) return true;
  }
  return false;
}

/**
 * coproc.c trap_debug32 as the series has it (v3 08/11): emulate the access on vcpu->arch.cp14; a
 * write marks the debug state dirty. DBGDIDR is not in cp14[]: its read returns the hardware's value
 * here, an assumption (the patch that dispatches DBGDIDR, v3 06/11, is not in the seed thread).
 */
export function trap_debug32(k: Armv7Context, p: TrapParams): void {
  if (p.isWrite) {
    k.vcpu.cp14[p.reg] = p.regval;
    k.vcpu.debugFlags |= KVM_ARM_DEBUG_DIRTY;
  } else {
    p.regval = p.reg === DBGDIDR ? k.hw.read(DBGDIDR) : (k.vcpu.cp14[p.reg] as number);
  }
}

/** coproc.c trap_raz_wi (v3 02/11, renamed from pm_fake): reads as zero, writes ignored. */
export function trap_raz_wi(_k: Armv7Context, p: TrapParams): void {
  if (!p.isWrite) p.regval = 0;
}

/**
 * arm64 sys_regs.c trap_oslsr_el1 (4.x), which its cp14 table uses for the AArch32 DBGOSLSR too:
 * reads "OS Lock implemented, unlocked" (`1 << 3`), writes ignored.
 */
export function trap_oslsr(_k: Armv7Context, p: TrapParams): void {
  if (!p.isWrite) p.regval = DBGOSLSR_OSLM_IMPLEMENTED;
}

/**
 * The series' cp14 table (kvm_handle_cp14_32 → emulate_cp14), as the policies built on it use it:
 * DBGVCR, which has no cp14[] slot (NR_CP14_REGS 66), to trap_raz_wi; the OS Lock registers as
 * arm64's 4.x cp14 table has them (DBGOSLAR to trap_raz_wi, DBGOSLSR to trap_oslsr_el1); every
 * other register to trap_debug32. An assumption: the table is in v3 06/11, which is not in the seed
 * thread; arm64's cp14 table, which the series follows, sends the registers KVM keeps no copy of
 * (DBGDSCRint, DBGDTRRXext) to trap_raz_wi, and DBGVCR to trap_debug32 on a cp14_DBGVCR slot that
 * the series' cp14[] does not have.
 */
export function emulate_cp14_32(k: Armv7Context, p: TrapParams): void {
  if (p.reg === DBGVCR || p.reg === DBGOSLAR) trap_raz_wi(k, p);
  else if (p.reg === DBGOSLSR) trap_oslsr(k, p);
  else trap_debug32(k, p);
}

/** The full switch on entry: save the host's debug registers, load the guest's. */
export function switch_to_guest(k: Armv7Context): void {
  save_debug_state(k, k.host.cp14);
  restore_debug_state(k, k.vcpu.cp14);
}

/** The full switch on exit: save the guest's debug registers, load the host's. */
export function switch_to_host(k: Armv7Context): void {
  save_debug_state(k, k.vcpu.cp14);
  restore_debug_state(k, k.host.cp14);
}

/**
 * The review's lazy shape: on entry, if `hostUses` says the host enables anything or the guest's
 * control registers (in memory) do, switch everything and stop trapping; otherwise trap and leave
 * the registers alone.
 */
export function switchWhenEnabled(hostUses: (k: Armv7Context) => boolean): Armv7Hooks {
  return {
    guestEnter(k) {
      if (any_ctrl_enabled(k.vcpu.cp14) || hostUses(k)) {
        k.vcpu.debugFlags |= GUEST_LIVE;
        switch_to_guest(k);
      }
      set_hdcr_vmentry(k, !(k.vcpu.debugFlags & GUEST_LIVE));
    },
    guestExit(k) {
      set_hdcr_vmexit(k);
      if (!(k.vcpu.debugFlags & GUEST_LIVE)) return;
      switch_to_host(k);
      k.vcpu.debugFlags &= ~GUEST_LIVE;
    },
    trap: emulate_cp14_32,
  };
}

/** Whether the host enables any breakpoint or watchpoint: MRC of each control register until one is. */
export function host_ctrl_enabled(k: Armv7Context): boolean {
  const { brps, wrps } = read_hw_dbg_num(k);
  for (let i = 0; i < brps; i++) if (k.hw.read(DBGBCR(i)) & CTRL_E) return true;
  for (let i = 0; i < wrps; i++) if (k.hw.read(DBGWCR(i)) & CTRL_E) return true;
  return false;
}
