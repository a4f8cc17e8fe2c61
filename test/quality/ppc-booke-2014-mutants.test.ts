/**
 * Mutants of the Book E design (ppc-booke-2014-fixed: upstream with the checker's three findings
 * fixed), each one slip: two that break userspace debugging, one that forgets to restore the host's
 * comparators when KVM_RUN returns, one that loses a guest-written DBCR0 across a later exit. Each is a policy built from the design's hooks (ppc-booke-mutants.ts); the checker must find it by
 * running the engine, and the unmutated design holds the same invariants. None is looked up by name.
 */
import { describe, expect, it } from 'vitest';
import { ppcBooke } from '../../models/ppc-booke/model.js';
import fixed from '../../models/ppc-booke/policies/ppc-booke-2014-fixed.js';
import { invariantsFor } from '../../properties/suites.js';
import { check } from '../../src/searches/check.js';
import { explore } from '../../src/searches/explore.js';
import { breakpointsDropped, guestDbcr0Lost, hitsNotToUserspace, hostNotRestored } from './ppc-booke-mutants.js';

const all = invariantsFor('ppc-booke');
const only = (...names: string[]) => all.filter((i) => names.includes(i.name) || i.name === 'policy-total');

describe('mutants of the Book E design that break userspace debugging are found (seed 1)', () => {
  it.each([
    // The stub's breakpoint is in the intent but no IAC holds it while the guest runs.
    ['userspace breakpoints dropped by KVM_SET_GUEST_DEBUG', breakpointsDropped, /not effective/],
    // The IAC fires, but the exit goes back to the guest: gdb never sees its breakpoint.
    ['hits resumed into the guest instead of KVM_EXIT_DEBUG', hitsNotToUserspace, /not to userspace/],
  ] as const)('finds %s under userspace-debug-honored, with a short trace', (_bug, policy, message) => {
    const r = check(policy, { arch: ppcBooke, invariants: only('userspace-debug-honored'), seed: 1, runs: 3000 });
    expect(r.verdict).toBe('violated');
    expect(r.violation?.invariant).toBe('userspace-debug-honored');
    expect(r.violation?.message).toMatch(message);
    expect(r.trace.some((e) => e.event === 'VMM_SET_GUEST_DEBUG')).toBe(true);
    expect(r.trace.length).toBeLessThanOrEqual(6);
  });
});

describe('mutants of the run-loop switch are found (seed 1)', () => {
  it("finds the host's comparators not restored when KVM_RUN returns (host-breakpoints-preserved, at RUN_RETURN)", () => {
    const r = check(hostNotRestored, { arch: ppcBooke, invariants: only('host-breakpoints-preserved'), seed: 1, runs: 3000 });
    expect(r.violation?.invariant).toBe('host-breakpoints-preserved');
    expect(r.trace.at(-1)?.event).toBe('RUN_RETURN');
    expect(r.trace.some((e) => e.event === 'HOST_SET_BREAKPOINT')).toBe(true);
    const shortest = explore(hostNotRestored, { arch: ppcBooke, invariants: only('host-breakpoints-preserved'), depth: 6 });
    expect(shortest.verdict).toBe('violated');
  });

  it('finds a guest-written DBCR0 lost across a later exit (guest-breakpoints-effective)', () => {
    const r = check(guestDbcr0Lost, { arch: ppcBooke, invariants: only('guest-breakpoints-effective'), seed: 1, runs: 3000 });
    expect(r.violation?.invariant).toBe('guest-breakpoints-effective');
    expect(r.violation?.register).toBe('DBCR0');
    // The guest arms through DBCR0, then any later emulated mtspr (or the next KVM_RUN) reloads dbg_reg without it.
    const armed = r.trace.findIndex((e) => e.event === 'GUEST_WRITE' && e.reg === 'DBCR0' && e.value !== 0);
    expect(armed).toBeGreaterThan(0);
    expect(r.trace.slice(armed + 1).some((e) => e.event === 'GUEST_WRITE' || e.event === 'RUN_RETURN')).toBe(true);
    expect(explore(guestDbcr0Lost, { arch: ppcBooke, invariants: all, depth: 6 }).verdict).toBe('violated');
  });

  it('finds all four with every invariant on, too', () => {
    for (const policy of [breakpointsDropped, hitsNotToUserspace, hostNotRestored, guestDbcr0Lost]) {
      expect(check(policy, { arch: ppcBooke, invariants: all, seed: 1, runs: 3000 }).verdict, policy.name).toBe('violated');
    }
  });

  it('leaves the unmutated design holding each of those invariants, so each finding is the mutation', () => {
    const r = check(fixed, { arch: ppcBooke, invariants: all, seed: 1, runs: 3000 });
    expect(r.violation?.message).toBeUndefined();
    expect(r.verdict).toBe('held');
  });
});
