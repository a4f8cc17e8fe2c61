/**
 * The upstream Book E design (Linux 3.15+, booke.c / booke_emulate.c / process.c) with the guest
 * owning its debug registers. The engine finds, with no hint, three things upstream does as
 * modelled: a guest mtspr that clears DBCR0[IDM] never reaches the hardware (switch_booke_debug_regs
 * compares current->thread.debug after it was set to the new value), the guest's comparators are
 * loaded with the guest's DBCR1/DBCR2 as written (0 = any privilege) so host code in the run loop
 * latches them (delivered to the guest when that happens after lightweight_exit's DBSR clear), and
 * the guest's MSR[DE] is cleared while userspace debugs. ppc-booke-2014-fixed
 * (those three changed, not upstream) holds every invariant.
 */
import { describe, expect, it } from 'vitest';
import { ppcBooke } from '../../models/ppc-booke/model.js';
import upstream from '../../models/ppc-booke/policies/ppc-booke-2014.js';
import fixed from '../../models/ppc-booke/policies/ppc-booke-2014-fixed.js';
import { invariantsFor } from '../../properties/suites.js';
import type { Invariant } from '../../src/engine/invariant.js';
import type { Policy } from '../../src/engine/policy.js';
import type { TraceEvent } from '../../src/engine/trace.js';
import { check } from '../../src/searches/check.js';
import { explore } from '../../src/searches/explore.js';
import { firstViolation } from './first-violation.js';

const all = invariantsFor('ppc-booke');
const only = (name: string) => all.filter((i) => i.name === name || i.name === 'policy-total');

/** The first violation of `invariants` on `trace` (default configuration). */
const replay = (policy: Policy, trace: TraceEvent[], invariants: readonly Invariant[]) =>
  firstViolation(policy, ppcBooke, trace, invariants);

describe('ppc-booke-2014 (upstream)', () => {
  it('leaves the comparators armed after the guest clears DBCR0[IDM] (seed 1, every invariant)', () => {
    const r = check(upstream, { arch: ppcBooke, invariants: all, seed: 1, runs: 2000 });
    expect(r.violation?.invariant).toBe('host-breakpoints-quiet-in-guest');
    const dbcr0 = r.trace.filter((e) => e.event === 'GUEST_WRITE' && e.reg === 'DBCR0').map((e) => e.value);
    expect(dbcr0.at(-1)).toBe(0);
    expect(r.trace.some((e) => e.event === 'HOST_SET_BREAKPOINT' || e.event === 'VMM_SET_GUEST_DEBUG')).toBe(false);
  });

  it("lets the run loop's code latch a guest comparator left qualified for any privilege: discarded before lightweight_exit's clear, the guest's after it", () => {
    const latchedInPrime: TraceEvent[] = [
      { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
      { event: 'GUEST_ENTER', vcpu: 0 },
      { event: 'GUEST_WRITE', vcpu: 0, reg: 'IAC1', value: 0x2000 },
      { event: 'GUEST_ENTER', vcpu: 0 },
      { event: 'GUEST_WRITE', vcpu: 0, reg: 'DBCR0', value: 0x40800000 },
      { event: 'GUEST_ENTER', vcpu: 0 },
    ];
    // Latched inside prime_debug_regs (MSR[DE] clear), cleared by the re-entry: no world takes it.
    expect(replay(upstream as Policy, latchedInPrime, only('debug-status-consumed'))).toBeUndefined();
    // With the guest's MSR[DE] set, the run loop latches it again after the clear (lightweight_exit's
    // "3-instruction window"), and the guest takes the switch code's event as its own.
    const window: TraceEvent[] = [
      ...latchedInPrime.slice(0, 2),
      { event: 'GUEST_WRITE', vcpu: 0, reg: 'DBCR0', value: 0x40800000 },
      { event: 'GUEST_ENTER', vcpu: 0 },
      { event: 'GUEST_WRITE', vcpu: 0, reg: 'MSR', value: 0x200 },
      { event: 'GUEST_ENTER', vcpu: 0 },
      { event: 'GUEST_WRITE', vcpu: 0, reg: 'IAC1', value: 0x2000 },
      { event: 'GUEST_ENTER', vcpu: 0 },
    ];
    const found = replay(upstream as Policy, window, all);
    expect(found?.step).toBe(8);
    expect(found?.message).toMatch(
      /DBSR\[IAC1\] was raised on cpu0 by code whose world did not arm that comparator .*delivered to the guest/,
    );
    expect(replay(fixed as Policy, window, all)).toBeUndefined(); // its guest DBCR1 is loaded user-only
  });

  it("clears the guest's MSR[DE] while userspace debugs it (no-stale-read)", () => {
    const r = check(upstream, { arch: ppcBooke, invariants: only('no-stale-read'), seed: 1, runs: 2000 });
    expect(r.violation?.register).toBe('MSR');
    expect(r.trace.some((e) => e.event === 'VMM_SET_GUEST_DEBUG')).toBe(true);
  });
});

describe('ppc-booke-2014-fixed', () => {
  it('holds every invariant on 3000 interleavings (seed 1)', () => {
    const r = check(fixed, { arch: ppcBooke, invariants: all, seed: 1, runs: 3000 });
    expect(r.violation).toBeUndefined();
    expect(r.verdict).toBe('held');
    expect(r.warnings).toEqual([]);
  });

  it('holds every invariant for every interleaving of at most 6 events over the small domain', () => {
    const r = explore(fixed, { arch: ppcBooke, invariants: all, depth: 6 });
    expect(r.violation).toBeUndefined();
    expect(r.verdict).toBe('held');
    expect(r.depthCompleted).toBe(6);
  });
});
