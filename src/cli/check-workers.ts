import type { CheckResult } from '../searches/check.js';
import type { Coverage } from '../searches/coverage.js';

/**
 * `check --workers N`: how one policy's runs are split across worker threads, and how the slices'
 * results become the one result a single worker would have given. fast-check's run indices are
 * absolute (`path "k"` starts at run k of the seed's sequence, and the counterexample path it
 * prints counts from run 0), so each slice runs a contiguous range of indices. The slices search
 * without shrinking; the first slice in run order that did not hold decides (never the first to
 * finish), and only that one is run again with shrinking. Its counters (runs, events, warnings,
 * coverage) are then the earlier slices' plus its own: exactly one worker's, whatever N.
 */

/** A contiguous range of run indices, [from, to). */
export interface RunSlice {
  readonly from: number;
  readonly to: number;
}

/** [from, to) cut into at most `slices` contiguous, non-empty ranges in order. */
export function splitRuns(from: number, to: number, slices: number): RunSlice[] {
  const n = Math.max(1, Math.min(slices, to - from));
  return Array.from({ length: n }, (_, j) => ({
    from: from + Math.floor((j * (to - from)) / n),
    to: from + Math.floor(((j + 1) * (to - from)) / n),
  }));
}

/** Coverage of two sets of runs: counts add up; the initial state is entered once, not once per set. */
export function addCoverage(a: Coverage, b: Coverage, initial: string): Coverage {
  return {
    machine: a.machine,
    states: a.states.map((s, i) => ({
      state: s.state,
      entered: s.entered + (b.states[i]?.entered ?? 0) - (s.state === initial ? 1 : 0),
    })),
    transitions: a.transitions.map((t, i) => ({ ...t, taken: t.taken + (b.transitions[i]?.taken ?? 0) })),
    events: a.events.map((e, i) => ({ ...e, applied: e.applied + (b.events[i]?.applied ?? 0) })),
  };
}

/** What the slices before the deciding one ran: all held, or were stopped (`stoppedBy`) before finishing. */
interface Prefix {
  runs: number;
  events: number;
  warnings: number;
  coverage?: Coverage;
  stoppedBy?: string;
}

/** The index of the slice that decides the verdict: the first that neither held nor was stopped; undefined when there is none. */
export function decidingSlice(results: readonly (CheckResult | undefined)[]): number | undefined {
  const k = results.findIndex((r) => r !== undefined && r.verdict !== 'held' && r.verdict !== 'held-so-far');
  return k < 0 ? undefined : k;
}

/**
 * The result of all slices as one worker would have reported it. `results[k]` is slice k's own
 * result (runs and counters counted from its start; the deciding slice's already shrunk), undefined
 * for a slice that never ran. Without a deciding slice: held, or held so far when a slice was
 * stopped (a signal, a time limit), with the runs of every slice added up.
 */
export function mergeSlices(results: readonly (CheckResult | undefined)[], slices: readonly RunSlice[], initial: string): CheckResult {
  const prefix: Prefix = { runs: 0, events: 0, warnings: 0 };
  let last: CheckResult | undefined;
  const k = decidingSlice(results);
  for (const r of results.slice(0, k)) {
    if (r === undefined) continue;
    last = r;
    prefix.runs += r.runs;
    prefix.events = prefix.events < 0 || r.stats.events < 0 ? -1 : prefix.events + r.stats.events;
    prefix.warnings += r.stats.warnings;
    if (r.coverage) prefix.coverage = prefix.coverage ? addCoverage(prefix.coverage, r.coverage, initial) : r.coverage;
    if (r.verdict === 'held-so-far') prefix.stoppedBy ??= r.stoppedBy ?? 'stopped';
  }
  const decider = k === undefined ? undefined : results[k];
  if (decider) return withPrefix(decider, prefix, initial, slices);
  const base = last ?? (results.find((r) => r !== undefined) as CheckResult);
  const { stoppedBy: _, coverage: __, ...rest } = base;
  return {
    ...rest,
    verdict: prefix.stoppedBy || results.includes(undefined) ? 'held-so-far' : 'held',
    ...(prefix.stoppedBy ? { stoppedBy: prefix.stoppedBy } : {}),
    runs: prefix.runs,
    stats: { events: prefix.events, warnings: prefix.warnings },
    ...(prefix.coverage ? { coverage: prefix.coverage } : {}),
  };
}

/** `r` (the deciding slice's result) with the slices before it added in. */
function withPrefix(r: CheckResult, prefix: Prefix, initial: string, slices: readonly RunSlice[]): CheckResult {
  const total = (slices.at(-1)?.to ?? 0) - (slices[0]?.from ?? 0);
  // A crash lets fast-check pass every later run: one worker counts them all.
  const runs = r.verdict === 'crashed' ? total : prefix.runs + r.runs;
  const coverage = r.coverage && prefix.coverage ? addCoverage(prefix.coverage, r.coverage, initial) : r.coverage;
  const stoppedBy = r.stoppedBy ?? prefix.stoppedBy;
  return {
    ...r,
    runs,
    // -1: a worker was ended (a hang, a second signal) and could not count.
    stats:
      r.stats.events < 0 || prefix.events < 0
        ? { events: -1, warnings: r.stats.warnings }
        : { events: prefix.events + r.stats.events, warnings: prefix.warnings + r.stats.warnings },
    ...(coverage ? { coverage } : {}),
    ...(stoppedBy ? { stoppedBy } : {}),
  };
}

/** Runs tasks with at most `limit` at once, in the order queued; `first` tasks go before every waiting one. */
export function limiter(limit: number): <T>(task: () => Promise<T>, first?: boolean) => Promise<T> {
  let running = 0;
  const queue: (() => void)[] = [];
  const next = (): void => {
    if (running >= limit) return;
    const start = queue.shift();
    if (!start) return;
    running++;
    start();
  };
  return <T>(task: () => Promise<T>, first = false): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const start = (): void => {
        task()
          .then(resolve, reject)
          .finally(() => {
            running--;
            next();
          });
      };
      if (first) queue.unshift(start);
      else queue.push(start);
      next();
    });
}
