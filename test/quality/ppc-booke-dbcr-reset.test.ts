/**
 * What a Book E CPU's DBCR1/DBCR2 hold before Linux first primes them (--dbcr-reset). Only
 * prime_debug_regs() (process.c) writes them, and it writes DBCR0 before DBCR1/DBCR2; the 440x5
 * manual (3.1) leaves them undefined at reset. With 0b00 qualifiers there (any privilege level, the
 * default), a guest context primed DBCR0 first has its comparators live for the host kernel's code
 * until DBCR1 follows, and the switch code can latch one. That latch is harmless upstream: prime
 * cleared MSR[DE] first, and DBSR is cleared before anything can take it, at the next entry
 * (lightweight_exit) or at vcpu_put. debug-status-consumed judges such a spurious bit where it is
 * delivered, or once the CPU leaves KVM with it pending: the fixed design holds, and a vcpu_put that
 * does not clear DBSR (the planted mutant) is found.
 */
import { describe, expect, it } from 'vitest';
import { ppcBooke } from '../../models/ppc-booke/model.js';
import upstream from '../../models/ppc-booke/policies/ppc-booke-2014.js';
import fixed from '../../models/ppc-booke/policies/ppc-booke-2014-fixed.js';
import { DBCR1, DBCR1_DEFAULT, DBCR2, DBCR2_DEFAULT, DBSR, DBSR_IAC1 } from '../../models/ppc-booke/registers.js';
import { invariantsFor } from '../../properties/suites.js';
import type { Policy } from '../../src/engine/policy.js';
import { eventFromJSON, type TraceEvent } from '../../src/engine/trace.js';
import { check, makeExecutor } from '../../src/searches/check.js';
import { explore } from '../../src/searches/explore.js';
import { cli } from '../cli-harness.js';
import { firstViolation } from './first-violation.js';
import { spuriousLeftAtPut } from './ppc-booke-mutants.js';

const all = invariantsFor('ppc-booke');
const SPURIOUS = /DBSR\[IAC1\] was latched on cpu0 \(host\) by code that did not arm that comparator/;

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
];
const reentered: TraceEvent[] = [...userOnlyFirst, { event: 'GUEST_ENTER', vcpu: 0 }];
const leftKvm: TraceEvent[] = [...userOnlyFirst, { event: 'RUN_RETURN', vcpu: 0 }, { event: 'VCPU_PUT', vcpu: 0 }];

/** The first violation, with every invariant, of `trace` under `config`. */
const replay = (policy: Policy, trace: TraceEvent[], config: Record<string, number>) =>
  firstViolation(policy, ppcBooke, trace, all, config);

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

  it("latches the guest's comparator in the switch code on an unprimed CPU (upstream's order), and judges it nowhere while KVM holds the CPU", () => {
    for (const policy of [upstream, fixed] as Policy[]) {
      const x = makeExecutor(policy, ppcBooke, all, {});
      for (const e of userOnlyFirst) {
        const ev = eventFromJSON(x, e);
        if (typeof ev === 'string') throw new Error(ev);
        x.apply(ev);
      }
      expect(x.violation).toBeUndefined();
      expect((x.world.hw[DBSR] as number) & DBSR_IAC1, policy.name).toBe(DBSR_IAC1); // latched, MSR[DE] clear
    }
    // The next entry's lightweight_exit clears it before the guest runs; KVM_RUN's return clears it at vcpu_put.
    expect(replay(upstream as Policy, reentered, {})).toBeUndefined();
    expect(replay(fixed as Policy, reentered, {})).toBeUndefined();
    expect(replay(fixed as Policy, leftKvm, {})).toBeUndefined();
  });

  it('finds a vcpu_put that leaves the latched bit in DBSR when the CPU leaves KVM, and only on an unprimed CPU', () => {
    const found = replay(spuriousLeftAtPut, leftKvm, {});
    expect(found?.step).toBe(leftKvm.length);
    expect(found?.message).toMatch(SPURIOUS);
    expect(replay(spuriousLeftAtPut, leftKvm, { 'dbcr-reset': 1 })).toBeUndefined();
    const e = explore(spuriousLeftAtPut, { arch: ppcBooke, invariants: all, depth: 7 });
    expect(e.violation?.invariant).toBe('debug-status-consumed');
    expect(e.violation?.message).toMatch(SPURIOUS);
    expect(e.trace).toHaveLength(7);
    expect(e.trace?.at(-1)?.event).toBe('VCPU_PUT');
    const r = check(spuriousLeftAtPut, { arch: ppcBooke, invariants: all, seed: 2, runs: 3000 });
    expect(r.violation?.invariant).toBe('debug-status-consumed');
    expect(r.trace).toHaveLength(7);
  });

  it('holds ppc-booke-2014-fixed, which primes in upstream order, under both', () => {
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
