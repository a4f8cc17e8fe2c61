/**
 * "Planted bug must be found": the v2 posting of the arm64 debug save/restore tests MDSCR_EL1.KDE
 * twice and never MDE, so a guest debugging only EL0 runs on the host's breakpoint registers (or
 * its own are never loaded). The checker must find that from every seed and shrink it to a short
 * trace, while the merged fix and the eager baseline hold.
 */
import { describe, expect, it } from 'vitest';
import { arm64Nvhe } from '../../models/arm64-nvhe/model.js';
import arm64Dirty2015 from '../../models/arm64-nvhe/policies/arm64-dirty-2015.js';
import arm64Dirty2015V2 from '../../models/arm64-nvhe/policies/arm64-dirty-2015-v2.js';
import eager from '../../models/arm64-nvhe/policies/eager.js';
import { invariantsFor } from '../../properties/suites.js';
import { type CheckResult, check } from '../../src/searches/check.js';

const invariants = invariantsFor('arm64-nvhe');
const seeds = Array.from({ length: 20 }, (_, i) => i + 1);

const results = new Map<number, CheckResult>();
/** One check per seed, shared by the tests below (they run in order in this file). */
function checkV2(seed: number): CheckResult {
  let r = results.get(seed);
  if (r === undefined) results.set(seed, (r = check(arm64Dirty2015V2, { arch: arm64Nvhe, invariants, seed, runs: 1000 })));
  return r;
}

describe('arm64-dirty-2015-v2 (KDE || KDE)', () => {
  it.each(seeds)('finds the KDE||KDE typo in 1000 runs with seed %i', (seed) => {
    const r = checkV2(seed);
    expect(r.verdict).toBe('violated');
    // MDE without KDE skips the switch: the host's slots stay live in the guest, or the guest's never load.
    expect(['guest-breakpoints-effective', 'host-breakpoints-quiet-in-guest']).toContain(r.violation?.invariant);
    expect(r.violation?.step).toBe(r.trace.length);
  });

  it.each(seeds)('shrinks the KDE||KDE counterexample of seed %i to at most 8 steps', (seed) => {
    const r = checkV2(seed);
    expect(r.trace.length, `shrunk trace: ${r.trace.map((e) => e.event).join(', ')}`).toBeGreaterThan(0);
    expect(r.trace.length, `shrunk trace: ${r.trace.map((e) => e.event).join(', ')}`).toBeLessThanOrEqual(8);
  });
});

describe('the fixes hold', () => {
  it.each([
    ['the merged arm64-dirty-2015 (KDE || MDE)', arm64Dirty2015],
    ['the eager baseline', eager],
  ])('%s holds on 2000 interleavings (seed 1)', (_label, policy) => {
    const r = check(policy, { arch: arm64Nvhe, invariants, seed: 1, runs: 2000 });
    expect(r.violation).toBeUndefined();
    expect(r.verdict).toBe('held');
    expect(r.runs).toBe(2000);
  });
});

describe('every CPU size the model accepts', () => {
  // 16 + 16 slots put a breakpoint in bit 31 of the slot masks (negative as an int32); 2 + 2 and
  // 15 + 3 make ID_AA64DFR0_EL1 report counts other than Cortex-A57's.
  it.each([
    [16, 16],
    [2, 2],
    [15, 3],
  ])('the eager baseline and the merged policy hold with %i breakpoints and %i watchpoints', (brps, wrps) => {
    for (const policy of [eager, arm64Dirty2015]) {
      const r = check(policy, { arch: arm64Nvhe, invariants: invariantsFor('arm64-nvhe'), config: { brps, wrps }, runs: 300, seed: 6 });
      expect(r.verdict, `${policy.name}: ${r.violation?.message ?? r.error ?? ''}`).toBe('held');
    }
  });
});
