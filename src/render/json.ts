import type { CheckResult } from '../check.js';
import type { ExploreResult } from '../explore.js';

/** Version of the JSON report; bumped on any change a parser could notice. */
export const REPORT_VERSION = 1;

const ms3 = (ms: number): number => Math.round(ms * 1000) / 1000;

/** The fields every report has, in the order they print. */
function common(command: 'check' | 'explore', r: CheckResult | ExploreResult): Record<string, unknown> {
  return {
    reportVersion: REPORT_VERSION,
    command,
    policy: r.policy,
    arch: r.arch,
    config: r.config,
    verdict: r.verdict,
    invariant: r.violation?.invariant ?? null,
    invariants: r.invariants,
    ...(r.counterexamples ? { counterexamples: r.counterexamples } : {}),
    ...(r.known ? { known: r.known } : {}),
  };
}

/** The JSON form of one check result (DESIGN §7), with the wall-clock time it took. */
export function toJsonReport(r: CheckResult, ms: number): Record<string, unknown> {
  return {
    ...common('check', r),
    runs: r.runs,
    seed: r.seed,
    maxSteps: r.maxSteps,
    path: r.path ?? null,
    shrinks: r.shrinks,
    violation: r.violation ?? null,
    trace: r.trace,
    warnings: r.warnings,
    error: r.error ?? null,
    ...(r.coverage ? { coverage: r.coverage } : {}),
    stats: { events: r.stats.events, warnings: r.stats.warnings, ms: ms3(ms) },
  };
}

/** The JSON form of an exploration (same `reportVersion`; `command` tells the two apart). */
export function toExploreJsonReport(r: ExploreResult, ms: number): Record<string, unknown> {
  return {
    ...common('explore', r),
    depth: r.depth,
    depthCompleted: r.depthCompleted,
    domain: r.domain,
    symmetry: r.symmetry,
    violation: r.violation ?? null,
    trace: r.trace,
    error: r.error ?? null,
    ...(r.coverage ? { coverage: r.coverage } : {}),
    stats: {
      states: r.states,
      transitions: r.transitions,
      ms: ms3(ms),
      statesPerSecond: ms > 0 ? Math.round(r.states / (ms / 1000)) : null,
      peakBytes: r.peakBytes,
    },
  };
}
