/**
 * What an arm64 CPU does with its self-hosted debug registers: when a breakpoint or watchpoint is
 * effective, which exception level takes the debug exception, and which EL1 accesses trap to EL2.
 * Pure functions over a register file `r` at offset `o`. Sources: Arm ARM (DDI 0487) pseudocode
 * AArch64.CheckBreakpoint, AArch64.CheckWatchpoint, AArch64.GenerateDebugExceptionsFrom; D13.2 MDCR_EL2.
 */
import {
  BCR_E,
  DBG_MDSCR_KDE,
  DBG_MDSCR_MDE,
  DBGBCR,
  DBGBVR,
  DBGWCR,
  DBGWVR,
  ID_AA64DFR0_EL1,
  MDCCINT_EL1,
  MDCR_EL2,
  MDCR_EL2_TDA,
  MDCR_EL2_TDE,
  MDSCR_EL1,
  WCR_E,
  WCR_LSC_SHIFT,
} from './registers.js';

/** Whether debug exceptions from EL0/EL1 are routed to EL2 (MDCR_EL2.TDE; HCR_EL2.TGE is 0 on nVHE). */
export function routesToEl2(r: Float64Array, o: number): boolean {
  return ((r[o + MDCR_EL2] as number) & MDCR_EL2_TDE) !== 0;
}

/**
 * Whether breakpoint/watchpoint exceptions can be generated from code at `el` (0 or 1): MDSCR_EL1.MDE
 * must be set; when the target is the same EL (EL1 debugging EL1), KDE too (PSTATE.D is taken as 0).
 */
export function debugExceptionsEnabled(r: Float64Array, o: number, el: number): boolean {
  const mdscr = r[o + MDSCR_EL1] as number;
  if ((mdscr & DBG_MDSCR_MDE) === 0) return false;
  const target = routesToEl2(r, o) ? 2 : 1;
  if (target === el) return (mdscr & DBG_MDSCR_KDE) !== 0;
  return target > el;
}

/** Whether a privilege field (BCR.PMC / WCR.PAC, HMC = SSC = 0) matches code at `el`. */
function privilegeMatches(ctrl: number, el: number): boolean {
  const pmc = (ctrl >> 1) & 0b11;
  return (pmc & (el === 1 ? 0b01 : 0b10)) !== 0;
}

/**
 * Bitmask of the enabled slots whose privilege field matches code at `el` (`matches`, the
 * architecture's HMC/SSC/PxC rule): breakpoints are slots 0..brps-1, watchpoints brps.. .
 */
export function slotsMatching(
  r: Float64Array,
  o: number,
  el: number,
  brps: number,
  wrps: number,
  matches: (ctrl: number, el: number) => boolean,
): number {
  let mask = 0;
  for (let n = 0; n < brps; n++) {
    const ctrl = r[o + DBGBCR(n)] as number;
    if ((ctrl & BCR_E) !== 0 && matches(ctrl, el)) mask |= 1 << n;
  }
  for (let n = 0; n < wrps; n++) {
    const ctrl = r[o + DBGWCR(n)] as number;
    if ((ctrl & WCR_E) !== 0 && matches(ctrl, el)) mask |= 1 << (brps + n);
  }
  return mask;
}

/** Of the effective slots `eff`, the breakpoints that match an A64 instruction at `addr` (BVR[1:0] RES0). */
export function breakpointsAt(eff: number, r: Float64Array, o: number, addr: number, brps: number): number {
  let hits = 0;
  for (let n = 0; n < brps; n++) {
    if ((eff & (1 << n)) !== 0 && Math.floor((r[o + DBGBVR(n)] as number) / 4) === Math.floor(addr / 4)) hits |= 1 << n;
  }
  return hits;
}

/** Of the effective slots `eff`, the watchpoints that match a doubleword load or store at `addr` (WVR[2:0] RES0, BAS/LSC). */
export function watchpointsAt(eff: number, r: Float64Array, o: number, addr: number, isStore: boolean, brps: number, wrps: number): number {
  let hits = 0;
  for (let n = 0; n < wrps; n++) {
    const slot = brps + n;
    if ((eff & (1 << slot)) === 0) continue;
    const ctrl = r[o + DBGWCR(n)] as number;
    const lsc = (ctrl >> WCR_LSC_SHIFT) & 0b11;
    const bas = (ctrl >> 5) & 0xff;
    if (bas !== 0 && (lsc & (isStore ? 0b10 : 0b01)) !== 0 && Math.floor((r[o + DBGWVR(n)] as number) / 8) === Math.floor(addr / 8)) {
      hits |= 1 << slot;
    }
  }
  return hits;
}

/** Bitmask of effective slots at `el`: breakpoints are slots 0..brps-1, watchpoints brps.. . */
export function effectiveSlots(r: Float64Array, o: number, el: number, brps: number, wrps: number): number {
  return debugExceptionsEnabled(r, o, el) ? slotsMatching(r, o, el, brps, wrps, privilegeMatches) : 0;
}

/** Breakpoints that match an A64 instruction at `addr` executed at `el`. */
export function breakpointHits(r: Float64Array, o: number, el: number, addr: number, brps: number, wrps: number): number {
  return breakpointsAt(effectiveSlots(r, o, el, brps, wrps), r, o, addr, brps);
}

/** Watchpoints that match a doubleword load or store at `addr` from `el`. */
export function watchpointHits(r: Float64Array, o: number, el: number, addr: number, isStore: boolean, brps: number, wrps: number): number {
  return watchpointsAt(effectiveSlots(r, o, el, brps, wrps), r, o, addr, isStore, brps, wrps);
}

/**
 * Whether an EL1 access to `reg` traps to EL2: MDCR_EL2.TDA traps MDSCR_EL1, MDCCINT_EL1 and the
 * breakpoint/watchpoint registers; TDE set makes TDA behave as set. ID registers do not trap here
 * (HCR_EL2.TID3 is not modelled).
 */
export function trapsToEl2(r: Float64Array, o: number, reg: number): boolean {
  if (reg === ID_AA64DFR0_EL1) return false;
  if (reg <= DBGWCR(15) || reg === MDSCR_EL1 || reg === MDCCINT_EL1) {
    return ((r[o + MDCR_EL2] as number) & (MDCR_EL2_TDA | MDCR_EL2_TDE)) !== 0;
  }
  return false;
}
