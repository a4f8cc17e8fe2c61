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
import { byLengthThenOrder, type Counterexample, type KnownFailure, type KnownHit, matchKnown, pointKey, signatureOf } from './triage.js';

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
  /** Go on after a violation: one shrunk counterexample per invariant that breaks (`counterexamples`). */
  readonly continue?: boolean;
  /** Failures already known (`--assume-fixed`): a counterexample that breaks where one did is reported as known and the search goes on. */
  readonly known?: readonly KnownFailure[];
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
  /** With `continue`: one counterexample per invariant that broke, the first being the one above. */
  readonly counterexamples?: readonly Counterexample[];
  /** Counterexamples that broke where a known failure does (`known`): not counted as violations. */
  readonly known?: readonly KnownHit[];
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
  let crash: unknown;
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
      if (locked === undefined) {
        if (!isNew(v)) return true;
        locked = v.invariant;
        firstPoint = pointKey(signatureOf(v, x.eventAt(v.step) ?? ''));
      }
      return v.invariant !== locked;
    });
    const out = fc.check(property, { seed: searchSeed, numRuns, endOnFailure: !shrink, ...(path ? { path } : {}) });
    return { out, firstPoint };
  };
  const shrink = options.shrink !== false;
  const held = (runs: number): CheckResult => ({
    ...base,
    verdict: 'held',
    runs,
    shrinks: 0,
    trace: [],
    warnings: [],
    stats: { events: x.eventsExecuted, warnings: x.warningsHit },
    ...withCoverage(x),
  });
  const found: Counterexample[] = [];
  const knownHits: KnownHit[] = [];
  let unexplained: Pick<CheckResult, 'trace' | 'warnings' | 'shrinks' | 'runs'> | undefined;
  let runsDone = 0;
  // Each round re-runs the same seed, skipping what earlier rounds reported: deterministic, and a
  // round costs the runs up to its first new violation. Every round reports an invariant or learns
  // a known point, so the rounds end.
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const { out, firstPoint } = search(seed, runs, maxSteps, shrink, options.path);
    runsDone = out.numRuns;
    if (crash !== undefined) return crashed(base, crash, out.numRuns, x);
    if (!out.failed || out.counterexample === null) break;
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
    const violation = x.violation as Violation | undefined;
    if (violation === undefined) {
      // The final trace does not break anything when run again: report it as it is (violated, no invariant).
      unexplained = { trace: tracesToJSON(x, trace), warnings: [...x.warnings], shrinks: out.numShrinks, runs: out.numRuns };
      break;
    }
    const signature = signatureOf(violation, x.eventAt(violation.step) ?? '');
    const match = matchKnown(known, options.arch.id, signature);
    if (match) {
      const key = pointKey(signature);
      if (!knownPoints.has(key)) knownHits.push({ ...signature, source: match.source, steps: trace.length });
      knownPoints.add(firstPoint ?? key);
      knownPoints.add(key);
      continue;
    }
    const json = tracesToJSON(x, trace);
    const entry = {
      violation,
      trace: json,
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
    if (!options.continue) break;
  }
  found.sort(byLengthThenOrder(base.invariants));
  const first = found[0];
  if (first === undefined && unexplained) {
    return { ...base, verdict: 'violated', ...unexplained, stats: { events: x.eventsExecuted, warnings: x.warningsHit } };
  }
  if (first === undefined) return { ...held(runsDone), ...(knownHits.length ? { known: knownHits } : {}) };
  return {
    ...base,
    verdict: 'violated',
    runs: runsDone,
    ...(first.path ? { path: first.path } : {}),
    shrinks: first.shrinks ?? 0,
    violation: first.violation,
    trace: first.trace,
    warnings: first.warnings,
    stats: { events: x.eventsExecuted, warnings: x.warningsHit },
    ...(options.continue ? { counterexamples: found } : {}),
    ...(knownHits.length ? { known: knownHits } : {}),
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

/** Transitions the shortest-trace re-search may try after shrinking. */
const RESEARCH_BUDGET = 100_000;

const withCoverage = (x: Executor): { coverage?: Coverage } => {
  const coverage = coverageOf(x);
  return coverage ? { coverage } : {};
};
