/**
 * The upstream design (Linux 3.15+) against the same checks. The host arms its comparators as
 * upstream does (ptrace of the current thread, user-only), and kvmppc_vcpu_run() calls
 * switch_booke_debug_regs() on every entry and exit, swapping the whole register set whenever the
 * host or the vCPU uses DBCR0[IDM], whether or not userspace debugs: no host comparator is left armed
 * while the guest runs, and DBSR is consumed on every debug exit. Every invariant holds.
 */
import { describe, expect, it } from 'vitest';
import { ppcBooke } from '../../models/ppc-booke/model.js';
import upstream from '../../models/ppc-booke/policies/ppc-booke-2014.js';
import { invariantsFor } from '../../properties/suites.js';
import { check } from '../../src/check.js';
import { explore } from '../../src/explore.js';

const all = invariantsFor('ppc-booke');

describe('ppc-booke-2014 (upstream)', () => {
  it('holds every invariant on 2000 interleavings (seed 1)', () => {
    const r = check(upstream, { arch: ppcBooke, invariants: all, seed: 1, runs: 2000 });
    expect(r.violation).toBeUndefined();
    expect(r.verdict).toBe('held');
    expect(r.warnings).toEqual([]);
  });

  it('holds every invariant for every interleaving of at most 8 events over the small domain', () => {
    const r = explore(upstream, { arch: ppcBooke, invariants: all, depth: 8 });
    expect(r.violation).toBeUndefined();
    expect(r.verdict).toBe('held');
    expect(r.depthCompleted).toBe(8);
  });
});
