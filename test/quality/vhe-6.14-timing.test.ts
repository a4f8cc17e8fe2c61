/**
 * A user policy with the VHE timing issue 16 asked for (MDCR_EL2 written at vcpu_load, the host's
 * saved before and restored at vcpu_put: 6.17's order, see the policy file) holds now that the VHE host is modelled as VHE (EL2 with HCR_EL2.TGE = 1, where no
 * modelled MDCR_EL2 bit affects it); forgetting the restore at put is still found, because the
 * host's user space runs again once the vCPU is put.
 */
import { describe, expect, it } from 'vitest';
import { arm64Vhe } from '../../models/arm64-vhe/model.js';
import { invariantsFor } from '../../properties/suites.js';
import { check } from '../../src/searches/check.js';
import { explore } from '../../src/searches/explore.js';
import policy, { vhe614 } from './vhe-6.14-timing.policy.js';

const invariants = invariantsFor('arm64-vhe');

describe('the VHE MDCR_EL2 load/put timing in a user policy file', () => {
  it('holds on 20000 random interleavings (seed 1)', () => {
    const r = check(policy, { arch: arm64Vhe, invariants, seed: 1, runs: 20_000 });
    expect(r.verdict, r.violation?.message).toBe('held');
  });

  it('holds for every interleaving of at most 5 events on the small domain', { timeout: 120_000 }, () => {
    const r = explore(policy, { arch: arm64Vhe, invariants, depth: 5 });
    expect(r.verdict, r.violation?.message).toBe('held');
  });

  it('is found when vcpu_put forgets to restore the host MDCR_EL2', () => {
    const r = check(vhe614({ restoreMdcrAtPut: false }), { arch: arm64Vhe, invariants, seed: 1 });
    expect(r.violation?.invariant, r.violation?.message).toBe('host-breakpoints-preserved');
    expect(r.violation?.register).toBe('MDCR_EL2');
    expect(r.trace.map((e) => e.event)).toEqual(['VCPU_LOAD', 'VCPU_PUT']);
  });

  // Aliasing between slot numbers: switching only the highest slot in use is right while one slot is
  // used, so explore on the default small domain (the last slot) cannot show it; --domain-slots 2 can.
  const highestOnly = vhe614({ restoreMdcrAtPut: true, highestOnly: true });
  const small = { cpus: 1, trf: 0 };
  it('switching only the highest slot in use holds on the one-slot small domain to depth 5', { timeout: 120_000 }, () => {
    const r = explore(highestOnly, { arch: arm64Vhe, invariants, depth: 5, config: small });
    expect(r.verdict, r.violation?.message).toBe('held');
  });

  it('switching only the highest slot in use is found with --domain-slots 2', { timeout: 120_000 }, () => {
    const r = explore(highestOnly, { arch: arm64Vhe, invariants, depth: 5, config: { ...small, 'domain-slots': 2 } });
    expect(r.verdict).toBe('violated');
    expect(r.trace.length).toBeLessThanOrEqual(5);
  });
});
