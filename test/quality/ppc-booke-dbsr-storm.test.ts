/**
 * The storm the 2008 review predicted ("we will take the same interrupts whenever MSR[DE] is set,
 * and never clear them"), replayed without invariants so it can run its course: with a gdb
 * breakpoint on the world-switch code, the exit handler's own code re-latches the IAC event right
 * after clearing DBSR, and every later entry delivers it again. The reviewed fix takes none.
 */
import { describe, expect, it } from 'vitest';
import type { BookeHost, BookeVcpu } from '../../models/ppc-booke/model.js';
import { ppcBooke } from '../../models/ppc-booke/model.js';
import gdb2008 from '../../models/ppc-booke/policies/ppc-booke-gdb-2008.js';
import gdb2008Fixed from '../../models/ppc-booke/policies/ppc-booke-gdb-2008-fixed.js';
import { DBSR, DBSR_IAC1 } from '../../models/ppc-booke/registers.js';
import type { Policy } from '../../src/engine/policy.js';
import { eventFromJSON, type TraceEvent } from '../../src/engine/trace.js';
import { makeExecutor } from '../../src/searches/check.js';
import { spyDebugExits } from './ppc-booke-mutants.js';

/**
 * Runs the events of `trace` that are enabled when their turn comes under `policy`, with no
 * invariants; returns the DBSR value each debug exit handler saw.
 */
function debugExits(policy: Policy<BookeVcpu, BookeHost>, trace: TraceEvent[]): number[] {
  const seen: number[] = [];
  const spy = spyDebugExits(policy, (k) => seen.push(k.hw.read(DBSR)));
  const x = makeExecutor(spy, ppcBooke, []);
  for (const e of trace) {
    const ev = eventFromJSON(x, e);
    if (typeof ev === 'string') throw new Error(ev);
    if (x.kinds[ev[0] as number]?.accepts(x, ev)) x.apply(ev);
  }
  return seen;
}

const gdbOnSwitchCode: TraceEvent[] = [
  { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
  { event: 'VMM_SET_GUEST_DEBUG', vcpu: 0, enable: 'on', useHw: 'on', bps: '0x2000' },
  { event: 'GUEST_ENTER', vcpu: 0 },
  { event: 'GUEST_EXIT', vcpu: 0, reason: 'irq' },
  { event: 'GUEST_ENTER', vcpu: 0 },
  { event: 'GUEST_EXIT', vcpu: 0, reason: 'irq' },
  { event: 'GUEST_ENTER', vcpu: 0 },
  { event: 'GUEST_EXECUTE', vcpu: 0, addr: 0x2000 },
];

describe('DBSR storm', () => {
  it('with the posted policy, the one IAC1 event the switch code latched is delivered again on every entry', () => {
    const seen = debugExits(gdb2008 as Policy<BookeVcpu, BookeHost>, gdbOnSwitchCode);
    expect(seen).toHaveLength(3);
    for (const dbsr of seen) expect(dbsr & DBSR_IAC1).toBe(DBSR_IAC1);
  });

  it('with the reviewed fix, the only debug exit is the guest really executing the breakpoint', () => {
    expect(debugExits(gdb2008Fixed as Policy<BookeVcpu, BookeHost>, gdbOnSwitchCode)).toEqual([DBSR_IAC1]);
  });
});
