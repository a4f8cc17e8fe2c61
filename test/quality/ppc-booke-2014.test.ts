/**
 * The upstream Book E design (Linux 3.15+, booke.c / booke_emulate.c / process.c) with the guest
 * owning its debug registers. The engine finds, with no hint, three things upstream does as
 * modelled: a guest mtspr that clears DBCR0[IDM] never reaches the hardware (switch_booke_debug_regs
 * compares current->thread.debug after it was set to the new value), the guest's comparators are
 * loaded with the guest's DBCR1/DBCR2 as written (0 = any privilege) so host code in the run loop
 * latches them, and the guest's MSR[DE] is cleared while userspace debugs. ppc-booke-2014-fixed
 * (those three changed, not upstream) holds every invariant.
 */
import { describe, expect, it } from 'vitest';
import { ppcBooke } from '../../models/ppc-booke/model.js';
import upstream from '../../models/ppc-booke/policies/ppc-booke-2014.js';
import fixed from '../../models/ppc-booke/policies/ppc-booke-2014-fixed.js';
import { invariantsFor } from '../../properties/suites.js';
import { check } from '../../src/searches/check.js';
import { explore } from '../../src/searches/explore.js';

const all = invariantsFor('ppc-booke');
const only = (name: string) => all.filter((i) => i.name === name || i.name === 'policy-total');

describe('ppc-booke-2014 (upstream)', () => {
  it('leaves the comparators armed after the guest clears DBCR0[IDM] (seed 1, every invariant)', () => {
    const r = check(upstream, { arch: ppcBooke, invariants: all, seed: 1, runs: 2000 });
    expect(r.violation?.invariant).toBe('host-breakpoints-quiet-in-guest');
    const dbcr0 = r.trace.filter((e) => e.event === 'GUEST_WRITE' && e.reg === 'DBCR0').map((e) => e.value);
    expect(dbcr0.at(-1)).toBe(0);
    expect(r.trace.some((e) => e.event === 'HOST_SET_BREAKPOINT' || e.event === 'VMM_SET_GUEST_DEBUG')).toBe(false);
  });

  it('lets host code in the run loop latch a guest comparator the guest left qualified for any privilege (explore, 5 steps)', () => {
    const r = explore(upstream, { arch: ppcBooke, invariants: only('debug-status-consumed'), depth: 6 });
    expect(r.violation?.invariant).toBe('debug-status-consumed');
    expect(r.trace).toHaveLength(5);
    expect(r.trace).toContainEqual(expect.objectContaining({ event: 'GUEST_WRITE', reg: 'IAC1', value: 0x2000 }));
    expect(r.trace.some((e) => e.reg === 'DBCR1')).toBe(false);
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
