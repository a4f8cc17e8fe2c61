/**
 * The VHE debug owner's two eras of host MDCR_EL2 handling (models/arm64-vhe/policies/arm64-owner-2025.ts):
 * 6.14-6.16 save "the host's" MDCR_EL2 in kvm_vcpu_load_vhe after kvm_vcpu_load_debug has written the
 * guest's, so vcpu_put leaves the guest's traps on the host; 6.17 saves it before the write. The
 * engine must find the first (never by name: the two policies differ only in where the save is) and
 * hold the second, on the same domain and seed.
 */
import { describe, expect, it } from 'vitest';
import { arm64Vhe } from '../../models/arm64-vhe/model.js';
import owner617 from '../../models/arm64-vhe/policies/arm64-owner-2025.js';
import owner614 from '../../models/arm64-vhe/policies/arm64-owner-2025-6.14.js';
import { invariantsFor } from '../../properties/suites.js';
import { check } from '../../src/searches/check.js';
import { explore } from '../../src/searches/explore.js';

const invariants = invariantsFor('arm64-vhe');

describe("where the VHE host's MDCR_EL2 is saved: 6.14-6.16 against 6.17", () => {
  it('6.14-6.16: check finds the guest MDCR_EL2 left on the host after VCPU_LOAD, VCPU_PUT', () => {
    const r = check(owner614, { arch: arm64Vhe, invariants, seed: 1, runs: 1000 });
    expect(r.violation?.invariant, r.violation?.message).toBe('host-breakpoints-preserved');
    expect(r.violation?.register).toBe('MDCR_EL2');
    expect(r.trace.map((e) => e.event)).toEqual(['VCPU_LOAD', 'VCPU_PUT']);
  });

  it('6.14-6.16: explore finds it in 2 steps, none shorter', () => {
    const r = explore(owner614, { arch: arm64Vhe, invariants, depth: 4 });
    expect(r.verdict).toBe('violated');
    expect(r.violation?.invariant).toBe('host-breakpoints-preserved');
    expect(r.trace).toHaveLength(2);
  });

  it('6.17: the same check holds, also with userspace debugging and the OS Lock', () => {
    for (const config of [{}, { gdb: 1, oslock: 1 }] as Record<string, number>[]) {
      const r = check(owner617, { arch: arm64Vhe, invariants, config, seed: 1, runs: 1000 });
      expect(r.verdict, r.violation?.message).toBe('held');
    }
  });

  it('6.17: explore holds to the same depth', () => {
    const r = explore(owner617, { arch: arm64Vhe, invariants, depth: 4 });
    expect(r.verdict, r.violation?.message).toBe('held');
  });
});
