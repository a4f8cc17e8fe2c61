/**
 * "Planted bug must be found": the 2008 gdb breakpoint posting for KVM/440 sets DBCR1 to 0 for the
 * guest and never restores it, and arms the guest's IACs for every privilege level, so the
 * world-switch code itself latches a debug event on a gdb breakpoint placed at its address; the
 * event reaches userspace as a spurious KVM_EXIT_DEBUG and stays latched in DBSR. The checker must
 * find both from the engine alone, shrink them, and let the reviewed fix and the baseline hold.
 */
import { describe, expect, it } from 'vitest';
import { ppcBooke } from '../../models/ppc-booke/model.js';
import eager from '../../models/ppc-booke/policies/eager.js';
import gdb2008 from '../../models/ppc-booke/policies/ppc-booke-gdb-2008.js';
import gdb2008Fixed from '../../models/ppc-booke/policies/ppc-booke-gdb-2008-fixed.js';
import { invariantsFor } from '../../properties/suites.js';
import { type CheckResult, check } from '../../src/check.js';

const all = invariantsFor('ppc-booke');
const only = (name: string) => all.filter((i) => i.name === name);
const seeds = Array.from({ length: 20 }, (_, i) => i + 1);
const steps = (r: CheckResult): string => r.trace.map((e) => e.event).join(', ');

describe('ppc-booke-gdb-2008 (as posted)', () => {
  it.each(seeds)('violates debug-status-consumed alone, with a shrunk trace (seed %i)', (seed) => {
    const r = check(gdb2008, { arch: ppcBooke, invariants: only('debug-status-consumed'), seed, runs: 1000 });
    expect(r.verdict).toBe('violated');
    expect(r.violation?.invariant).toBe('debug-status-consumed');
    expect(r.trace.length, steps(r)).toBeLessThanOrEqual(5);
    // The shortest story: userspace arms a breakpoint, and the next entry delivers an event it did not raise.
    expect(r.trace.map((e) => e.event)).toContain('VMM_SET_GUEST_DEBUG');
  });

  it.each(seeds)('violates host-breakpoints-preserved alone on DBCR1, with a shrunk trace (seed %i)', (seed) => {
    const r = check(gdb2008, { arch: ppcBooke, invariants: only('host-breakpoints-preserved'), seed, runs: 1000 });
    expect(r.verdict).toBe('violated');
    expect(r.violation?.register).toBe('DBCR1');
    expect(r.trace.length, steps(r)).toBeLessThanOrEqual(6);
  });

  it('finds both with every invariant on over seeds 1..20', () => {
    const found = new Set(seeds.map((seed) => check(gdb2008, { arch: ppcBooke, invariants: all, seed, runs: 1000 }).violation?.invariant));
    expect(found).toContain('debug-status-consumed');
    expect(found).toContain('host-breakpoints-preserved');
  });
});

describe('the fixes hold', () => {
  it.each([
    ['the reviewed fix ppc-booke-gdb-2008-fixed', gdb2008Fixed],
    ['the eager baseline', eager],
  ])('%s holds every invariant on 2000 interleavings (seed 1)', (_label, policy) => {
    const r = check(policy, { arch: ppcBooke, invariants: all, seed: 1, runs: 2000 });
    expect(r.violation).toBeUndefined();
    expect(r.verdict).toBe('held');
    expect(r.warnings).toEqual([]);
  });
});
