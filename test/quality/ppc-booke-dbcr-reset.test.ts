/**
 * What a Book E CPU's DBCR1/DBCR2 hold before Linux first primes them (--dbcr-reset). Only
 * prime_debug_regs() (process.c) writes them, and it writes DBCR0 before DBCR1/DBCR2; the 440x5
 * manual (3.1) leaves them undefined at reset. With 0b00 qualifiers there (any privilege level, the
 * default), a guest context primed DBCR0 first has its comparators live for the host kernel's code
 * until DBCR1 follows: the planted mutant that primes in upstream's order is found only then, and
 * the fixed design, which primes DBCR1/DBCR2 first, holds under both.
 */
import { describe, expect, it } from 'vitest';
import { ppcBooke } from '../../models/ppc-booke/model.js';
import upstream from '../../models/ppc-booke/policies/ppc-booke-2014.js';
import fixed from '../../models/ppc-booke/policies/ppc-booke-2014-fixed.js';
import { DBCR1, DBCR1_DEFAULT, DBCR2, DBCR2_DEFAULT } from '../../models/ppc-booke/registers.js';
import { invariantsFor } from '../../properties/suites.js';
import type { Policy } from '../../src/engine/policy.js';
import { eventFromJSON, type TraceEvent } from '../../src/engine/trace.js';
import { check, makeExecutor } from '../../src/searches/check.js';
import { explore } from '../../src/searches/explore.js';
import { cli } from '../cli-harness.js';
import { dbcr0PrimedFirst } from './ppc-booke-mutants.js';

const all = invariantsFor('ppc-booke');
const SPURIOUS = /DBSR\[IAC1\] was latched on cpu0 \(hyp\) by code that did not arm that comparator/;

// A guest that qualifies its comparators user-only first (as a Linux guest's ptrace-adv does), then
// sets IAC1 at the switch code's address and enables it: every write an emulated mtspr.
const userOnlyFirst: TraceEvent[] = [
  { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
  { event: 'GUEST_ENTER', vcpu: 0 },
  { event: 'GUEST_WRITE', vcpu: 0, reg: 'DBCR1', value: DBCR1_DEFAULT },
  { event: 'GUEST_ENTER', vcpu: 0 },
  { event: 'GUEST_WRITE', vcpu: 0, reg: 'IAC1', value: 0x2000 },
  { event: 'GUEST_ENTER', vcpu: 0 },
  { event: 'GUEST_WRITE', vcpu: 0, reg: 'DBCR0', value: 0x40800000 },
  { event: 'GUEST_ENTER', vcpu: 0 },
];

/** Replays `trace` with every invariant: the step (1-based) and message of the first violation. */
function replay(policy: Policy, trace: TraceEvent[], config: Record<string, number>): { step: number; message: string } | undefined {
  const x = makeExecutor(policy, ppcBooke, all, config);
  for (const [i, e] of trace.entries()) {
    const ev = eventFromJSON(x, e);
    if (typeof ev === 'string') throw new Error(ev);
    x.apply(ev);
    if (x.violation) return { step: i + 1, message: x.violation.message };
  }
  return undefined;
}

describe('ppc-booke --dbcr-reset: DBCR1/DBCR2 before the first prime', () => {
  it('resets the hardware qualifiers to 0b00 by default and to the user-only defaults with 1; thread.debug keeps the defaults', () => {
    for (const [option, hw1, hw2] of [
      [undefined, 0, 0],
      [1, DBCR1_DEFAULT, DBCR2_DEFAULT],
    ] as const) {
      const x = makeExecutor(fixed, ppcBooke, all, option === undefined ? {} : { 'dbcr-reset': option });
      const R = x.regs;
      for (let c = 0; c < x.world.shape.cpus; c++) {
        expect([x.world.hw[c * R + DBCR1], x.world.hw[c * R + DBCR2]]).toEqual([hw1, hw2]);
        expect([x.world.hostMem[c * R + DBCR1], x.world.hostMem[c * R + DBCR2]]).toEqual([DBCR1_DEFAULT, DBCR2_DEFAULT]);
      }
    }
  });

  it("finds the guest's comparators live for the switch code when its context is primed DBCR0 first", () => {
    const e = explore(dbcr0PrimedFirst, { arch: ppcBooke, invariants: all, depth: 6 });
    expect(e.violation?.invariant).toBe('debug-status-consumed');
    expect(e.violation?.message).toMatch(SPURIOUS);
    // Load, enter, the guest's mtspr IAC1 at the switch code's address, re-enter, its mtspr DBCR0.
    expect(e.trace?.map((t) => t.event)).toEqual(['VCPU_LOAD', 'GUEST_ENTER', 'GUEST_WRITE', 'GUEST_ENTER', 'GUEST_WRITE']);
    const r = check(dbcr0PrimedFirst, { arch: ppcBooke, invariants: all, seed: 1, runs: 3000 });
    expect(r.violation?.invariant).toBe('debug-status-consumed');
    expect(r.trace).toHaveLength(5); // shrunk to the same five steps
  });

  it('holds the same mutant on CPUs already primed user-only (--dbcr-reset 1): the window needs 0b00 qualifiers', () => {
    const config = { 'dbcr-reset': 1 };
    expect(explore(dbcr0PrimedFirst, { arch: ppcBooke, invariants: all, depth: 8, config }).verdict).toBe('held');
    expect(check(dbcr0PrimedFirst, { arch: ppcBooke, invariants: all, seed: 1, runs: 3000, config }).verdict).toBe('held');
  });

  it("finds upstream's own order (5.x prime_debug_regs) latching the switch code on an unprimed CPU, even for a guest that qualifies user-only first", () => {
    const found = replay(upstream as Policy, userOnlyFirst, {});
    expect(found?.step).toBe(7);
    expect(found?.message).toMatch(SPURIOUS);
    expect(replay(upstream as Policy, userOnlyFirst, { 'dbcr-reset': 1 })).toBeUndefined();
    expect(replay(fixed as Policy, userOnlyFirst, {})).toBeUndefined();
  });

  it('holds ppc-booke-2014-fixed, which primes DBCR1/DBCR2 first, under both', () => {
    const configs: Record<string, number>[] = [{}, { 'dbcr-reset': 1 }, { vcpus: 2 }];
    for (const config of configs) {
      const depth = config.vcpus === 2 ? 6 : 8;
      expect(explore(fixed, { arch: ppcBooke, invariants: all, depth, config }).verdict, JSON.stringify(config)).toBe('held');
    }
  });

  it('refuses --dbcr-reset 1 with --ptrace 0 in one line, exit 2: a 2008 host has no user-only defaults', async () => {
    const r = await cli('check', 'ppc-booke/eager', '--ptrace', '0', '--dbcr-reset', '1');
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toEqual([expect.stringMatching(/--dbcr-reset 1 needs --ptrace 1/)]);
  });
});
