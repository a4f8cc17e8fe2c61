/**
 * `explore` leaves the state checks of an event's settles until the event has ended and skips them
 * where the state it ended in passed them before (Observer.deferring, Expander.passed). That must
 * change nothing but time: for every built-in policy and every planted mutant the quality suite
 * explores, the verdict, the whole violation (invariant, message, step, observation point, the
 * invariants that broke with it), the counterexample, the states per depth and the transitions are
 * those of a search that checks at every settle as the event runs.
 */
import { describe, expect, it } from 'vitest';
import owner2025 from '../models/arm64-vhe/policies/arm64-owner-2025.js';
import armv7Eager from '../models/armv7/policies/eager.js';
import { architectures, policies } from '../models/catalog.js';
import { invariantsFor } from '../properties/suites.js';
import type { Executor } from '../src/engine/execute.js';
import { defineInvariant, type Invariant } from '../src/engine/invariant.js';
import type { ArchModel, ModelConfig } from '../src/engine/model.js';
import { definePolicy, type Hooks, type Policy } from '../src/engine/policy.js';
import { eventToJSON } from '../src/engine/trace.js';
import { bfs } from '../src/searches/bfs.js';
import { type Alphabet, deferredChecks } from '../src/searches/expand-state.js';
import { type ExploreOptions, explore, fullAlphabet, makeExploreExecutor } from '../src/searches/explore.js';
import { ALL_MUTANTS } from './quality/all-mutants.js';
import { hostAddressesNotRestored } from './quality/x86-mutants.js';

const archOf = (id: string): ArchModel => architectures.find((a) => a.id === id) as ArchModel;
/** Only these invariants; without POR, whose sleep sets assume each check reads its own CPU (the planted ones below do not). */
const withInvariants = (invariants: Invariant[], por = true): Partial<ExploreOptions> => ({ invariants, por });

/** What deferring must not change, and how many checks it skipped. */
function outcome(
  policy: Policy,
  depth: number,
  config: ModelConfig,
  symmetry: boolean,
  eager: boolean,
  more: Partial<ExploreOptions> = {},
) {
  const arch = archOf(policy.arch);
  const levels: number[] = [];
  const before = deferredChecks.skipped;
  const r = explore(policy, {
    arch,
    invariants: more.invariants ?? invariantsFor(arch.id),
    depth,
    config,
    symmetry,
    por: true,
    eagerChecks: eager,
    onLevel: (_d, states) => void levels.push(states),
    ...more,
  });
  expect(r.error).toBeUndefined();
  const { verdict, violation, trace, states, transitions, counterexamples } = r;
  return { same: { verdict, violation, trace, states, transitions, levels, counterexamples }, skipped: deferredChecks.skipped - before };
}

/** Explores with checks deferred and eager; expects the same outcome and returns the checks skipped. */
function expectSameDeferred(
  policy: Policy,
  depth: number,
  config: ModelConfig = {},
  symmetry = true,
  more: Partial<ExploreOptions> = {},
): number {
  const eager = outcome(policy, depth, config, symmetry, true, more);
  const deferred = outcome(policy, depth, config, symmetry, false, more);
  expect(deferred.same).toEqual(eager.same);
  expect(eager.skipped).toBe(0);
  return deferred.skipped;
}

describe('deferred state checks change nothing but time', () => {
  let skipped = 0;

  it.each(policies.map((p) => [`${p.arch}/${p.name}`, p] as const))('%s: the same outcome at depth 4', (_n, policy) => {
    skipped += expectSameDeferred(policy, 4);
  });

  it.each(policies.filter((p) => p.arch !== 'arm64-vhe').map((p) => [`${p.arch}/${p.name}`, p] as const))(
    '%s: the same without symmetry at depth 5',
    (_n, policy) => {
      skipped += expectSameDeferred(policy, 5, {}, false);
    },
  );

  it.each(ALL_MUTANTS.map(([p, c]) => [`${p.arch}/${p.name}`, p.arch === 'arm64-vhe' ? 4 : 5, p, c] as const))(
    'mutant %s: the same outcome at depth %i',
    (_n, depth, policy, config) => {
      expectSameDeferred(policy, depth, config);
    },
  );

  it('with --continue and --per-point: the same counterexample for every invariant and point', () => {
    const policy = hostAddressesNotRestored('x86-vmx');
    expectSameDeferred(policy, 5, {}, true, { continue: true, perPoint: true });
  });

  it('skips most checks: most events end in a state the search has reached before', () => {
    // Every built-in at depth 4 and 5 (the tests above, in this file's order).
    expect(skipped).toBeGreaterThan(100_000);
  });
});

/**
 * Planted invariants that look at another CPU than the one they are checked for. The suite's state
 * checks read their own CPU, so only these tell a search that keys what passed by CPU, puts CPUs
 * in canonical order and checks events that change nothing, from one that does not.
 */
describe('deferred checks of invariants that look across CPUs', () => {
  const arch = archOf('armv7');
  /** Whether the host armed breakpoint 4 or watchpoint 3 on `cpu` (the slots HOST_SET_BREAKPOINT uses). */
  const armed = (x: Executor, cpu: number): boolean => {
    const { names } = x.model.registers;
    const o = cpu * x.regs;
    return x.world.hostIntent[o + names.indexOf('DBGBVR4')] !== 0 || x.world.hostIntent[o + names.indexOf('DBGWVR3')] !== 0;
  };
  const across = (name: string, fails: (x: Executor, cpu: number) => boolean): Invariant =>
    defineInvariant({ name, claim: `test: ${name}`, state: (x, cpu) => (fails(x, cpu) ? { message: name, cpu } : undefined) });

  it('a state first reached by an event on cpu0 is checked again for cpu1 (pairs are keyed by CPU)', () => {
    // [arm cpu0, load on cpu1] breaks; [load on cpu1, arm cpu0], searched first, reaches its state by cpu0.
    const inv = across('cpu1-loaded-while-cpu0-armed', (x, cpu) => cpu === 1 && (x.world.running[1] as number) >= 0 && armed(x, 0));
    expect(expectSameDeferred(armv7Eager, 3, {}, false, withInvariants([inv], false))).toBeGreaterThan(0);
  });

  it('under symmetry, a state and its mirror image are checked for matching CPUs', () => {
    const inv = across('loaded-while-other-armed', (x, cpu) => (x.world.running[cpu] as number) >= 0 && armed(x, 1 - cpu));
    expect(expectSameDeferred(armv7Eager, 3, {}, true, withInvariants([inv], false))).toBeGreaterThan(0);
  });

  it('an event that changes nothing is checked on the state it leaves as it is', () => {
    // cpu0 is armed only while cpu1 is empty, so the state is reached by loading on cpu1; a host
    // hit on cpu0 then changes nothing, and its settle is the only check of that state for cpu0.
    const inv = across('cpu0-armed-while-cpu1-loaded', (x, cpu) => cpu === 0 && (x.world.running[1] as number) >= 0 && armed(x, 0));
    const x = makeExploreExecutor(armv7Eager, arch, [inv]);
    const full = fullAlphabet();
    const alphabet: Alphabet = (x, emit) =>
      full(x, (ev) => {
        const type = x.kinds[ev[0] as number]?.type;
        if (type === 'HOST_CLEAR_BREAKPOINT') return;
        if (type === 'HOST_SET_BREAKPOINT' && (ev[1] !== 0 || (x.world.running[1] as number) >= 0)) return;
        emit(ev);
      });
    const search = (eagerChecks: boolean) => {
      const r = bfs(x, { depth: 3, alphabet, eagerChecks });
      return { outcome: r.outcome, invariant: r.invariant, trace: r.trace?.map((ev) => eventToJSON(x, ev)) };
    };
    const eager = search(true);
    expect(eager.outcome).toBe('violated');
    expect(eager.trace?.at(-1)?.event).toBe('HOST_EXECUTE');
    expect(search(false)).toEqual(eager);
  });
});

describe('an event whose world changes after a deferred check runs again, checking as it goes', () => {
  // runReturn leaves a marker that vcpu_put, later in the same event, clears: only the check at
  // runReturn's settle sees it.
  const marker = defineInvariant({
    name: 'no-return-marker',
    claim: 'test: no vCPU scratch word holds 0xbeef',
    state: (x, cpu) => (x.world.vcpuScalar.includes(0xbeef) ? { message: 'marker set', cpu } : undefined),
  });
  const hooks = owner2025.hooks as Hooks;
  /** vcpu_put calls that found the marker set: a put that checking at each settle never makes (the check ends the event first). */
  let putsPastTheCheck = 0;
  const policy = definePolicy({
    name: 'marks-run-return',
    arch: 'arm64-vhe',
    summary: 'test: runReturn sets a marker, vcpuPut clears it',
    hooks: {
      ...hooks,
      runReturn(k) {
        hooks.runReturn?.(k);
        (k.vcpu as { scratch: Float64Array }).scratch[0] = 0xbeef;
      },
      vcpuPut(k) {
        const scratch = (k.vcpu as { scratch: Float64Array }).scratch;
        if (scratch[0] === 0xbeef) putsPastTheCheck++;
        scratch[0] = 0;
        hooks.vcpuPut?.(k);
      },
    },
  });

  it('finds the marker at the settle between runReturn and vcpu_put', () => {
    const reruns = deferredChecks.reruns;
    expectSameDeferred(policy, 4, {}, true, withInvariants([marker]));
    expect(deferredChecks.reruns).toBeGreaterThan(reruns);
    const r = explore(policy, { arch: archOf('arm64-vhe'), invariants: [marker], depth: 4 });
    expect(r.violation?.invariant).toBe('no-return-marker');
  });

  it('runs no hook after a deferred settle: policy code runs only where checking at each settle runs it', () => {
    // A put past the check could be a put that never returns, reported where checking first reports the marker.
    putsPastTheCheck = 0;
    explore(policy, { arch: archOf('arm64-vhe'), invariants: [marker], depth: 4 });
    expect(putsPastTheCheck).toBe(0);
  });
});

describe('when deferring is exact (Observer.deferredExact)', () => {
  const fails = defineInvariant({
    name: 'cpu0-fails',
    claim: 'test: breaks on cpu0',
    state: (_x, cpu) => (cpu === 0 ? { message: 'cpu0', cpu } : undefined),
  });
  const reads = defineInvariant({
    name: 'every-read-fails',
    claim: 'test: breaks on every read',
    read: (_x, r) => ({ message: 'read', cpu: r.cpu }),
  });
  const deferredSettle = (): Executor => {
    const x = makeExploreExecutor(armv7Eager, archOf('armv7'), [fails, reads]);
    x.deferring = true;
    x.clearDeferred();
    x.settle(0);
    x.settle(0);
    expect(x.violation).toBeUndefined();
    expect([...x.deferredCpus.subarray(0, x.deferredCount)]).toEqual([0]);
    return x;
  };

  it('a settle left as it is: its check runs later, on the same world, and breaks as it would have', () => {
    const x = deferredSettle();
    expect(x.deferredExact).toBe(true);
    expect(x.runDeferred()).toBe(true);
    expect(x.violation?.invariant).toBe('cpu0-fails');
  });

  it('not after the world changed since the settle', () => {
    const x = deferredSettle();
    x.setHostIntent(1, 0, 1);
    expect(x.deferredExact).toBe(false);
  });

  it('not after a violation was recorded since the settle: checking there would have ended the event first', () => {
    const x = deferredSettle();
    x.observeRead('guest', 0, 0, 0, 0);
    expect(x.violation?.invariant).toBe('every-read-fails');
    expect(x.deferredExact).toBe(false);
  });

  it('without deferring, the settle checks at once', () => {
    const x = makeExploreExecutor(armv7Eager, archOf('armv7'), [fails]);
    x.settle(0);
    expect(x.violation?.invariant).toBe('cpu0-fails');
  });
});
