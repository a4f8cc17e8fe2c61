/** x86 debug-register semantics the model relies on, pinned against debugreg.h / kvm_host.h values and SDM 18.2. */
import { describe, expect, it } from 'vitest';
import { EXECUTE, effectiveSlots, LOAD, latchDr6, matchingSlots, STORE } from '../models/x86/hardware.js';
import {
  DEBUGCTL,
  DR,
  DR_CONTROLS,
  DR_LEN_4,
  DR_RW_EXECUTE,
  DR_RW_READ,
  DR_RW_WRITE,
  DR_STEP,
  DR6,
  DR6_ACTIVE_LOW,
  DR6_BD,
  DR7,
  DR7_FIXED_1,
  DR7_GD,
  dr7Slot,
  EXIT_QUAL,
  HSAVE_DR6,
  REGISTER_COUNT,
  x86RegisterFile,
} from '../models/x86/registers.js';
import { hwWriteResult } from '../src/engine/register-file.js';

const file = (set: Record<number, number>): Float64Array => {
  const r = new Float64Array(REGISTER_COUNT);
  for (const [reg, value] of Object.entries(set)) r[Number(reg)] = value;
  return r;
};

describe('x86 debug registers', () => {
  it('resets DR6 to its active-low bits 0xffff0ff0 and DR7 to 0x400, and has GD at bit 13', () => {
    const rf = x86RegisterFile(true);
    expect(rf.reset[DR6]).toBe(0xffff0ff0);
    expect(rf.reset[DR7]).toBe(0x400);
    expect(DR7_GD).toBe(0x2000);
    expect(DR6_BD).toBe(0x2000);
    expect(DR_STEP).toBe(0x4000);
  });

  it('keeps DR7 bit 10 set whatever is written (DR7_FIXED_1), and nothing else fixed', () => {
    const rf = x86RegisterFile(true);
    expect(hwWriteResult(rf, DR7, DR7_FIXED_1, 0)).toBe(0x400);
    expect(hwWriteResult(rf, DR7, 0, 0x1)).toBe(0x401);
    expect(hwWriteResult(rf, DR(0), 0x1000, 0)).toBe(0);
  });

  it('has an exit qualification on VMX, host-save DEBUGCTL and DR6 on SVM, and lets no software write the live DR controls', () => {
    expect(x86RegisterFile(true).names[EXIT_QUAL]).toBe('EXIT_QUALIFICATION');
    expect(x86RegisterFile(false).names[EXIT_QUAL]).toBe('HSAVE_DEBUGCTL');
    expect(x86RegisterFile(true).implemented[HSAVE_DR6]).toBe(0);
    expect(x86RegisterFile(false).implemented[HSAVE_DR6]).toBe(1);
    expect(x86RegisterFile(false).semantics[HSAVE_DR6]).toBe(1); // read-only
    expect(x86RegisterFile(false).semantics[DR_CONTROLS]).toBe(1); // read-only
    expect(x86RegisterFile(false).semantics[DEBUGCTL]).toBe(0);
  });

  it('encodes DR7 as hw_breakpoint.c __encode_dr7 does: Gn at bit 2n+1, R/W and LEN at 16 + 4n', () => {
    // A 4-byte write watchpoint in slot 1: G1 (bit 3) | (LEN_4 | RW_WRITE) << 20.
    expect(dr7Slot(1, DR_RW_WRITE, DR_LEN_4, true)).toBe(0x8 | (0xd << 20));
    expect(dr7Slot(0, DR_RW_EXECUTE, 0, false)).toBe(0x1);
  });

  it('enables a breakpoint with either its local or its global bit', () => {
    expect(effectiveSlots(file({ [DR7]: 0x400 }), 0)).toBe(0);
    expect(effectiveSlots(file({ [DR7]: 0x401 }), 0)).toBe(0b1);
    expect(effectiveSlots(file({ [DR7]: 0x408 }), 0)).toBe(0b10);
    expect(effectiveSlots(file({ [DR7]: 0x4c0 }), 0)).toBe(0b1000);
  });

  it('matches instruction breakpoints on execution only, write watchpoints on stores, R/W 11 on both', () => {
    const exec = file({ [DR(0)]: 0x1000, [DR7]: 0x401 });
    expect(matchingSlots(exec, 0, 0x1000, EXECUTE)).toBe(1);
    expect(matchingSlots(exec, 0, 0x1000, STORE)).toBe(0);
    expect(matchingSlots(exec, 0, 0x2000, EXECUTE)).toBe(0);
    const write = file({ [DR(0)]: 0x1000, [DR7]: 0x400 | dr7Slot(0, DR_RW_WRITE, DR_LEN_4, false) });
    expect(matchingSlots(write, 0, 0x1000, STORE)).toBe(1);
    expect(matchingSlots(write, 0, 0x1000, LOAD)).toBe(0);
    expect(matchingSlots(write, 0, 0x1000, EXECUTE)).toBe(0);
    const rw = file({ [DR(0)]: 0x1000, [DR7]: 0x400 | dr7Slot(0, DR_RW_READ, DR_LEN_4, false) });
    expect(matchingSlots(rw, 0, 0x1000, LOAD)).toBe(1);
    expect(matchingSlots(rw, 0, 0x1000, STORE)).toBe(1);
  });

  it('masks the low address bits by LEN and ignores a disabled breakpoint', () => {
    const rw = file({ [DR(2)]: 0x1000, [DR7]: 0x400 | dr7Slot(2, DR_RW_READ, DR_LEN_4, true) });
    expect(matchingSlots(rw, 0, 0x1003, LOAD)).toBe(0b100);
    expect(matchingSlots(rw, 0, 0x1004, LOAD)).toBe(0);
    // An instruction breakpoint needs LEN 00 (SDM 18.2.5).
    expect(matchingSlots(file({ [DR(0)]: 0x1000, [DR7]: 0x400 | dr7Slot(0, 0, DR_LEN_4, false) }), 0, 0x1000, EXECUTE)).toBe(0);
    expect(matchingSlots(file({ [DR(0)]: 0x1000, [DR7]: 0x400 }), 0, 0x1000, EXECUTE)).toBe(0);
  });

  it('latches DR6 stickily: BD and BS stay until software clears them, B0-B3 report the latest #DB', () => {
    const afterBd = latchDr6(DR6_ACTIVE_LOW, DR6_BD);
    expect(afterBd).toBe((DR6_ACTIVE_LOW | DR6_BD) >>> 0);
    const afterB1 = latchDr6((afterBd | 0x1) >>> 0, 0x2);
    expect(afterB1).toBe((DR6_ACTIVE_LOW | DR6_BD | 0x2) >>> 0);
    expect(latchDr6((DR6_ACTIVE_LOW | DR_STEP) >>> 0, 0x1) & DR_STEP).toBe(DR_STEP);
  });
});
