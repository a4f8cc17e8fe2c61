/**
 * Mutants of the merged arm64 debug save/restore (Linux 4.5 debug-sr.c), each one plausible slip
 * a reviewer could miss. The checker must find every one from seed 1 and name the invariant that
 * the slip breaks; none of them is looked up by name, each is a policy built in ./mutants.ts.
 */
import { describe, expect, it } from 'vitest';
import { arm64Nvhe } from '../../models/arm64-nvhe/model.js';
import { debugSr2015 } from '../../models/arm64-nvhe/policies/arm64-dirty-2015.js';
import { invariantsFor } from '../../properties/suites.js';
import { check } from '../../src/searches/check.js';
import { countOffByOne, dirtyClearedBeforeSave, mdccintNotRestored, mutant, trapWritesHardware } from './mutants.js';

const invariants = invariantsFor('arm64-nvhe');

describe('mutants of arm64-dirty-2015 are found (seed 1)', () => {
  it.each([
    // The guest's MDCCINT_EL1 is never reloaded, so its untrapped reads see the reset value, not its own.
    ['MDCCINT_EL1 not restored in __debug_restore_state', mdccintNotRestored, 'no-stale-read'],
    // With the flag already clear, neither the guest's state is saved nor the host's restored: the host runs on guest registers.
    ['dirty flag cleared before the guest state is saved on exit', dirtyClearedBeforeSave, 'host-breakpoints-preserved'],
    // The top bp/wp slot is never switched, so the guest reads the host's value there untrapped.
    ['register count read as BRPs/WRPs instead of BRPs+1/WRPs+1', countOffByOne, 'guest-isolation'],
    // The handler runs in the host, so writing hardware clobbers the host's debug registers at once.
    ['trap handler writes hardware instead of the memory copy', trapWritesHardware, 'host-breakpoints-preserved'],
  ] as const)('finds %s', (_bug, policy, invariant) => {
    const r = check(policy, { arch: arm64Nvhe, invariants, seed: 1, runs: 5000 });
    expect(r.verdict).toBe('violated');
    expect(r.violation?.invariant, r.violation?.message).toBe(invariant);
    expect(r.trace.length).toBeGreaterThan(0);
  });

  it('leaves the merged policy itself holding, so each finding is the mutation', () => {
    const merged = mutant('unmutated', debugSr2015);
    expect(check(merged, { arch: arm64Nvhe, invariants, seed: 1, runs: 5000 }).verdict).toBe('held');
  });
});
