/** Book E debug semantics the model relies on, each pinned against reg_booke.h values and ISA III-E rules. */
import { describe, expect, it } from 'vitest';
import { dacHits, debugInterruptPending, effectiveSlots, iacHits, SUPERVISOR, statusBits, USER } from '../models/ppc-booke/hardware.js';
import {
  bookeRegisterFile,
  DAC,
  DBCR0,
  DBCR0_DAC1W,
  DBCR0_IAC1,
  DBCR0_IDM,
  DBCR1,
  DBCR1_IAC1US,
  DBCR2,
  DBCR2_DAC1US,
  DBSR,
  DBSR_DAC1W,
  DBSR_IAC1,
  DBSR_IDE,
  IAC,
  REGISTER_COUNT,
} from '../models/ppc-booke/registers.js';
import { writeResult } from '../src/engine/register-file.js';

/** The "supervisor only" (0b10) value of a Sup/User field `mask` (no world in the model arms it). */
const usSupervisor = (mask: number): number => (mask & (mask << 1)) >>> 0;

const file = (set: Record<number, number>): Float64Array => {
  const r = new Float64Array(REGISTER_COUNT);
  for (const [reg, value] of Object.entries(set)) r[Number(reg)] = value;
  return r;
};

describe('Book E debug registers', () => {
  it('uses the reg_booke.h bit values the 2008 patch wrote as raw constants (1<<23 is DBSR_IAC1)', () => {
    expect(1 << 23).toBe(DBSR_IAC1);
    expect(DBCR0_IAC1).toBe(0x00800000);
    expect(DBCR0_IDM).toBe(0x40000000);
  });

  it('clears DBSR bits written as 1 and keeps the others (write-1-to-clear)', () => {
    const rf = bookeRegisterFile();
    const sem = rf.semantics[DBSR] as number;
    expect(writeResult(sem, (DBSR_IAC1 | DBSR_IDE) >>> 0, DBSR_IAC1)).toBe(DBSR_IDE);
    expect(writeResult(sem, DBSR_IAC1, 0)).toBe(DBSR_IAC1);
  });

  it('arms an IAC only with DBCR0[IDM] and its enable, for the privilege its DBCR1 field admits', () => {
    const base = { [IAC(0)]: 0x1000, [DBCR0]: DBCR0_IAC1 };
    expect(effectiveSlots(file(base), 0, USER)).toBe(0);
    const armed = { ...base, [DBCR0]: DBCR0_IDM | DBCR0_IAC1 };
    expect(iacHits(file(armed), 0, USER, 0x1000)).toBe(1);
    expect(iacHits(file(armed), 0, SUPERVISOR, 0x1000)).toBe(1); // DBCR1 IAC1US = 0b00: any MSR[PR]
    const userOnly = { ...armed, [DBCR1]: DBCR1_IAC1US };
    expect(iacHits(file(userOnly), 0, SUPERVISOR, 0x1000)).toBe(0);
    expect(iacHits(file(userOnly), 0, USER, 0x1000)).toBe(1);
    const supervisorOnly = { ...armed, [DBCR1]: usSupervisor(DBCR1_IAC1US) };
    expect(iacHits(file(supervisorOnly), 0, USER, 0x1000)).toBe(0);
  });

  it('qualifies DACs by DBCR2 and by the read/write enables in DBCR0', () => {
    const r = file({ [DAC(0)]: 0x2000, [DBCR0]: DBCR0_IDM | DBCR0_DAC1W, [DBCR2]: usSupervisor(DBCR2_DAC1US) });
    expect(dacHits(r, 0, SUPERVISOR, 0x2000, true)).toBe(1 << 4);
    expect(dacHits(r, 0, SUPERVISOR, 0x2000, false)).toBe(0);
    expect(dacHits(r, 0, USER, 0x2000, true)).toBe(0);
    expect(statusBits(1 << 4, true)).toBe(DBSR_DAC1W);
  });

  it('takes a debug interrupt only with MSR[DE], DBCR0[IDM] and an event bit (IDE alone is not an event)', () => {
    const r = file({ [DBCR0]: DBCR0_IDM, [DBSR]: DBSR_IAC1 });
    expect(debugInterruptPending(r, 0, true)).toBe(true);
    expect(debugInterruptPending(r, 0, false)).toBe(false);
    expect(debugInterruptPending(file({ [DBCR0]: 0, [DBSR]: DBSR_IAC1 }), 0, true)).toBe(false);
    expect(debugInterruptPending(file({ [DBCR0]: DBCR0_IDM, [DBSR]: DBSR_IDE }), 0, true)).toBe(false);
  });
});
