/**
 * Bounded exhaustive exploration (DESIGN §6): the fixes hold for every interleaving up to the depth
 * the README states, every planted bug is found breadth-first in no more steps than `check`'s
 * shrunk trace and replays, symmetry reduction changes the state count but never the verdict, and
 * a stop request is honoured. Bugs are found by running the engine; no policy is looked up by name.
 */
import { describe, expect, it } from 'vitest';
import { arm64Nvhe } from '../models/arm64-nvhe/model.js';
import arm64Dirty2015 from '../models/arm64-nvhe/policies/arm64-dirty-2015.js';
import arm64Dirty2015V2 from '../models/arm64-nvhe/policies/arm64-dirty-2015-v2.js';
import eager from '../models/arm64-nvhe/policies/eager.js';
import { invariantsFor } from '../properties/suites.js';
import type { Invariant } from '../src/engine/invariant.js';
import { definePolicy, type Policy } from '../src/engine/policy.js';
import { type CheckResult, check } from '../src/searches/check.js';
import { type ExploreOptions, type ExploreResult, explore, makeExploreExecutor } from '../src/searches/explore.js';
import { replay } from '../src/searches/replay.js';
import { WorldCodec } from '../src/searches/world-codec.js';
import { countOffByOne, dirtyClearedBeforeSave, mdccintNotRestored, trapWritesHardware } from './quality/mutants.js';

const invariants = invariantsFor('arm64-nvhe');
const only = (name: string | undefined): Invariant[] => invariants.filter((i) => i.name === name);

const run = (policy: Policy, depth: number, more: Partial<ExploreOptions> = {}): ExploreResult =>
  explore(policy, { arch: arm64Nvhe, invariants, depth, ...more });

/** One result per key, computed on first use and shared by the tests below. */
function memo<K, R>(f: (k: K) => R): (k: K) => R {
  const cache = new Map<K, R>();
  return (k) => {
    if (!cache.has(k)) cache.set(k, f(k));
    return cache.get(k) as R;
  };
}

const checked = memo((p: Policy): CheckResult => check(p, { arch: arm64Nvhe, invariants, seed: 1, runs: 5000 }));
/** Exploration with every invariant: the first violation at the least depth, whichever invariant it is. */
const explored = memo((p: Policy): ExploreResult => run(p, 9));
/** Exploration of the one invariant `check` reports for the policy. */
const exploredForChecked = memo((p: Policy): ExploreResult => run(p, 9, { invariants: only(checked(p).violation?.invariant) }));

/** The eager switch on CPU `only` alone: a vCPU run on any other CPU shares the host's debug registers. */
const eagerOnlyOnCpu = (only: number) =>
  definePolicy({
    name: `eager-on-cpu${only}-only`,
    arch: 'arm64-nvhe',
    summary: `eager switch when smp_processor_id() == ${only}, nothing elsewhere`,
    hooks: {
      guestEnter(k) {
        if (k.cpu === only) eager.hooks.guestEnter?.(k as never);
      },
      guestExit(k, reason) {
        if (k.cpu === only) eager.hooks.guestExit?.(k as never, reason);
      },
    },
  });
const cpu0Only = eagerOnlyOnCpu(0);
// The policy branches on the CPU number: explore notices (k.cpu) and drops CPU symmetry by itself; explicit here too.
const exploredCpu0Only = memo((_: 'cpu0'): ExploreResult => run(cpu0Only, 9, { symmetry: false }));

const planted = [
  ['the v2 posting (KDE || KDE)', arm64Dirty2015V2],
  ['MDCCINT_EL1 not restored', mdccintNotRestored],
  ['the dirty flag cleared before the guest state is saved', dirtyClearedBeforeSave],
  ['the register count read as BRPs instead of BRPs+1', countOffByOne],
  ['the trap handler writing hardware', trapWritesHardware],
] as const satisfies readonly (readonly [string, Policy])[];

describe('the fixes hold for every interleaving of at most 8 events (arm64 nVHE, 2 CPUs, 1 vCPU)', () => {
  it.each([
    ['the merged arm64-dirty-2015 (KDE || MDE)', arm64Dirty2015],
    ['the eager baseline', eager],
  ])(
    '%s holds at depth 8 with every depth completed',
    (_label, policy) => {
      const r = run(policy, 8);
      expect(r.error).toBeUndefined();
      expect(r.violation).toBeUndefined();
      expect(r.verdict).toBe('held');
      expect(r.depthCompleted).toBe(8);
      expect(r.config).toMatchObject({ cpus: 2, vcpus: 1 });
      expect(r.states).toBeGreaterThan(0);
      // Every state but the initial one was reached by a transition.
      expect(r.transitions).toBeGreaterThanOrEqual(r.states - 1);
    },
    120_000,
  );
});

describe('planted bugs are found breadth-first within 9 events', () => {
  it.each(planted)('finds %s in no more steps than check shrinks it to', (_bug, policy) => {
    const c = checked(policy);
    expect(c.verdict).toBe('violated');
    const r = explored(policy);
    expect(r.verdict, r.error).toBe('violated');
    expect(r.depthCompleted).toBe(r.trace.length - 1);
    expect(r.trace.length).toBeGreaterThan(0);
    expect(r.trace.length).toBeLessThanOrEqual(9);
    expect(r.trace.length, `check's shrunk trace: ${c.trace.map((e) => e.event).join(', ')}`).toBeLessThanOrEqual(c.trace.length);
    expect(r.violation?.step).toBe(r.trace.length);
  });

  it.each(planted)('finds the invariant check names for %s, in no more steps', (_bug, policy) => {
    const c = checked(policy);
    const r = exploredForChecked(policy);
    expect(r.verdict, r.error).toBe('violated');
    expect(r.violation?.invariant, r.violation?.message).toBe(c.violation?.invariant);
    expect(r.trace.length).toBeLessThanOrEqual(9);
    expect(r.trace.length, `check's shrunk trace: ${c.trace.map((e) => e.event).join(', ')}`).toBeLessThanOrEqual(c.trace.length);
  });

  it('finds a bug that only shows on the second CPU, and its trace names that CPU', () => {
    const r = exploredCpu0Only('cpu0');
    expect(r.verdict, r.error).toBe('violated');
    expect(r.trace.length).toBeLessThanOrEqual(9);
    const loads = r.trace.filter((e) => e.event === 'VCPU_LOAD');
    expect(loads.length).toBeGreaterThan(0);
    expect(loads.at(-1)?.cpu).toBe(1);
  });
});

describe('every exploration counterexample replays', () => {
  /** A counterexample with the policy and invariants it was explored with, computed when its test runs. */
  type Found = { readonly result: ExploreResult; readonly policy: Policy; readonly invariants: readonly Invariant[] };
  const cases: [string, () => Found][] = [
    ...planted.map(([bug, policy]): [string, () => Found] => [bug, () => ({ result: explored(policy), policy, invariants })]),
    ...planted.map(([bug, policy]): [string, () => Found] => [
      `${bug}, the invariant check names`,
      () => ({ result: exploredForChecked(policy), policy, invariants: only(checked(policy).violation?.invariant) }),
    ]),
    ['the second-CPU-only bug', () => ({ result: exploredCpu0Only('cpu0'), policy: cpu0Only, invariants })],
  ];

  it.each(cases)('replays %s to the same violation at its last step', (_label, found) => {
    const { result: r, policy, invariants: invs } = found();
    expect(r.verdict, r.error).toBe('violated');
    const back = replay(makeExploreExecutor(policy, arm64Nvhe, invs), r.trace);
    expect(back.steps).toBe(r.trace.length);
    expect(back.violation?.invariant).toBe(r.violation?.invariant);
    expect(back.violation?.step).toBe(r.trace.length);
    expect(back.violation).toEqual(r.violation);
  });

  it('maps canonical CPU numbers back to the run: the leaking host breakpoint is set on the CPU the vCPU runs on', () => {
    const leak = only('host-breakpoints-quiet-in-guest');
    const r = run(arm64Dirty2015V2, 6, { invariants: leak });
    expect(r.verdict, r.error).toBe('violated');
    const load = r.trace.find((e) => e.event === 'VCPU_LOAD');
    const hostSet = r.trace.find((e) => e.event === 'HOST_SET_BREAKPOINT');
    expect(load).toBeDefined();
    expect(hostSet?.cpu).toBe(load?.cpu);
    // Not vacuous: after the load the canonical order swaps the CPUs, so the stored event names the other one.
    const x = makeExploreExecutor(arm64Dirty2015V2, arm64Nvhe, leak);
    replay(x, [load as NonNullable<typeof load>]);
    expect(new WorldCodec(x.model, x.world.shape).order(x.world)).not.toBe(0);
    expect(replay(makeExploreExecutor(arm64Dirty2015V2, arm64Nvhe, leak), r.trace).violation).toEqual(r.violation);
  });
});

describe('symmetry reduction is sound for CPU-symmetric policies', () => {
  it.each([
    ['the merged arm64-dirty-2015', 5, arm64Dirty2015],
    ['the v2 posting', 6, arm64Dirty2015V2],
  ] as const)('gives %s the same verdict at depth %i with strictly fewer states', (_label, depth, policy) => {
    const full = run(policy, depth, { symmetry: false });
    const reduced = run(policy, depth, { symmetry: true });
    expect(full.symmetry).toEqual([]);
    expect(reduced.symmetry.length).toBeGreaterThan(0);
    expect(reduced.verdict).toBe(full.verdict);
    expect(reduced.depthCompleted).toBe(full.depthCompleted);
    expect(reduced.violation?.invariant).toBe(full.violation?.invariant);
    expect(reduced.trace.length).toBe(full.trace.length);
    expect(reduced.states).toBeLessThan(full.states);
  });
});

describe('stopping', () => {
  it('stops at the first poll of shouldStop that returns true, reporting only the depths it completed', () => {
    let polls = 0;
    const r = run(arm64Dirty2015, 8, { shouldStop: () => ++polls > 3 });
    expect(r.verdict).toBe('held-so-far');
    expect(polls).toBe(4);
    // Polled every 1024 transitions.
    expect(r.transitions).toBe(4 * 1024);
    expect(r.depthCompleted).toBeLessThan(8);
    expect(r.trace).toEqual([]);
    // The depths it claims were cheaper to complete than the work it did.
    const completed = run(arm64Dirty2015, r.depthCompleted);
    expect(completed.verdict).toBe('held');
    expect(completed.transitions).toBeLessThan(r.transitions);
  });
});

describe('CPU symmetry stays sound for a policy that reads its CPU number', () => {
  /** Switches only on CPU 1: with CPUs merged by symmetry this bug was once reported as held. */
  const cpu1Only = eagerOnlyOnCpu(1);

  it('finds the CPU-1-only bug with the default symmetry, as without symmetry, and says symmetry was dropped', () => {
    const withDefault = run(cpu1Only, 4);
    const without = run(cpu1Only, 4, { symmetry: false });
    expect(without.verdict).toBe('violated');
    expect(withDefault.verdict).toBe('violated');
    expect(withDefault.violation?.invariant).toBe(without.violation?.invariant);
    expect(withDefault.trace.length).toBe(without.trace.length);
    expect(withDefault.symmetry.join(' ')).toMatch(/reads its CPU number/);
  });

  it('keeps symmetry for a policy that never asks for its CPU number', () => {
    expect(run(eager, 3).symmetry.join(' ')).toMatch(/^CPUs/);
  });
});
