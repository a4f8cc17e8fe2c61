import fc from 'fast-check';
import { bfs, traceAlphabet } from './bfs.js';
import { type Coverage, coverageOf } from './coverage.js';
import { lifecycleEvents } from './events.js';
import { CheckerCrash, EVENT_WIDTH, Executor, POLICY_TOTAL, type Warning, type Watch } from './execute.js';
import { guardRun } from './guard.js';
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
  /** Polled before every run: true stops the search (a signal, a budget) with the runs done so far. */
  readonly shouldStop?: () => boolean;
  /** `--max-states`: stop (held so far) once this many events have executed. */
  readonly maxStates?: number;
  /**
   * Run each interleaving under an in-process watchdog of this many milliseconds (a hook that
   * never returns becomes a policy-total finding): for callers that cannot use a worker, such as
   * the vitest helper. Checks in a worker use `watch` instead.
   */
  readonly hookTimeoutMs?: number;
}

/** The message of the finding for a counterexample that does not reproduce when run again. */
export const NONDETERMINISTIC =
  'the counterexample does not reproduce when run again: the policy is nondeterministic. It keeps state outside k.vcpu/k.host (a module-level variable, Math.random(), Date), so the same events do not give the same run; the trace is the run that failed';

/** The outcome of checking one policy: held, violated (with a shrunk trace) or crashed. */
export interface CheckResult {
  /** held-so-far: stopped (a signal or a budget) before every run was done, none violated. */
  readonly verdict: 'held' | 'violated' | 'crashed' | 'held-so-far';
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
  /** The counterexample did not reproduce when run again: the finding is about the policy's determinism. */
  readonly nondeterministic?: boolean;
  /** What stopped the search early (held-so-far, or a violation reported before shrinking finished). */
  readonly stoppedBy?: string;
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
  let stopped = false;
  let stopReason: string | undefined;
  let runsDone = 0;
  /** The first failing run as it happened (its events and violation): reported if it does not reproduce. */
  let first: { events: Float64Array[]; violation: Violation } | undefined;
  /** A run whose hook never returned (in-process watchdog): the search ends there. */
  let hung: { events: Float64Array[]; violation: Violation } | undefined;
  const raw = new Float64Array(maxSteps * EVENT_WIDTH);
  const timeout = options.hookTimeoutMs;
  const maxStates = options.maxStates ?? Number.POSITIVE_INFINITY;
  let runChoices = (choices: number[]): number => x.runChoices(choices, raw);
  if (timeout !== undefined) {
    runChoices = (choices) => {
      let n = 0;
      if (!guardRun(x, timeout, () => (n = x.runChoices(choices, raw)))) {
        hung = { events: splitEvents(raw, x.step), violation: x.violation as Violation };
        return x.step;
      }
      return n;
    };
  }
  /** One fast-check search; only violations of `only` (once known) count as failures. */
  const search = (searchSeed: number, numRuns: number, steps: number, shrink: boolean, only?: string, path?: string) => {
    let locked = only;
    const property = fc.property(interleavings(steps), (choices) => {
      if (crash !== undefined || stopped || hung) return true;
      if (options.shouldStop?.() || x.eventsExecuted >= maxStates) {
        stopped = true;
        if (x.eventsExecuted >= maxStates) stopReason = 'max-states';
        // Before any failure, failing here ends fast-check's loop at once (later shrink candidates
        // pass); during shrinking, passing keeps the smallest real counterexample found so far.
        return first !== undefined;
      }
      try {
        const n = runChoices(choices);
        if (hung) return true;
        if (first === undefined && x.violation) first = { events: splitEvents(raw, n), violation: x.violation };
      } catch (e) {
        crash = e;
        return true;
      }
      if (first === undefined) runsDone++;
      const v = x.violation;
      if (v === undefined) return true;
      locked ??= v.invariant;
      return v.invariant !== locked;
    });
    let result: fc.RunDetails<[number[]]>;
    try {
      result = fc.check(property, { seed: searchSeed, numRuns, endOnFailure: !shrink, ...(path ? { path } : {}) });
    } catch (e) {
      // fast-check refuses a --path it cannot follow.
      if (path && e instanceof Error && /invalid path/.test(e.message)) throw new CheckPathError(path);
      throw e;
    }
    return result;
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
  const stats = (): CheckResult['stats'] => ({ events: x.eventsExecuted, warnings: x.warningsHit });
  if (hung) {
    // The watchdog ended a hook: report that run (not shrunk: every shrink could hang as long).
    const h = hung as { events: Float64Array[]; violation: Violation };
    return {
      ...base,
      verdict: 'violated',
      hung: true,
      runs: runsDone + 1,
      shrinks: 0,
      violation: h.violation,
      trace: tracesToJSON(x, h.events),
      warnings: [],
      stats: stats(),
    };
  }
  if (first === undefined && (stopped || !out.failed || out.counterexample === null)) {
    return {
      ...base,
      verdict: stopped ? 'held-so-far' : 'held',
      ...(stopReason ? { stoppedBy: stopReason } : {}),
      runs: stopped ? runsDone : out.numRuns,
      shrinks: 0,
      trace: [],
      warnings: [],
      stats: { events: x.eventsExecuted, warnings: x.warningsHit },
      ...withCoverage(x),
    };
  }
  const original = first as { events: Float64Array[]; violation: Violation };
  const invariant = original.violation.invariant;
  const nondeterministic = (): CheckResult => ({
    ...base,
    verdict: 'violated',
    nondeterministic: true,
    runs: runsDone + 1,
    shrinks: 0,
    violation: {
      invariant: POLICY_TOTAL,
      message: `${NONDETERMINISTIC} (there it broke ${original.violation.invariant}: ${original.violation.message})`,
      step: original.violation.step,
      at: original.violation.at,
    },
    trace: tracesToJSON(x, original.events),
    warnings: [],
    stats: stats(),
  });
  if (out.counterexample === null) return nondeterministic();
  let trace = splitEvents(raw, x.runChoices(out.counterexample[0], raw));
  let minimized = trace;
  if (x.violation?.invariant !== invariant) return nondeterministic();
  if (shrink && !stopped) {
    trace = minimizeTrace(x, trace, invariant);
    minimized = trace;
    if (trace.length > 2) {
      // Shrinking and minimising stop at local minima; a breadth-first search over the
      // counterexample's own events (with every CPU and vCPU) finds the shortest such trace.
      const alphabet = traceAlphabet(x, trace);
      const shortest = bfs(x, { depth: trace.length - 1, only: invariant, alphabet, maxTransitions: RESEARCH_BUDGET });
      if (shortest.outcome === 'violated' && shortest.trace) trace = [...shortest.trace];
    }
  }
  rerun(x, trace); // the report's violation and step stamps come from the final trace
  if (x.violation?.invariant !== invariant && trace !== minimized) {
    // The breadth-first search runs from decoded states; the minimised trace ran from the start.
    trace = minimized;
    rerun(x, trace);
  }
  if (x.violation?.invariant !== invariant) return nondeterministic();
  return {
    ...base,
    ...(stopped ? { stoppedBy: stopReason ?? 'stopped' } : {}),
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

/** A `--path` fast-check cannot follow (not one it printed for these flags). */
export class CheckPathError extends Error {
  readonly code = 'ERR_CHECK_PATH';
  constructor(readonly path: string) {
    super(`--path ${path} does not lead to a run of this check: use the path a report printed, with the same seed and flags.`);
  }
}

/** Transitions the shortest-trace re-search may try after shrinking. */
const RESEARCH_BUDGET = 100_000;

const withCoverage = (x: Executor): { coverage?: Coverage } => {
  const coverage = coverageOf(x);
  return coverage ? { coverage } : {};
};
