import type { Executor, Warning } from '../engine/execute.js';
import type { Violation } from '../engine/invariant.js';
import { fieldsOf, hexWithFields } from '../engine/register-fields.js';
import type { TraceEvent } from '../engine/trace.js';
import type { CheckResult } from '../searches/check.js';
import type { ExploreResult } from '../searches/explore.js';
import { type TraceView, viewTrace } from './trace-view.js';

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
    ...(r.stoppedBy ? { stoppedBy: r.stoppedBy } : {}),
    ...(r.counterexamples ? { counterexamples: r.counterexamples } : {}),
    ...(r.known ? { known: r.known } : {}),
  };
}

/**
 * The counterexample as the text report reads it, for tools that show it: each step's event and
 * changes with values decoded (`"0x8000 (MDE)"`), each event's kernel name, the failing step's
 * hook accesses (writes numbered as observation points count them), the live gate registers and
 * the expected and actual values decoded. Null without a violation.
 */
export function counterexampleJson(
  x: Executor,
  trace: readonly TraceEvent[],
  v: Violation | undefined,
  warnings: readonly Warning[],
  hung = false,
  described?: TraceView,
): Record<string, unknown> | null {
  if (v === undefined) return null;
  const view = described ?? viewTrace(x, trace, v, warnings, hung);
  const f = v.register === undefined ? undefined : fieldsOf(x.model.fields, v.register);
  return {
    kernelNames: Object.fromEntries(view.kernel),
    steps: view.steps.map((s) => ({ step: s.step, event: s.text, changes: s.changes })),
    failingHook: view.accesses.map((a) => ({
      kind: a.kind,
      hook: a.hook,
      cpu: a.cpu,
      write: a.number || null,
      text: a.text,
      broke: a.broke,
    })),
    expected: v.expected === undefined ? null : hexWithFields(f, v.expected),
    actual: v.actual === undefined ? null : hexWithFields(f, v.actual),
    gates: view.gates,
    ...(view.rerun ? { rerun: view.rerun } : {}),
  };
}

/** The JSON form of one check result (DESIGN §7), with the wall-clock time it took; with `x`, the decoded counterexample. */
export function toJsonReport(r: CheckResult, ms: number, x?: Executor): Record<string, unknown> {
  return {
    ...common('check', r),
    runs: r.runs,
    seed: r.seed,
    maxSteps: r.maxSteps,
    path: r.path ?? null,
    shrinks: r.shrinks,
    violation: r.violation ?? null,
    trace: r.trace,
    ...(x ? { counterexample: counterexampleJson(x, r.trace, r.violation, r.warnings, r.hung) } : {}),
    warnings: r.warnings,
    error: r.error ?? null,
    ...(r.coverage ? { coverage: r.coverage } : {}),
    stats: { events: r.stats.events, warnings: r.stats.warnings, ms: ms3(ms) },
  };
}

/** The JSON form of an exploration (same `reportVersion`; `command` tells the two apart). */
export function toExploreJsonReport(r: ExploreResult, ms: number, x?: Executor): Record<string, unknown> {
  return {
    ...common('explore', r),
    depth: r.depth,
    depthCompleted: r.depthCompleted,
    domain: r.domain,
    symmetry: r.symmetry,
    por: r.pruned !== undefined,
    violation: r.violation ?? null,
    trace: r.trace,
    ...(x ? { counterexample: counterexampleJson(x, r.trace, r.violation, [], r.hung) } : {}),
    error: r.error ?? null,
    ...(r.coverage ? { coverage: r.coverage } : {}),
    stats: {
      states: r.states,
      transitions: r.transitions,
      transitionsSaved: r.pruned ?? 0,
      ms: ms3(ms),
      statesPerSecond: ms > 0 ? Math.round(r.states / (ms / 1000)) : null,
      peakBytes: r.peakBytes,
    },
  };
}
