/**
 * The executor's own guarantees: a policy's failures (throw, BUG(), UNDEFINED access, a loop) are
 * findings under policy-total with a replayable trace, never crashes of the checker; and a check
 * is a pure function of its seed.
 */
import { describe, expect, it } from 'vitest';
import { arm64Nvhe } from '../models/arm64-nvhe/model.js';
import arm64Dirty2015V2 from '../models/arm64-nvhe/policies/arm64-dirty-2015-v2.js';
import { ID_AA64DFR0_EL1, MDSCR_EL1 } from '../models/arm64-nvhe/registers.js';
import { invariantsFor } from '../properties/suites.js';
import { POLICY_TOTAL } from '../src/engine/execute.js';
import { definePolicy, type Hooks } from '../src/engine/policy.js';
import { check } from '../src/searches/check.js';

const invariants = invariantsFor('arm64-nvhe');
const options = { arch: arm64Nvhe, invariants, seed: 1, runs: 200 };

const policyWith = (name: string, hooks: Hooks) => definePolicy({ name, arch: 'arm64-nvhe', summary: name, hooks });

describe('policy-total', () => {
  it('reports a hook that throws as a policy-total violation with the trace that reaches it', () => {
    const r = check(
      policyWith('throws', {
        guestEnter() {
          throw new TypeError('boom');
        },
      }),
      options,
    );
    expect(r.verdict).toBe('violated');
    expect(r.violation?.invariant).toBe(POLICY_TOTAL);
    expect(r.violation?.message).toContain('guestEnter threw: TypeError: boom');
    expect(r.trace.length).toBeGreaterThan(0);
    expect(r.trace.at(-1)?.event).toBe('GUEST_ENTER');
    expect(r.violation?.step).toBe(r.trace.length);
  });

  it('reports BUG() in a hook as policy-total, naming BUG() and the hook', () => {
    const r = check(
      policyWith('bugs', {
        guestExit(k) {
          k.bug('x');
        },
      }),
      options,
    );
    expect(r.verdict).toBe('violated');
    expect(r.violation?.invariant).toBe(POLICY_TOTAL);
    expect(r.violation?.message).toContain('BUG()');
    expect(r.violation?.message).toContain('guestExit');
    expect(r.trace.length).toBeGreaterThan(0);
  });

  it('reports a write to read-only ID_AA64DFR0_EL1 as policy-total (UNDEFINED)', () => {
    const r = check(
      policyWith('writes-id-register', {
        guestEnter(k) {
          k.hw.write(ID_AA64DFR0_EL1, 0);
        },
      }),
      options,
    );
    expect(r.verdict).toBe('violated');
    expect(r.violation?.invariant).toBe(POLICY_TOTAL);
    expect(r.violation?.message).toMatch(/read-only ID_AA64DFR0_EL1/);
    expect(r.trace.length).toBeGreaterThan(0);
  });

  it('reports a hook that keeps reading hardware as policy-total: it does not terminate', () => {
    const r = check(
      policyWith('spins', {
        guestEnter(k) {
          while (k.hw.read(MDSCR_EL1) !== -1) {
            // waits for a bit that never sets
          }
        },
      }),
      options,
    );
    expect(r.verdict).toBe('violated');
    expect(r.violation?.invariant).toBe(POLICY_TOTAL);
    expect(r.violation?.message).toContain('does not terminate');
    expect(r.trace.length).toBeGreaterThan(0);
  });

  it('does not report a policy whose hooks do nothing wrong as policy-total', () => {
    const r = check(policyWith('quiet', { vcpuLoad() {} }), options);
    expect(r.violation?.invariant).not.toBe(POLICY_TOTAL);
  });
});

describe('determinism', () => {
  it('gives deep-equal results (trace, violation, path) for the same seed', () => {
    const a = check(arm64Dirty2015V2, { arch: arm64Nvhe, invariants, seed: 7, runs: 1000 });
    const b = check(arm64Dirty2015V2, { arch: arm64Nvhe, invariants, seed: 7, runs: 1000 });
    expect(a.verdict).toBe('violated');
    expect(b).toEqual(a);
    expect(b.trace).toEqual(a.trace);
    expect(b.violation).toEqual(a.violation);
    expect(b.path).toBe(a.path);
  });

  it('still finds the v2 bug with a different seed, on a different run', () => {
    const a = check(arm64Dirty2015V2, { arch: arm64Nvhe, invariants, seed: 1, runs: 1000 });
    const b = check(arm64Dirty2015V2, { arch: arm64Nvhe, invariants, seed: 2, runs: 1000 });
    expect(b.verdict).toBe('violated');
    expect(['guest-breakpoints-effective', 'host-breakpoints-quiet-in-guest']).toContain(b.violation?.invariant);
    expect(b.seed).toBe(2);
    expect(b.path).not.toBe(a.path);
  });

  it('replays straight to the counterexample from its reported path', () => {
    const a = check(arm64Dirty2015V2, { arch: arm64Nvhe, invariants, seed: 3, runs: 1000 });
    expect(a.path).toBeDefined();
    const b = check(arm64Dirty2015V2, { arch: arm64Nvhe, invariants, seed: 3, runs: 1000, path: a.path });
    expect(b.violation).toEqual(a.violation);
    expect(b.trace).toEqual(a.trace);
  });
});
