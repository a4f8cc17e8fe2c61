/**
 * A hook's hardware write that leaves the register as it was skips the state checks when every
 * invariant of the CPU's context is memory-blind (Observer.checkWrite). The skip must be exact: in
 * audit mode every skipped check runs anyway and must find nothing, over every built-in policy and
 * every planted mutant, explored and randomly checked; an invariant that reads memory is never skipped.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MDSCR_EL1 } from '../models/arm64-nvhe/registers.js';
import { arm64Vhe } from '../models/arm64-vhe/model.js';
import owner2025 from '../models/arm64-vhe/policies/arm64-owner-2025.js';
import { architectures, policies } from '../models/catalog.js';
import { invariantsFor } from '../properties/suites.js';
import { defineInvariant } from '../src/engine/invariant.js';
import type { ArchModel, ModelConfig } from '../src/engine/model.js';
import { stateSkipAudit } from '../src/engine/observer.js';
import { definePolicy, type Hooks, type Policy } from '../src/engine/policy.js';
import { CTX_HOST } from '../src/engine/world.js';
import { check } from '../src/searches/check.js';
import { explore } from '../src/searches/explore.js';
import { ALL_MUTANTS } from './quality/all-mutants.js';

const archOf = (id: string): ArchModel => architectures.find((a) => a.id === id) as ArchModel;

beforeEach(() => {
  stateSkipAudit.on = true;
  stateSkipAudit.skipped = 0;
  stateSkipAudit.wrong = [];
});
afterEach(() => {
  stateSkipAudit.on = false;
});

/** Explores to `depth` and checks 200 random runs in audit mode; returns how many checks were skipped. */
function audited(policy: Policy, depth: number, config: ModelConfig = {}): number {
  const arch = archOf(policy.arch);
  const invariants = invariantsFor(arch.id);
  expect(explore(policy, { arch, invariants, depth, config }).error).toBeUndefined();
  check(policy, { arch, invariants, config, seed: 7, runs: 200 });
  expect(stateSkipAudit.wrong).toEqual([]);
  return stateSkipAudit.skipped;
}

describe('skipped state checks after unchanged hook writes (audited)', () => {
  const skipped = new Map<string, number>();

  it.each(policies.map((p) => [`${p.arch}/${p.name}`, p] as const))('%s: every skipped check finds nothing', (name, policy) => {
    skipped.set(name, audited(policy, 4));
  });

  it.each(ALL_MUTANTS.map(([p, c]) => [`${p.arch}/${p.name}`, p, c] as const))(
    'mutant %s: every skipped check finds nothing',
    (_n, policy, config) => {
      audited(policy, 4, config);
    },
  );

  it('skips checks on VHE, where vcpu_load rewrites registers that already hold their values', () => {
    expect(skipped.get('arm64-vhe/arm64-owner-2025') ?? audited(owner2025, 4)).toBeGreaterThan(1000);
  });
});

describe('an invariant that reads memory', () => {
  // Host scratch memory holding 0xdead while host code runs: state a policy writes between two hardware writes.
  const marker = defineInvariant({
    name: 'no-dead-marker',
    claim: 'test: no host scratch word holds 0xdead',
    contexts: 1 << CTX_HOST,
    state: (x, cpu) => (x.world.hostScalar.includes(0xdead) ? { message: 'marker set', cpu } : undefined),
  });
  const hooks = owner2025.hooks as Hooks;
  const policy = definePolicy({
    name: 'marks-between-writes',
    arch: 'arm64-vhe',
    summary: 'test: sets the marker between two unchanged writes of MDSCR_EL1, then clears it',
    hooks: {
      ...hooks,
      vcpuLoad(k) {
        const scratch = (k.host as { scratch: Float64Array }).scratch;
        k.hw.write(MDSCR_EL1, k.hw.read(MDSCR_EL1));
        scratch[0] = 0xdead;
        k.hw.write(MDSCR_EL1, k.hw.read(MDSCR_EL1));
        scratch[0] = 0;
        hooks.vcpuLoad?.(k);
      },
    },
  });

  it('is checked after every hook write: the marker is found at the second, unchanged write', () => {
    const r = explore(policy, { arch: arm64Vhe, invariants: [marker], depth: 2 });
    expect(r.violation?.invariant).toBe('no-dead-marker');
    expect(r.violation?.at).toMatch(/^in vcpuLoad, after hardware write #2 \(MDSCR_EL1 = /);
  });

  it('declared memory-blind (wrongly), its check there is skipped and the audit reports it', () => {
    const r = explore(policy, { arch: arm64Vhe, invariants: [{ ...marker, memoryBlind: true }], depth: 2 });
    expect(r.verdict).toBe('held');
    expect(stateSkipAudit.wrong.join('\n')).toMatch(/no-dead-marker at step \d+: marker set/);
  });
});

describe('an invariant that reads x.inHook', () => {
  // Quiet inside hooks, as debug-status-consumed is: breaks on host code with a vCPU loaded, once no hook runs.
  const outside = defineInvariant({
    name: 'breaks-outside-hooks',
    claim: 'test: no vCPU is loaded on a CPU running host code outside hooks',
    contexts: 1 << CTX_HOST,
    memoryBlind: true,
    readsInHook: true,
    state: (x, cpu) => (!x.inHook && (x.world.running[cpu] as number) >= 0 ? { message: 'loaded', cpu } : undefined),
  });

  it('is checked again when vcpu_load returns, though its last write was checked clean', () => {
    const r = explore(owner2025, { arch: arm64Vhe, invariants: [outside], depth: 1 });
    expect(r.violation?.invariant).toBe('breaks-outside-hooks');
    expect(r.violation?.at).toBe('after the event');
  });

  it('without readsInHook (wrongly), the settle is skipped and the audit reports it', () => {
    const r = explore(owner2025, { arch: arm64Vhe, invariants: [{ ...outside, readsInHook: false }], depth: 1 });
    expect(r.verdict).toBe('held');
    expect(stateSkipAudit.wrong.join('\n')).toMatch(/breaks-outside-hooks at step 1: loaded/);
  });
});
