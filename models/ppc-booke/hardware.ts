/**
 * What a Book E core does with its debug registers (Power ISA 2.06 Book III-E 8.4-8.5): an IAC or
 * DAC event happens when DBCR0[IDM] and the comparator's enable are set, the address matches and
 * the Sup/User field admits MSR[PR]; the event sets its DBSR bit (and DBSR[IDE] when MSR[DE]=0);
 * a debug interrupt is taken while DBCR0[IDM], MSR[DE] and any DBSR event bit are set. Pure
 * functions over a register file `r` at offset `o`.
 */
import {
  DAC,
  DACS,
  DBCR0,
  DBCR0_DAC,
  DBCR0_IAC,
  DBCR0_IDM,
  DBCR1,
  DBCR1_IACUS,
  DBCR2,
  DBCR2_DACUS,
  DBSR,
  DBSR_DAC,
  DBSR_EVENTS,
  DBSR_IAC,
  IAC,
  IACS,
} from './registers.js';

/** Privilege levels: user code (MSR[PR]=1) and supervisor code (MSR[PR]=0). */
export const USER = 0;
export const SUPERVISOR = 1;

/** Whether a two-bit Sup/User field (the bits of `mask` in `reg`) admits code at `level`. */
function admits(reg: number, mask: number, level: number): boolean {
  const shift = 31 - Math.clz32(mask) - 1; // low bit of the field
  const us = (reg >>> shift) & 0b11;
  if (us === 0b00) return true;
  return us === (level === USER ? 0b11 : 0b10);
}

/** Slots: 0..3 are IAC1..IAC4, 4..5 are DAC1..DAC2. Bitmask of the slots armed for code at `level`. */
export function effectiveSlots(r: Float64Array, o: number, level: number): number {
  const dbcr0 = r[o + DBCR0] as number;
  if ((dbcr0 & DBCR0_IDM) === 0) return 0;
  const dbcr1 = r[o + DBCR1] as number;
  const dbcr2 = r[o + DBCR2] as number;
  let mask = 0;
  for (let n = 0; n < IACS; n++) {
    if ((dbcr0 & (DBCR0_IAC[n] as number)) !== 0 && admits(dbcr1, DBCR1_IACUS[n] as number, level)) mask |= 1 << n;
  }
  for (let n = 0; n < DACS; n++) {
    const [rd, wr] = DBCR0_DAC[n] as readonly [number, number];
    if ((dbcr0 & (rd | wr)) !== 0 && admits(dbcr2, DBCR2_DACUS[n] as number, level)) mask |= 1 << (IACS + n);
  }
  return mask;
}

/** IAC slots that match an instruction at `addr` executed at `level` (exact-address mode). */
export function iacHits(r: Float64Array, o: number, level: number, addr: number): number {
  const eff = effectiveSlots(r, o, level);
  let hits = 0;
  for (let n = 0; n < IACS; n++) if ((eff & (1 << n)) !== 0 && r[o + IAC(n)] === addr) hits |= 1 << n;
  return hits;
}

/** DAC slots that match a load (or store) at `addr` from `level`. */
export function dacHits(r: Float64Array, o: number, level: number, addr: number, store: boolean): number {
  const eff = effectiveSlots(r, o, level);
  const dbcr0 = r[o + DBCR0] as number;
  let hits = 0;
  for (let n = 0; n < DACS; n++) {
    const enable = (DBCR0_DAC[n] as readonly [number, number])[store ? 1 : 0];
    if ((eff & (1 << (IACS + n))) !== 0 && (dbcr0 & enable) !== 0 && r[o + DAC(n)] === addr) hits |= 1 << (IACS + n);
  }
  return hits;
}

/** The DBSR bits slot hits `hits` set (a DAC slot sets its R or W bit). */
export function statusBits(hits: number, store: boolean): number {
  let bits = 0;
  for (let n = 0; n < IACS; n++) if ((hits & (1 << n)) !== 0) bits |= DBSR_IAC[n] as number;
  for (let n = 0; n < DACS; n++) {
    if ((hits & (1 << (IACS + n))) !== 0) bits |= (DBSR_DAC[n] as readonly [number, number])[store ? 1 : 0];
  }
  return bits >>> 0;
}

/** Whether a debug interrupt is pending: DBCR0[IDM], an event bit in DBSR, and MSR[DE] (`de`). */
export function debugInterruptPending(r: Float64Array, o: number, de: boolean): boolean {
  return de && ((r[o + DBCR0] as number) & DBCR0_IDM) !== 0 && ((r[o + DBSR] as number) & DBSR_EVENTS) !== 0;
}
