/**
 * DBGVCR, the ARMv7 Vector Catch Register (--vector-catch). Monitor debug-mode ignores only the
 * abort-vector catches, so a Non-secure IRQ catch a guest leaves on the CPU fires in the host, whose
 * hw_breakpoint_pending() does not handle it. The 2015 series saves the slots and DBGDSCRext only
 * (NR_CP14_REGS 66), and clears HDCR.TDA whenever it switches: a guest that runs untrapped writes
 * DBGVCR on the hardware and the exit leaves it there. The planted mutant (eager with the series'
 * set) is found only when guests write DBGVCR; eager, which switches it, holds.
 */
import { describe, expect, it } from 'vitest';
import type { Armv7Context } from '../../models/armv7/model.js';
import { armv7 } from '../../models/armv7/model.js';
import eager from '../../models/armv7/policies/eager.js';
import { emulate_cp14_32, KVM_ARM_DEBUG_DIRTY } from '../../models/armv7/policies/hyp.js';
import { DBGBVR, DBGVCR, DBGVCR_NSI, HDCR, HDCR_TDA } from '../../models/armv7/registers.js';
import { invariantsFor } from '../../properties/suites.js';
import { makeExecutor } from '../../src/searches/check.js';
import { vectorCatchNotSwitched } from './armv7-mutants.js';
import { seriesLeakTests } from './armv7-series-leak.js';

const all = invariantsFor('armv7');
const vectorCatch = { 'vector-catch': 1 };
const HOST_VCR = /cpu\d runs host code with DBGVCR = 0x40000000; the host's value is 0x0/;

describe('armv7 --vector-catch: the guest writes DBGVCR', () => {
  it('has DBGVCR reset to 0, trapped under HDCR.TDA, and offered to guests only with the option', () => {
    const x = makeExecutor(eager, armv7, all, vectorCatch);
    expect(x.model.registers.names[DBGVCR]).toBe('DBGVCR');
    expect(x.world.hw[DBGVCR]).toBe(0);
    expect(
      x.model.traps(
        new Float64Array(x.regs).fill(0).map((_, i) => (i === HDCR ? HDCR_TDA : 0)),
        0,
        DBGVCR,
        true,
      ),
    ).toBe(true);
    expect([...x.model.guestWritable]).toContain(DBGVCR);
    expect(x.model.valueDomain(DBGVCR)).toEqual([0, DBGVCR_NSI]);
    expect([...makeExecutor(eager, armv7, all, {}).model.guestWritable]).not.toContain(DBGVCR);
  });

  it("routes a trapped DBGVCR access of the series' policies to trap_raz_wi, the slot registers to trap_debug32", () => {
    const k = { vcpu: { cp14: new Float64Array(128), debugFlags: 0 } } as unknown as Armv7Context;
    emulate_cp14_32(k, { reg: DBGVCR, isWrite: true, regval: DBGVCR_NSI });
    const read = { reg: DBGVCR, isWrite: false, regval: 7 };
    emulate_cp14_32(k, read);
    expect([k.vcpu.cp14[DBGVCR], k.vcpu.debugFlags, read.regval]).toEqual([0, 0, 0]);
    emulate_cp14_32(k, { reg: DBGBVR(1), isWrite: true, regval: 0x1000 });
    expect([k.vcpu.cp14[DBGBVR(1)], k.vcpu.debugFlags]).toEqual([0x1000, KVM_ARM_DEBUG_DIRTY]);
  });

  seriesLeakTests({
    register: 'DBGVCR',
    config: vectorCatch,
    mutant: vectorCatchNotSwitched,
    guestEvent: 'GUEST_WRITE',
    onHost: HOST_VCR,
    dropped: /DBGVCR .*0x0; its value is 0x40000000/,
    untrappedWhenSwitched: true,
  });
});
