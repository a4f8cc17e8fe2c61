import { CheckerCrash, type Executor, POLICY_TOTAL, type Watch } from '../engine/execute.js';
import type { Invariant, Violation } from '../engine/invariant.js';
import { type ArchModel, DOMAIN_SMALL, type ModelConfig } from '../engine/model.js';
import type { Policy } from '../engine/policy.js';
import { type TraceEvent, tracesToJSON } from '../engine/trace.js';
import { type Alphabet, bfs } from './bfs.js';
import { makeExecutor, NONDETERMINISTIC } from './check.js';
import { type Coverage, coverageOf } from './coverage.js';
import { rerun } from './minimize.js';
import type { ParallelOptions } from './parallel-bfs.js';
import { byLengthThenOrder, type Counterexample, type KnownFailure, type KnownHit, matchKnown, pointKey, signatureOf } from './triage.js';

/** What `explore` takes besides the policy. */
export interface ExploreOptions {
  readonly arch: ArchModel;
  readonly invariants: readonly Invariant[];
  readonly config?: ModelConfig;
  readonly depth: number;
  /** Identify states that differ only by a permutation of CPUs (default true). */
  readonly symmetry?: boolean;
  readonly shouldStop?: () => boolean;
  readonly onProgress?: (depth: number, states: number, transitions: number, peakBytes: number) => void;
  /** Count lifecycle transitions and events exercised (`ExploreResult.coverage`). */
  readonly coverage?: boolean;
  /** Shared memory for a watchdog (user policy files run in a worker). */
  readonly watch?: Watch;
  /** `--max-states`: stop (held so far) once this many distinct states are stored. */
  readonly maxStates?: number;
  /** `explore --shard K/N`: expand only shard K's share of the states where the search splits (see `explore`). */
  readonly shard?: { readonly index: number; readonly total: number };
  /** Go on after a violation: the shortest counterexample of each invariant that breaks (`counterexamples`). */
  readonly continue?: boolean;
  /** With `continue`: one counterexample per distinct failing observation point, not per invariant. */
  readonly perPoint?: boolean;
  /** Failures already known (`--assume-fixed`): a counterexample that breaks where one did is listed as known, and the search goes on. */
  readonly known?: readonly KnownFailure[];
  /** Called after each completed depth with the states stored so far (tests compare searches level by level). */
  readonly onLevel?: (depth: number, states: number, transitions: number) => void;
  /**
   * Partial-order reduction with sleep sets: the same states and verdict, fewer transitions. Off
   * unless set here; `worldswitch explore` sets it unless given `--no-por`.
   */
  readonly por?: boolean;
  /** With `por`: run every pruned transition anyway and check it led nowhere new (tests; sleep-sets.ts). */
  readonly porAudit?: boolean;
  /** Check states as each event runs, never after it or skipped (BfsOptions.eagerChecks; tests). */
  readonly eagerChecks?: boolean;
  /**
   * `--workers N`: expand large levels in N threads, each finding the (built-in) policy by `policy`.
   * The same states, counts and counterexample as one thread; `parallelWorkers` says when it applies.
   */
  readonly parallel?: ParallelOptions;
}

/**
 * The threads an exploration with these options searches in: `--workers`, except 1 where more
 * could change the result or cannot run: `--coverage` (counts only the transitions one thread
 * makes before stopping), `--continue`/`--assume-fixed` (the search goes on past violations in an
 * order only one thread keeps) and user policy files (a hook that hangs is reported at the first
 * state, in search order, where it hangs; a file's module state is per thread), `porAudit`
 * (the audit of pruned transitions is checked level by level in one thread) and `eagerChecks`.
 */
export function parallelWorkers(options: ExploreOptions): number {
  const p = options.parallel;
  if (
    !p ||
    options.coverage ||
    options.continue ||
    (options.known?.length ?? 0) > 0 ||
    options.watch ||
    options.porAudit ||
    options.eagerChecks
  )
    return 1;
  return p.workers;
}

/** The outcome of bounded exhaustive exploration, with the guarantee it gives. */
export interface ExploreResult {
  /**
   * held: no interleaving of at most `depth` events breaks an invariant; held-so-far: stopped (a
   * signal, a budget, memory) with none of at most `depthCompleted` events breaking one.
   */
  readonly verdict: 'held' | 'violated' | 'held-so-far' | 'crashed';
  readonly policy: string;
  readonly arch: string;
  readonly config: ModelConfig;
  readonly invariants: readonly string[];
  readonly depth: number;
  readonly depthCompleted: number;
  readonly states: number;
  readonly transitions: number;
  readonly peakBytes: number;
  /** The abstract domain explored, in words. */
  readonly domain: string;
  /** The symmetry reductions applied, in words (empty: none). */
  readonly symmetry: readonly string[];
  readonly violation?: Violation;
  /** The shortest counterexample (breadth-first: no shorter one exists in the domain). */
  readonly trace: readonly TraceEvent[];
  readonly error?: string;
  readonly coverage?: Coverage;
  /** What stopped a held-so-far exploration: SIGINT, SIGTERM, time-limit, max-states, max-memory, out-of-memory. */
  readonly stoppedBy?: string;
  /** The counterexample did not reproduce when run again: the finding is about the policy's determinism. */
  readonly nondeterministic?: boolean;
  /** The last step's hook never returned (or ended the worker): the trace ends at that step. */
  readonly hung?: boolean;
  /** A sharded search: where it split (depth, states there) and how many of them this shard expanded. */
  readonly split?: { readonly depth: number; readonly width: number; readonly owned: number };
  /** With `continue`: the shortest counterexample of each invariant (or point) that broke, shortest first. */
  readonly counterexamples?: readonly Counterexample[];
  /** Shortest counterexamples that broke where a known failure does: not counted as violations. */
  readonly known?: readonly KnownHit[];
  /** With `--por`: transitions the sleep sets saved (not executed); absent without it. */
  readonly pruned?: number;
}

/** An alphabet of every event of the model that is enabled in the executor's world. */
export function fullAlphabet(): Alphabet {
  let kind = 0;
  let sink: (ev: Float64Array) => void = () => {};
  const tagged = (ev: Float64Array): void => {
    ev[0] = kind;
    sink(ev);
  };
  return (x, emit) => {
    sink = emit;
    for (kind = 0; kind < x.kinds.length; kind++) x.kinds[kind]?.enumerate(x, tagged);
  };
}

/** Makes the executor explore runs on: the model instantiated on its small (explore) domain. */
export function makeExploreExecutor(policy: Policy, arch: ArchModel, invariants: readonly Invariant[], config: ModelConfig = {}): Executor {
  return makeExecutor(policy, arch, invariants, { ...config, domain: DOMAIN_SMALL });
}

/**
 * Bounded exhaustive exploration: breadth-first over canonical world states up to `depth` events,
 * every enabled event over the model's small domain, the same `execute` semantics as `check`.
 *
 * With `shard` K/N, the search runs whole up to depth D-1, then expands only the states of depth
 * D-1 numbered K-1, K-1+N, … (discovery order, the same in every shard): the last level, where
 * most transitions are, is divided with no state expanded twice. Together the N shards expand
 * every state one search expands, so they hold iff it holds, and the shortest of their
 * counterexamples is as short as its one. (Splitting higher up divides more levels but, as
 * interleavings of independent events converge, each shard then re-reaches most states: measured
 * on arm64-dirty-2015 at depth 8, splitting at depth 3 left each of 4 shards 89% of the states.)
 */
export function explore(policy: Policy, options: ExploreOptions): ExploreResult {
  const result = exploreOnce(policy, options, options.symmetry !== false);
  // A policy that asks for its CPU number (k.cpu) may treat CPUs differently: CPU symmetry would
  // merge states that are not equivalent, so the search starts again without it.
  if (result.cpuNumberRead && options.symmetry !== false) {
    const plain = exploreOnce(policy, options, false);
    return { ...plain, symmetry: ['none: the policy reads its CPU number (k.cpu), so CPUs are not interchangeable'] };
  }
  return result;
}

function exploreOnce(policy: Policy, options: ExploreOptions, wanted: boolean): ExploreResult & { cpuNumberRead?: boolean } {
  const x = makeExploreExecutor(policy, options.arch, options.invariants, options.config);
  const symmetry = wanted && x.world.shape.cpus > 1;
  if (options.coverage) x.enableCoverage();
  x.watch = options.watch;
  const base = {
    policy: policy.name,
    arch: options.arch.id,
    config: x.model.config,
    invariants: [POLICY_TOTAL, ...options.invariants.map((i) => i.name).filter((n) => n !== POLICY_TOTAL)],
    depth: options.depth,
    domain: options.arch.smallDomain,
    symmetry: symmetry ? ['CPUs (identical pCPUs; dropped by itself when the policy reads its CPU number)'] : [],
  };
  let r: ReturnType<typeof bfs>;
  const known = options.known ?? [];
  const triage = options.continue === true || known.length > 0;
  /** Shortest paths found, by invariant (or point), and the known points met, in the order found (breadth-first: shortest first). */
  const found = new Map<string, Float64Array[]>();
  const knownFound = new Map<string, { hit: KnownHit; path: Float64Array[] }>();
  const onViolation = (ev: Float64Array, path: () => Float64Array[]): boolean => {
    const v = x.violation as Violation;
    const signature = signatureOf(v, x.kinds[ev[0] as number]?.type ?? '');
    const match = matchKnown(known, options.arch.id, signature);
    if (match) {
      const key = pointKey(signature);
      if (!knownFound.has(key)) {
        const p = path();
        knownFound.set(key, { hit: { ...signature, source: match.source, steps: p.length }, path: p });
      }
      return true;
    }
    if (!options.continue) return false;
    const keys = options.perPoint ? [pointKey(signature)] : [v.invariant, ...(v.also ?? []).map((a) => a.invariant)];
    for (const key of keys) if (!found.has(key)) found.set(key, path());
    return true;
  };
  try {
    r = bfs(x, {
      depth: options.depth,
      alphabet: fullAlphabet(),
      ...(triage ? { onViolation } : {}),
      symmetry,
      shouldStop: () => (symmetry && x.cpuNumberRead) || (options.shouldStop?.() ?? false),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.maxStates !== undefined ? { maxStates: options.maxStates } : {}),
      ...(options.shard ? { partition: { ...options.shard, depth: options.depth - 1 } } : {}),
      ...(options.por ? { por: true, porAudit: options.porAudit === true } : {}),
      ...(options.eagerChecks ? { eagerChecks: true } : {}),
      ...(options.onLevel ? { onLevel: (d: number, s: number, t: number) => void options.onLevel?.(d, s, t) } : {}),
      // The workers check the invariants in this executor's order: which one a step breaks first is what is reported.
      ...(options.parallel && parallelWorkers(options) > 1
        ? { parallel: { ...options.parallel, policy: { ...options.parallel.policy, invariants: options.invariants.map((i) => i.name) } } }
        : {}),
    });
  } catch (e) {
    const error = e instanceof CheckerCrash ? e.message : String((e as Error)?.stack ?? e);
    return { ...base, verdict: 'crashed', depthCompleted: 0, states: 0, transitions: 0, peakBytes: 0, trace: [], error };
  }
  if (symmetry && x.cpuNumberRead)
    return { ...base, depthCompleted: 0, states: 0, transitions: 0, peakBytes: 0, verdict: 'held-so-far', trace: [], cpuNumberRead: true };
  const coverage = coverageOf(x);
  const stats = {
    depthCompleted: r.depthCompleted,
    states: r.states,
    transitions: r.transitions,
    peakBytes: r.peakBytes,
    ...(coverage ? { coverage } : {}),
    ...(r.split ? { split: r.split } : {}),
    ...(r.pruned !== undefined ? { pruned: r.pruned } : {}),
  };
  const knownHits = [...knownFound.values()].map((k) => k.hit);
  const withKnown = knownHits.length ? { known: knownHits } : {};
  if (options.continue) return continued(x, { ...base, ...stats, ...withKnown }, r, found);
  if (r.outcome !== 'violated' || !r.trace) {
    const stop = r.stoppedBy ? { stoppedBy: r.stoppedBy } : {};
    return { ...base, ...stats, ...stop, ...withKnown, verdict: r.outcome === 'held' ? 'held' : 'held-so-far', trace: [] };
  }
  // Re-run the path from the initial world: the reported violation and its step stamps are the real ones.
  rerun(x, r.trace);
  const violation = x.violation;
  if (violation === undefined) {
    // The same events from the same initial world no longer break anything: the policy's hooks
    // depend on something outside the world (a finding about the policy, with the path that failed).
    return {
      ...base,
      ...stats,
      verdict: 'violated',
      nondeterministic: true,
      violation: {
        invariant: POLICY_TOTAL,
        message: `${NONDETERMINISTIC} (there it broke ${r.invariant ?? 'an invariant'})`,
        step: r.trace.length,
        at: 'after the event',
      },
      trace: tracesToJSON(x, r.trace),
    };
  }
  return { ...base, ...stats, ...withKnown, verdict: 'violated', violation, trace: tracesToJSON(x, r.trace) };
}

type ExploreBase = Omit<ExploreResult, 'verdict' | 'trace' | 'violation'>;

/** The result of `explore --continue`: every shortest counterexample found, each re-run for its real violation. */
function continued(x: Executor, base: ExploreBase, r: ReturnType<typeof bfs>, found: Map<string, Float64Array[]>): ExploreResult {
  const counterexamples: Counterexample[] = [];
  for (const [key, path] of found) {
    rerun(x, path);
    const violation = x.violation;
    if (violation === undefined) {
      // As without --continue: the same events no longer break anything, a finding about the policy.
      return {
        ...base,
        verdict: 'violated',
        nondeterministic: true,
        violation: { invariant: POLICY_TOTAL, message: NONDETERMINISTIC, step: path.length, at: 'after the event' },
        trace: tracesToJSON(x, path),
      };
    }
    const invariant = key.split('|')[0] ?? violation.invariant;
    counterexamples.push({ invariant, violation, trace: tracesToJSON(x, path), warnings: [...x.warnings] });
  }
  counterexamples.sort(byLengthThenOrder(base.invariants));
  const first = counterexamples[0];
  const verdict = first ? 'violated' : r.outcome === 'held' ? 'held' : 'held-so-far';
  return {
    ...base,
    verdict,
    ...(!first && r.stoppedBy ? { stoppedBy: r.stoppedBy } : {}),
    trace: first?.trace ?? [],
    ...(first ? { violation: first.violation, counterexamples } : {}),
  };
}
