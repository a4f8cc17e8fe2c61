/**
 * What an x86 core does with its debug registers (SDM vol. 3 18.2-18.3): breakpoint n is enabled by
 * DR7.Ln or DR7.Gn at every privilege level; R/Wn selects instruction execution (00), data writes
 * (01), I/O (10, not modelled) or data reads and writes (11); LENn (00 1, 01 2, 11 4, 10 8 bytes)
 * masks the low address bits, and instruction breakpoints need LEN 00. A match sets DR6.Bn; B0-B3 may
 * be cleared by the next debug exception, BD, BS and BT are never cleared by the processor (18.2.3).
 * Pure functions over a register file `r` at offset `o`.
 */
import { DR, DR_CONTROL_SHIFT, DR_CONTROL_SIZE, DR_RW_EXECUTE, DR_RW_READ, DR_RW_WRITE, DR_TRAP_BITS, DR7, SLOTS } from './registers.js';

/** Kinds of access a breakpoint can match. */
export const EXECUTE = 0;
export const LOAD = 1;
export const STORE = 2;

/** Bitmask of breakpoints DR7 enables (Ln or Gn); the level does not matter on x86. */
export function effectiveSlots(r: Float64Array, o: number, _level?: number): number {
  const dr7 = r[o + DR7] as number;
  // Bit 2n of `e` is Ln | Gn; gathered into bit n (SLOTS is 4: L0/G0 to L3/G3 are bits 0-7).
  const e = (dr7 | (dr7 >>> 1)) & 0x55;
  return (e & 1) | ((e >>> 1) & 2) | ((e >>> 2) & 4) | ((e >>> 3) & 8);
}

const LEN_BYTES = [1, 2, 8, 4] as const;

/** Breakpoints that match an access of `kind` at `addr` under the live enables. */
export function matchingSlots(r: Float64Array, o: number, addr: number, kind: number): number {
  const dr7 = r[o + DR7] as number;
  const enabled = effectiveSlots(r, o);
  let hits = 0;
  for (let n = 0; n < SLOTS; n++) {
    if ((enabled & (1 << n)) === 0) continue;
    const field = (dr7 >>> (DR_CONTROL_SHIFT + DR_CONTROL_SIZE * n)) & 0xf;
    const rw = field & 3;
    const bytes = LEN_BYTES[field >>> 2] as number;
    const base = r[o + DR(n)] as number;
    if (kind === EXECUTE) {
      if (rw === DR_RW_EXECUTE && bytes === 1 && base === addr) hits |= 1 << n;
      continue;
    }
    const kindMatches = rw === DR_RW_READ || (rw === DR_RW_WRITE && kind === STORE);
    if (kindMatches && Math.floor(base / bytes) === Math.floor(addr / bytes)) hits |= 1 << n;
  }
  return hits;
}

/**
 * DR6 after a debug exception reporting `bits`: B0-B3 replaced, BD/BS/BT sticky, on both vendors (as
 * kvm_deliver_exception_payload merges a payload). The SDM says only that certain #DBs "may clear" B0-B3
 * and the APM's wording is disputed; observed hardware, AMD's included, overwrites them on every #DB but
 * ICEBP, which the model lacks (Xen xen/arch/x86/debug.c x86_merge_dr6, 2024). Only SVM with the guest's
 * own DR6 live (KVM_DEBUGREG_WONT_EXIT) could tell: svm_vcpu_run otherwise enters with DR6_ACTIVE_LOW.
 */
export function latchDr6(dr6: number, bits: number): number {
  return ((dr6 & ~DR_TRAP_BITS) | bits) >>> 0;
}

/** The DR6 slot bits (B0-B3) of a breakpoint hit mask. */
export const trapBits = (hits: number): number => hits & DR_TRAP_BITS;
