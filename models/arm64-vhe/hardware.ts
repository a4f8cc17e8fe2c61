/**
 * What a VHE CPU adds to the arm64-nvhe hardware model: the host runs with HCR_EL2.E2H = TGE = 1
 * (its kernel at EL2, its user space at EL0), which EL1 accesses to the VM registers and the OS Lock
 * registers trap to EL2, and the OS Lock's effect on debug exceptions. Sources: Arm ARM (DDI 0487)
 * D13.2 HCR_EL2.{TGE,TVM,TRVM}, MDCR_EL2.{TDE,TDOSA}; pseudocode AArch64.GenerateDebugExceptionsFrom
 * (route_to_el2 = HCR_EL2.TGE == 1 || MDCR_EL2.TDE == 1; OSLSR_EL1.OSLK set: no breakpoint,
 * watchpoint or step exceptions), AArch64.BreakpointMatch / AArch64.StateMatch (HMC, SSC, PxC).
 *
 * Levels: the debug view counts code as level 0 (user) or 1 (kernel). Under TGE = 1 EL1 is unused and
 * the kernel is the host's at EL2, so a register file with TGE set reads level 1 as EL2; with TGE
 * clear (a guest runs) level 1 is the guest kernel at EL1.
 */
import { breakpointsAt, slotsMatching, trapsToEl2, watchpointsAt } from '../arm64-nvhe/hardware.js';
import { DBG_MDSCR_KDE, DBG_MDSCR_MDE, MDCR_EL2, MDCR_EL2_TDE, MDCR_EL2_TDOSA, MDSCR_EL1 } from '../arm64-nvhe/registers.js';
import { BCR_HMC, HCR_EL2, HCR_TGE, HCR_TRVM, HCR_TVM, isVmReg, OSLAR_EL1, OSLSR_EL1, OSLSR_OSLK } from './registers.js';

/** Whether an EL1 access to `reg` traps to EL2 under the live HCR_EL2 and MDCR_EL2. */
export function vheTrapsToEl2(r: Float64Array, o: number, reg: number, isWrite: boolean): boolean {
  if (isVmReg(reg)) return ((r[o + HCR_EL2] as number) & (isWrite ? HCR_TVM : HCR_TRVM)) !== 0;
  // MDCR_EL2.TDE set makes TDOSA behave as 1 for all purposes but a direct read (Arm ARM D13.2 MDCR_EL2.TDE), as for TDA.
  if (reg === OSLAR_EL1 || reg === OSLSR_EL1) return ((r[o + MDCR_EL2] as number) & (MDCR_EL2_TDOSA | MDCR_EL2_TDE)) !== 0;
  return trapsToEl2(r, o, reg);
}

/** OSLSR_EL1.OSLK set: no breakpoint, watchpoint or step exception is generated. */
export const osLocked = (r: Float64Array, o: number): boolean => ((r[o + OSLSR_EL1] as number) & OSLSR_OSLK) !== 0;

/** HCR_EL2.TGE: the host runs (E2H = TGE = 1); a guest runs with it clear. */
export const tge = (r: Float64Array, o: number): boolean => ((r[o + HCR_EL2] as number) & HCR_TGE) !== 0;

/** Debug exceptions go to EL2: HCR_EL2.TGE (host code) or MDCR_EL2.TDE (guest code, userspace debugging). */
export const vheRoutesToEl2 = (r: Float64Array, o: number): boolean => tge(r, o) || ((r[o + MDCR_EL2] as number) & MDCR_EL2_TDE) !== 0;

/** The exception level of view level `level` (0 user, 1 kernel) on register file `r`: EL2 for the kernel under TGE. */
export const exceptionLevel = (r: Float64Array, o: number, level: number): number => (level === 1 && tge(r, o) ? 2 : level);

/** GenerateDebugExceptionsFrom(el) with MDSCR_EL1.MDE (breakpoints and watchpoints need it; PSTATE.D taken as 0). */
function enabledAt(r: Float64Array, o: number, el: number): boolean {
  if (osLocked(r, o)) return false;
  const mdscr = r[o + MDSCR_EL1] as number;
  if ((mdscr & DBG_MDSCR_MDE) === 0) return false;
  const target = vheRoutesToEl2(r, o) ? 2 : 1;
  if (target === el) return (mdscr & DBG_MDSCR_KDE) !== 0;
  return target > el;
}

/**
 * Whether a control value (HMC bit 13, SSC [15:14] = 0, PxC [2:1]) matches code at `el`: PxC bit 0
 * for EL1, bit 1 for EL0, and EL2 only with HMC and PxC bit 0 (Arm ARM, the breakpoint and
 * watchpoint HMC/SSC/PxC encodings: HMC = 1, SSC = 0b00, PxC = 0b01 is EL2 and EL1).
 */
function privilegeMatches(ctrl: number, el: number): boolean {
  const pxc = (ctrl >> 1) & 0b11;
  if (el === 2) return (ctrl & BCR_HMC) !== 0 && (pxc & 0b01) !== 0;
  return (pxc & (el === 1 ? 0b01 : 0b10)) !== 0;
}

/** Bitmask of effective slots for code at view level `level`: breakpoints 0..brps-1, watchpoints brps.. . */
export function vheEffectiveSlots(r: Float64Array, o: number, level: number, brps: number, wrps: number): number {
  const el = exceptionLevel(r, o, level);
  return enabledAt(r, o, el) ? slotsMatching(r, o, el, brps, wrps, privilegeMatches) : 0;
}

/** Breakpoints that match an A64 instruction at `addr` from view level `level`. */
export function vheBreakpointHits(r: Float64Array, o: number, level: number, addr: number, brps: number, wrps: number): number {
  return breakpointsAt(vheEffectiveSlots(r, o, level, brps, wrps), r, o, addr, brps);
}

/** Watchpoints that match a doubleword load or store at `addr` from view level `level`. */
export function vheWatchpointHits(
  r: Float64Array,
  o: number,
  level: number,
  addr: number,
  isStore: boolean,
  brps: number,
  wrps: number,
): number {
  return watchpointsAt(vheEffectiveSlots(r, o, level, brps, wrps), r, o, addr, isStore, brps, wrps);
}
