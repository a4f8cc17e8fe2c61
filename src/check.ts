import fc from 'fast-check';
import { bfs, traceAlphabet } from './bfs.js';
import { type Coverage, coverageOf } from './coverage.js';
import { lifecycleEvents } from './events.js';
import { CheckerCrash, EVENT_WIDTH, Executor, POLICY_TOTAL, type Warning, type Watch } from './execute.js';
import { interleavings } from './interleave.js';
import type { Invariant, Violation } from './invariant.js';
import { minimizeTrace, rerun, splitEvents } from './minimize.js';
import type { ArchModel, ModelConfig } from './model.js';
import type { Policy } from './policy.js';
import { type TraceEvent, tracesToJSON } from './trace.js';

/** Defaults of `check` (and of the CLI). */
export const CHECK_DEFAULTS = { runs: 1000, seed: 1, maxSteps: 40 } as const;

/** What `check` takes besides the policy. */
export interface CheckOptions {
  readonly arch: ArchModel;
  readonly invariants: readonly Invariant[];
  readonly config?: ModelConfig;
  readonly runs?: number;
  readonly seed?: number;
  readonly maxSteps?: number;
  /** fast-check replay path, to jump straight to a known counterexample. */
  readonly path?: string;
  /** Shrink a counterexample (default); false stops at the first failing interleaving. */
  readonly shrink?: boolean;
  /** Shared memory for a watchdog (checks of user policy files run in a worker). */
  readonly watch?: Watch;
  /** Count lifecycle transitions and events exercised (`CheckResult.coverage`). */
  readonly coverage?: boolean;
}

/** The outcome of checking one policy: held, violated (with a shrunk trace) or crashed. */
export interface CheckResult {
  readonly verdict: 'held' | 'violated' | 'crashed';
  readonly policy: string;
  readonly arch: string;
  readonly config: ModelConfig;
  readonly invariants: readonly string[];
  readonly runs: number;
  readonly seed: number;
  readonly maxSteps: number;
  readonly path?: string;
  readonly shrinks: number;
  readonly violation?: Violation;
  readonly trace: readonly TraceEvent[];
  readonly warnings: readonly Warning[];
  readonly error?: string;
  /** The last step's hook never returned: the watchdog stopped the check (the trace is not shrunk). */
  readonly hung?: boolean;
  readonly coverage?: Coverage;
  /** Events executed, and WARN()s policy hooks reached, over every run (and shrink) of the check. */
  readonly stats: { readonly events: number; readonly warnings: number };
}

/** Makes an executor for `policy` on `arch` configured with `config`. */
export function makeExecutor(policy: Policy, arch: ArchModel, invariants: readonly Invariant[], config: ModelConfig = {}): Executor {
  const instance = arch.instantiate(config);
  return new Executor(instance, policy, invariants, lifecycleEvents(instance));
}

/**
 * Checks `policy` on random interleavings; never throws for a violation. The first invariant that
 * breaks is the one shrinking keeps: a shrunk trace breaks the same invariant as the original.
 */
export function check(policy: Policy, options: CheckOptions): CheckResult {
  const runs = options.runs ?? CHECK_DEFAULTS.runs;
  const seed = options.seed ?? CHECK_DEFAULTS.seed;
  const maxSteps = options.maxSteps ?? CHECK_DEFAULTS.maxSteps;
  const x = makeExecutor(policy, options.arch, options.invariants, options.config);
  x.watch = options.watch;
  if (options.coverage) x.enableCoverage();
  const base = {
    policy: policy.name,
    arch: options.arch.id,
    config: x.model.config,
    invariants: [POLICY_TOTAL, ...options.invariants.map((i) => i.name).filter((n) => n !== POLICY_TOTAL)],
    seed,
    maxSteps,
  };
  let crash: unknown;
  /** One fast-check search; only violations of `only` (once known) count as failures. */
  const search = (searchSeed: number, numRuns: number, steps: number, shrink: boolean, only?: string, path?: string) => {
    let locked = only;
    const property = fc.property(interleavings(steps), (choices) => {
      if (crash !== undefined) return true;
      try {
        x.runChoices(choices);
      } catch (e) {
        crash = e;
        return true;
      }
      const v = x.violation;
      if (v === undefined) return true;
      locked ??= v.invariant;
      return v.invariant !== locked;
    });
    return fc.check(property, { seed: searchSeed, numRuns, endOnFailure: !shrink, ...(path ? { path } : {}) });
  };
  const shrink = options.shrink !== false;
  const out = search(seed, runs, maxSteps, shrink, undefined, options.path);
  const crashed = (): CheckResult => {
    const message = crash instanceof CheckerCrash ? crash.message : `${String((crash as Error)?.stack ?? crash)}`;
    return {
      ...base,
      verdict: 'crashed',
      runs: out.numRuns,
      shrinks: 0,
      trace: [],
      warnings: [],
      error: message,
      stats: { events: x.eventsExecuted, warnings: x.warningsHit },
    };
  };
  if (crash !== undefined) return crashed();
  if (!out.failed || out.counterexample === null) {
    return {
      ...base,
      verdict: 'held',
      runs: out.numRuns,
      shrinks: 0,
      trace: [],
      warnings: [],
      stats: { events: x.eventsExecuted, warnings: x.warningsHit },
      ...withCoverage(x),
    };
  }
  const raw = new Float64Array(maxSteps * EVENT_WIDTH);
  let trace = splitEvents(raw, x.runChoices(out.counterexample[0], raw));
  const invariant = x.violation?.invariant ?? '';
  if (shrink) {
    trace = minimizeTrace(x, trace, invariant);
    if (trace.length > 2) {
      // Shrinking and minimising stop at local minima; a breadth-first search over the
      // counterexample's own events (with every CPU and vCPU) finds the shortest such trace.
      const alphabet = traceAlphabet(x, trace);
      const shortest = bfs(x, { depth: trace.length - 1, only: invariant, alphabet, maxTransitions: RESEARCH_BUDGET });
      if (shortest.outcome === 'violated' && shortest.trace) trace = [...shortest.trace];
    }
  }
  rerun(x, trace); // the report's violation and step stamps come from the final trace
  return {
    ...base,
    verdict: 'violated',
    runs: out.numRuns,
    path: out.counterexamplePath ?? undefined,
    shrinks: out.numShrinks,
    violation: x.violation,
    trace: tracesToJSON(x, trace),
    warnings: [...x.warnings],
    stats: { events: x.eventsExecuted, warnings: x.warningsHit },
    ...withCoverage(x),
  } as CheckResult;
}

/** Transitions the shortest-trace re-search may try after shrinking. */
const RESEARCH_BUDGET = 100_000;

const withCoverage = (x: Executor): { coverage?: Coverage } => {
  const coverage = coverageOf(x);
  return coverage ? { coverage } : {};
};
