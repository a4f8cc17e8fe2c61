/**
 * `check`: random interleavings of the model's events (fast-check), each run from the initial world
 * on one reused executor; the first that breaks an invariant is shrunk to a short trace and re-run
 * to confirm it reproduces. Triage (`continue`, `known`) and the watchdog's hang finding live here too.
 */
import fc from 'fast-check';
import { CheckerCrash, EVENT_WIDTH, type Executor, POLICY_TOTAL } from '../engine/execute.js';
import type { Violation } from '../engine/invariant.js';
import type { Policy } from '../engine/policy.js';
import { tracesToJSON } from '../engine/trace.js';
import { bfs, traceAlphabet } from './bfs.js';
import { CHECK_DEFAULTS, type CheckOptions, type CheckResult, NONDETERMINISTIC } from './check-types.js';
import { type Coverage, coverageOf } from './coverage.js';
import { GUARDED_CHUNK_MS, guardRun, HookCutOff } from './guard.js';
import { interleavings } from './interleave.js';
import { makeExecutor } from './make-executor.js';
import { minimizeTrace, rerun, splitEvents } from './minimize.js';
import { byLengthThenOrder, type Counterexample, type KnownHit, matchKnown, pointKey, signatureOf } from './triage.js';

export { CHECK_DEFAULTS, type CheckOptions, type CheckResult, NONDETERMINISTIC } from './check-types.js';
export { makeExecutor } from './make-executor.js';

/**
 * Checks `policy` on random interleavings; never throws for a violation. The first invariant that
 * breaks is the one shrinking keeps: a shrunk trace breaks the same invariant as the original.
 * With `continue` the search goes on for the other invariants (one shrunk counterexample each);
 * a counterexample that breaks where a `known` failure does is listed as known and skipped.
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
  const stats = (): CheckResult['stats'] => ({ events: x.eventsExecuted, warnings: x.warningsHit });
  let crash: unknown;
  let stopped = false;
  let stopReason: string | undefined;
  /** Runs that passed before the round's first new failure (all of them when none failed). */
  let runsDone = 0;
  /** The round's first new failing run as it happened (its events and violation): reported if it does not reproduce. */
  let first: { events: Float64Array[]; violation: Violation } | undefined;
  /** A run whose hook never returned (in-process watchdog): the search ends there. */
  let hung: { events: Float64Array[]; violation: Violation } | undefined;
  const raw = new Float64Array(maxSteps * EVENT_WIDTH);
  const timeout = options.hookTimeoutMs;
  const maxStates = options.maxStates ?? Number.POSITIVE_INFINITY;
  let runChoices = (choices: number[]): number => x.runChoices(choices, raw);
  if (timeout !== undefined) {
    // Minimising re-executes the counterexample (`rerun`): under the watchdog too.
    x.guardMs = timeout;
    // In chunks of GUARDED_CHUNK_MS, so that the watchdog times a hook, not a whole run of slow ones.
    runChoices = (choices) => {
      let n = 0;
      do {
        if (!guardRun(x, timeout, () => (n = x.runChoices(choices, raw, n, GUARDED_CHUNK_MS)))) {
          hung = { events: splitEvents(raw, x.step), violation: x.violation as Violation };
          return x.step;
        }
      } while (x.paused);
      return n;
    };
  }
  const known = options.known ?? [];
  /** Invariants that have their counterexample (`continue`), and failing points that shrank to a known failure. */
  const reported = new Set<string>();
  const knownPoints = new Set<string>();
  /** Whether the run the executor just made found something new: not an invariant reported, not a point known. */
  const isNew = (v: Violation): boolean =>
    !reported.has(v.invariant) && !knownPoints.has(pointKey(signatureOf(v, x.eventAt(v.step) ?? '')));
  /** One fast-check search; only new violations count, and once one is seen only violations of its invariant. */
  const search = (searchSeed: number, numRuns: number, steps: number, shrink: boolean, path?: string) => {
    let locked: string | undefined;
    let firstPoint: string | undefined;
    first = undefined;
    runsDone = 0;
    const property = fc.property(interleavings(steps), (choices) => {
      if (crash !== undefined || stopped || hung) return true;
      if (options.shouldStop?.() || x.eventsExecuted >= maxStates) {
        stopped = true;
        if (x.eventsExecuted >= maxStates) stopReason = 'max-states';
        // Before any failure, failing here ends fast-check's loop at once (later shrink candidates
        // pass); during shrinking, passing keeps the smallest real counterexample found so far.
        return first !== undefined;
      }
      let n: number;
      try {
        n = runChoices(choices);
        if (hung) return true;
      } catch (e) {
        crash = e;
        return true;
      }
      const v = x.violation;
      if (v === undefined || (locked === undefined && !isNew(v))) {
        if (first === undefined) runsDone++;
        return true;
      }
      if (locked === undefined) {
        locked = v.invariant;
        firstPoint = pointKey(signatureOf(v, x.eventAt(v.step) ?? ''));
        first = { events: splitEvents(raw, n), violation: v };
      }
      return v.invariant !== locked;
    });
    let out: fc.RunDetails<[number[]]>;
    try {
      out = fc.check(property, { seed: searchSeed, numRuns, endOnFailure: !shrink, ...(path ? { path } : {}) });
    } catch (e) {
      // fast-check refuses a --path it cannot follow: not numbers ("invalid"), or no such shrink under these flags ("wrong").
      if (path && e instanceof Error && /Unable to replay, got (invalid|wrong) path/.test(e.message)) throw new CheckPathError(path);
      throw e;
    }
    return { out, firstPoint };
  };
  const shrink = options.shrink !== false;
  /** A failing run that does not fail again: the finding is about the policy (it keeps state outside the world). */
  const nondeterministic = (original: { events: Float64Array[]; violation: Violation }): CheckResult => ({
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
  const found: Counterexample[] = [];
  const knownHits: KnownHit[] = [];
  let lastRuns = 0;
  // Each round re-runs the same seed, skipping what earlier rounds reported: deterministic, and a
  // round costs the runs up to its first new violation. Every round reports an invariant or learns
  // a known point, so the rounds end.
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const { out, firstPoint } = search(seed, runs, maxSteps, shrink, options.path);
    if (crash !== undefined) return crashed(base, crash, out.numRuns, x);
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
    lastRuns = first === undefined && stopped ? runsDone : out.numRuns;
    const original = first as { events: Float64Array[]; violation: Violation } | undefined;
    if (original === undefined) break;
    if (out.counterexample === null) return nondeterministic(original);
    const invariant = original.violation.invariant;
    let trace = splitEvents(raw, runChoices(out.counterexample[0]));
    // A hook the watchdog cut off where the failing run went on: the policy does not run as it did.
    if (hung || x.violation?.invariant !== invariant) return nondeterministic(original);
    let minimized = trace;
    try {
      if (shrink && !stopped) {
        trace = minimizeTrace(x, trace, invariant);
        minimized = trace;
        if (trace.length > 2) {
          // Shrinking and minimising stop at local minima; a breadth-first search over the
          // counterexample's own events (with every CPU and vCPU) finds the shortest such trace.
          const alphabet = traceAlphabet(x, trace);
          const research = () => bfs(x, { depth: trace.length - 1, only: invariant, alphabet, maxTransitions: RESEARCH_BUDGET });
          let shortest: ReturnType<typeof research> | undefined;
          // On this thread, under the watchdog as one unit: cut off, the minimised trace stands.
          if (timeout === undefined) shortest = research();
          else guardRun(x, timeout, () => (shortest = research()));
          if (shortest?.outcome === 'violated' && shortest.trace) trace = [...shortest.trace];
        }
      }
      rerun(x, trace); // the report's violation and step stamps come from the final trace
      if (x.violation?.invariant !== invariant && trace !== minimized) {
        // The breadth-first search runs from decoded states; the minimised trace ran from the start.
        trace = minimized;
        rerun(x, trace);
      }
    } catch (e) {
      if (e instanceof HookCutOff) return nondeterministic(original);
      throw e;
    }
    const violation = x.violation as Violation | undefined;
    if (violation?.invariant !== invariant) return nondeterministic(original);
    const signature = signatureOf(violation, x.eventAt(violation.step) ?? '');
    const match = matchKnown(known, options.arch.id, signature);
    if (match) {
      const key = pointKey(signature);
      if (!knownPoints.has(key)) knownHits.push({ ...signature, source: match.source, steps: trace.length });
      knownPoints.add(firstPoint ?? key);
      knownPoints.add(key);
      if (stopped) break;
      continue;
    }
    const entry = {
      violation,
      trace: tracesToJSON(x, trace),
      warnings: [...x.warnings],
      ...(out.counterexamplePath ? { path: out.counterexamplePath } : {}),
      shrinks: out.numShrinks,
      runs: out.numRuns,
    };
    found.push({ invariant: violation.invariant, ...entry });
    reported.add(violation.invariant);
    // Invariants that broke at the same point have this counterexample too.
    for (const a of violation.also ?? []) {
      if (reported.has(a.invariant)) continue;
      found.push({ invariant: a.invariant, ...entry });
      reported.add(a.invariant);
    }
    if (!options.continue || stopped) break;
  }
  found.sort(byLengthThenOrder(base.invariants));
  const withKnown = knownHits.length ? { known: knownHits } : {};
  const top = found[0];
  if (top === undefined) {
    return {
      ...base,
      verdict: stopped ? 'held-so-far' : 'held',
      ...(stopped && stopReason ? { stoppedBy: stopReason } : {}),
      runs: lastRuns,
      shrinks: 0,
      trace: [],
      warnings: [],
      stats: stats(),
      ...withKnown,
      ...withCoverage(x),
    };
  }
  return {
    ...base,
    ...(stopped ? { stoppedBy: stopReason ?? 'stopped' } : {}),
    verdict: 'violated',
    runs: lastRuns,
    ...(top.path ? { path: top.path } : {}),
    shrinks: top.shrinks ?? 0,
    violation: top.violation,
    trace: top.trace,
    warnings: top.warnings,
    stats: stats(),
    ...(options.continue ? { counterexamples: found } : {}),
    ...withKnown,
    ...withCoverage(x),
  } as CheckResult;
}

/** Rounds of a triage search at most: one per invariant reported or known point learned. */
const MAX_ROUNDS = 64;

function crashed(
  base: Omit<CheckResult, 'verdict' | 'runs' | 'shrinks' | 'trace' | 'warnings' | 'stats'>,
  crash: unknown,
  runs: number,
  x: Executor,
): CheckResult {
  const message = crash instanceof CheckerCrash ? crash.message : `${String((crash as Error)?.stack ?? crash)}`;
  return {
    ...base,
    verdict: 'crashed',
    runs,
    shrinks: 0,
    trace: [],
    warnings: [],
    error: message,
    stats: { events: x.eventsExecuted, warnings: x.warningsHit },
  };
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
