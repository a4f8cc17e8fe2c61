import type { Executor, Warning } from '../engine/execute.js';
import type { Violation } from '../engine/invariant.js';
import type { ModelConfig } from '../engine/model.js';
import type { TraceEvent } from '../engine/trace.js';
import type { TraceFile } from '../persistence/trace-file.js';
import { counterexampleJson, REPORT_VERSION } from './json.js';
import { regressionTest } from './reproduce.js';
import { steps } from './tables.js';
import { configText, formatEvent, renderTrace, type TraceOptions } from './text.js';
import type { TraceView } from './trace-view.js';

/** A saved trace re-executed against a policy (`worldswitch replay`). */
export interface ReplayOutcome {
  /** The trace file as given, and what it holds. */
  readonly file: string;
  readonly saved: TraceFile;
  /** The policy it was replayed against (the saved one unless `--policy`), and how the user named it. */
  readonly policy: string;
  readonly policyArg?: string;
  /** The user's policy file the replayed policy came from, if any. */
  readonly policyFile?: string;
  readonly arch: string;
  readonly config: ModelConfig;
  readonly invariants: readonly string[];
  /** violated: an invariant broke; held: the whole trace ran clean; diverged: clean up to an event this policy does not enable. */
  readonly verdict: 'violated' | 'held' | 'diverged';
  readonly trace: readonly TraceEvent[];
  /** Steps executed: up to the violation, or up to the event that is not enabled. */
  readonly steps: number;
  readonly violation: Violation | undefined;
  readonly warnings: readonly Warning[];
  /** Set when the replay broke another invariant or step than the saved trace did, or nothing. */
  readonly note?: string;
  /** The last replayed step's hook never returned (the watchdog stopped it). */
  readonly hung?: boolean;
}

/** The command that replays this trace again, exactly as it was replayed. */
export const replayAgain = (o: ReplayOutcome): string =>
  ['npx worldswitch replay', o.file, ...(o.policyArg ? [`--policy ${o.policyArg}`] : [])].join(' ');

/** The first line of a replay report: the verdict on the saved trace. */
function headline(o: ReplayOutcome): string {
  const name = `${o.arch}/${o.policy}`;
  if (o.verdict === 'violated') return `${name}: violated ${o.violation?.invariant ?? '?'}`;
  if (o.verdict === 'held') return `${name}: held on the saved trace (${steps(o.trace.length)}; no invariant broke)`;
  const next = o.trace[o.steps];
  return `${name}: diverged: held on the first ${o.steps} of ${o.trace.length} steps; step ${o.steps + 1} (${next ? formatEvent(next) : '?'}) is not enabled under this policy, so the rest of the trace does not apply`;
}

/** Where the saved trace came from, in one line. */
export function savedFrom(s: TraceFile): string {
  const run = s.command === 'check' ? (s.seed === undefined ? 'check, seed not recorded' : `check --seed ${s.seed}`) : 'explore';
  return `${s.arch}/${s.policy} (${run}) broke ${s.invariant} at step ${s.step}`;
}

/** The steps a replay report shows: the whole trace if it held, else up to where it broke or stopped applying. */
export const shownTrace = (o: ReplayOutcome): TraceEvent[] => o.trace.slice(0, o.verdict === 'held' ? o.trace.length : o.steps);

/** The text report of a replay: the same counterexample layout as `check`, then how to run it again. */
export function renderReplayText(o: ReplayOutcome, x: Executor, options: TraceOptions = {}): string {
  const shown = shownTrace(o);
  const lines = [
    headline(o),
    `Replayed ${o.file}: ${o.steps} of ${o.trace.length} steps (${configText(o.config)})`,
    `Saved from: ${savedFrom(o.saved)}`,
    ...(o.note ? [`Note: ${o.note}`] : []),
    '',
    ...renderTrace(x, shown, o.violation, o.warnings, o.hung, options),
    ...(o.violation || options.fullState ? [''] : []),
    `Replay: ${replayAgain(o)}`,
  ];
  if (o.violation && !o.hung) {
    lines.push(
      '',
      'As a regression test (vitest):',
      ...regressionTest({
        arch: o.arch,
        policy: o.policy,
        config: o.config,
        invariant: o.violation.invariant,
        trace: o.trace.slice(0, o.steps),
        ...(o.policyFile ? { policyFile: o.policyFile } : {}),
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The JSON form of a replay (`reportVersion` as check and explore; `command: "replay"`). */
export function toReplayJsonReport(o: ReplayOutcome, x?: Executor, view?: TraceView): Record<string, unknown> {
  return {
    reportVersion: REPORT_VERSION,
    command: 'replay',
    file: o.file,
    policy: o.policy,
    arch: o.arch,
    config: o.config,
    verdict: o.verdict,
    invariant: o.violation?.invariant ?? null,
    invariants: o.invariants,
    steps: o.steps,
    savedFrom: { policy: o.saved.policy, invariant: o.saved.invariant, step: o.saved.step, seed: o.saved.seed ?? null },
    matchesSaved: o.verdict === 'violated' && o.note === undefined,
    note: o.note ?? null,
    violation: o.violation ?? null,
    trace: o.trace,
    ...(x ? { counterexample: counterexampleJson(x, o.trace.slice(0, o.steps), o.violation, o.warnings, o.hung, view) } : {}),
    warnings: o.warnings,
  };
}
