/**
 * What an ARMv7-A CPU with the Virtualization Extensions does with its CP14 debug registers in
 * Monitor debug-mode: when a breakpoint or watchpoint is effective, where the debug exception goes,
 * and which Non-secure PL0/PL1 accesses trap to Hyp mode. Pure functions over a register file `r`
 * at offset `o`. Sources: ARMv7-A/R ARM (DDI 0406C) C3.2 (breakpoint matching, incl. address
 * mismatch), C3.3 (watchpoints), C11.11.20 DBGDSCR.MDBGen, B4.1.80 HDCR; Cortex-A15 TRM (DDI 0438) 4.3 HDCR.
 */
import {
  ARM_DSCR_MDBGEN,
  BCR_MISMATCH,
  CTRL_E,
  DBGBCR,
  DBGBVR,
  DBGDIDR,
  DBGDSCRext,
  DBGOSLAR,
  DBGOSLSR,
  DBGVCR,
  DBGWCR,
  DBGWVR,
  HDCR,
  HDCR_TDA,
  HDCR_TDE,
  HDCR_TDOSA,
  oslsrAfter,
} from './registers.js';

/** Whether debug exceptions from Non-secure PL0/PL1 are routed to Hyp mode (HDCR.TDE). */
export function routesToHyp(r: Float64Array, o: number): boolean {
  return ((r[o + HDCR] as number) & HDCR_TDE) !== 0;
}

/** Whether Monitor debug-mode is enabled (DBGDSCR.MDBGen): without it no breakpoint or watchpoint debug event is generated. */
export function monitorMode(r: Float64Array, o: number): boolean {
  return ((r[o + DBGDSCRext] as number) & ARM_DSCR_MDBGEN) !== 0;
}

/** Whether a PMC/PAC field [2:1] matches code at privilege level `pl` (0 User, 1 PL1); HMC = SSC = 0. */
function privilegeMatches(ctrl: number, pl: number): boolean {
  return ((ctrl >> 1) & (pl === 1 ? 0b01 : 0b10)) !== 0;
}

/** BT [23:20]: only unlinked address match (0b0000) and mismatch (0b0100) breakpoints are modelled. */
const BT_MASK = 0xf << 20;

/** Whether breakpoint control value `ctrl` is enabled for code at `pl` (BAS non-zero, a modelled BT). */
function breakpointArmed(ctrl: number, pl: number): boolean {
  const bt = ctrl & BT_MASK;
  return (ctrl & CTRL_E) !== 0 && (bt === 0 || bt === BCR_MISMATCH) && ((ctrl >> 5) & 0xf) !== 0 && privilegeMatches(ctrl, pl);
}

/** Whether watchpoint control value `ctrl` is enabled for accesses from `pl` (BAS and LSC non-zero). */
function watchpointArmed(ctrl: number, pl: number): boolean {
  return (ctrl & CTRL_E) !== 0 && ((ctrl >> 5) & 0xff) !== 0 && ((ctrl >> 3) & 0b11) !== 0 && privilegeMatches(ctrl, pl);
}

/** Bitmask of effective slots at `pl`: breakpoints are slots 0..brps-1, watchpoints brps.. . */
export function effectiveSlots(r: Float64Array, o: number, pl: number, brps: number, wrps: number): number {
  if (!monitorMode(r, o)) return 0;
  let mask = 0;
  for (let n = 0; n < brps; n++) if (breakpointArmed(r[o + DBGBCR(n)] as number, pl)) mask |= 1 << n;
  for (let n = 0; n < wrps; n++) if (watchpointArmed(r[o + DBGWCR(n)] as number, pl)) mask |= 1 << (brps + n);
  return mask;
}

/** Breakpoints that match an ARM instruction at `addr` executed at `pl` (DBGBVR[31:2]; a mismatch breakpoint hits everywhere else). */
export function breakpointHits(r: Float64Array, o: number, pl: number, addr: number, brps: number, wrps: number): number {
  const eff = effectiveSlots(r, o, pl, brps, wrps);
  let hits = 0;
  for (let n = 0; n < brps; n++) {
    if ((eff & (1 << n)) === 0) continue;
    const match = Math.floor((r[o + DBGBVR(n)] as number) / 4) === Math.floor(addr / 4);
    const mismatch = ((r[o + DBGBCR(n)] as number) & BCR_MISMATCH) !== 0;
    if (match !== mismatch) hits |= 1 << n;
  }
  return hits;
}

/** Watchpoints that match a word load or store at `addr` from `pl` (DBGWVR[31:2], LSC). */
export function watchpointHits(r: Float64Array, o: number, pl: number, addr: number, isStore: boolean, brps: number, wrps: number): number {
  const eff = effectiveSlots(r, o, pl, brps, wrps);
  let hits = 0;
  for (let n = 0; n < wrps; n++) {
    const slot = brps + n;
    if ((eff & (1 << slot)) === 0) continue;
    const lsc = ((r[o + DBGWCR(n)] as number) >> 3) & 0b11;
    if ((lsc & (isStore ? 0b10 : 0b01)) !== 0 && Math.floor((r[o + DBGWVR(n)] as number) / 4) === Math.floor(addr / 4)) hits |= 1 << slot;
  }
  return hits;
}

/**
 * Whether a Non-secure PL0/PL1 access to `reg` traps to Hyp mode: HDCR.TDA traps every CP14 debug
 * register other than those TDRA and TDOSA trap (DDI 0438 4.3.37), DBGDIDR and DBGVCR included;
 * TDOSA traps the OS Lock registers (the AArch32 DBGOSLAR pseudocode: `HDCR.<TDE,TDOSA> != '00'`).
 * TDE set makes TDA and TDOSA behave as set. The host kernel runs at Non-secure PL1 too, so the same
 * bits trap its accesses.
 */
export function trapsToHyp(r: Float64Array, o: number, reg: number): boolean {
  if (reg <= DBGWCR(15) || reg === DBGDSCRext || reg === DBGDIDR || reg === DBGVCR) {
    return ((r[o + HDCR] as number) & (HDCR_TDA | HDCR_TDE)) !== 0;
  }
  if (reg === DBGOSLAR || reg === DBGOSLSR) return ((r[o + HDCR] as number) & (HDCR_TDOSA | HDCR_TDE)) !== 0;
  return false;
}

/**
 * The OS Lock takes the value last written to DBGOSLAR: DBGOSLSR.OSLK is set after the key, clear
 * after any other value. Run at every observation point (ModelInstance.observe), so a write by a
 * hook or by the guest shows in DBGOSLSR before the next instruction reads it. Returns whether it changed.
 */
export function osLockLatch(r: Float64Array, o: number): boolean {
  const oslsr = oslsrAfter(r[o + DBGOSLAR] as number);
  if (r[o + DBGOSLSR] === oslsr) return false;
  r[o + DBGOSLSR] = oslsr;
  return true;
}
