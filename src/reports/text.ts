import type { Executor, Warning } from '../engine/execute.js';
import type { Violation } from '../engine/invariant.js';
import type { ModelConfig } from '../engine/model.js';
import { fieldsOf, hexWithFields } from '../engine/register-fields.js';
import type { TraceEvent } from '../engine/trace.js';
import type { CheckResult } from '../searches/check.js';
import { type Coverage, renderCoverage } from '../searches/coverage.js';
import type { ExploreResult } from '../searches/explore.js';
import { renderFullState } from './full-state.js';
import { renderAccesses } from './inside-hook.js';
import { reproductionLines } from './reproduce.js';
import { count, steps } from './tables.js';
import { eventText, type TraceView, viewTrace } from './trace-view.js';
import { alsoLines, counterexampleTable, knownLines } from './triage.js';

/** A saved event as one line: `GUEST_WRITE { vcpu: 0, reg: MDSCR_EL1, value: 0x8000 }` (with `x`, the value decoded). */
export function formatEvent(e: TraceEvent, x?: Executor): string {
  return eventText(x, e);
}

/** What a text report shows beyond the counterexample itself. */
export interface TraceOptions {
  /** `--full-state`: the complete debug state at the failing point. */
  readonly fullState?: boolean;
  /** The trace already re-executed and described (`viewTraceInSlices`): not done again. */
  readonly view?: TraceView;
}

/** How to re-run what produced a report: the policy as the user named it and the non-default flags. */
export interface ReplayFlags {
  readonly policyArg: string;
  readonly flags: readonly string[];
  /** The user's policy file the policy came from, if any. */
  readonly policyFile?: string;
  /** Where `--out` saved the trace, if it did. */
  readonly savedTo?: string;
  /** `--full-state`. */
  readonly fullState?: boolean;
}

/** The replay command and regression test closing a counterexample (none for a hook that never returned). */
const reproduction = (r: CheckResult | ExploreResult, how: ReplayFlags): string[] =>
  r.violation && !r.hung && !r.nondeterministic
    ? [
        '',
        ...reproductionLines({
          arch: r.arch,
          policy: r.policy,
          config: r.config,
          invariant: r.violation.invariant,
          trace: r.trace,
          ...(how.policyFile ? { policyFile: how.policyFile } : {}),
          ...(how.savedTo ? { savedTo: how.savedTo } : {}),
        }),
      ]
    : [];

/**
 * The command that re-runs a check and prints this very report: the seed reproduces the whole run.
 * (`--path` from the header jumps straight to the counterexample, with fast-check's replay counts.)
 */
export function replayCommand(r: CheckResult, how: ReplayFlags): string {
  return ['npx worldswitch check', how.policyArg, `--seed ${r.seed}`, ...how.flags].join(' ');
}

/** A model configuration as the report prints it: `cpus=2 vcpus=1 brps=6 wrps=4`. */
export const configText = (config: ModelConfig): string =>
  Object.entries(config)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

/**
 * A counterexample TLC-style: the events' kernel names, numbered states showing only what changed
 * (values decoded with the model's fields), the failing step marked and its hooks' hardware
 * accesses listed, then the finding; with `fullState`, the whole debug state at the failing
 * point. The trace is re-executed on `x`; a hung last step is not.
 */
export function renderTrace(
  x: Executor,
  trace: readonly TraceEvent[],
  v: Violation | undefined,
  warnings: readonly Warning[],
  hung = false,
  options: TraceOptions = {},
): string[] {
  const view = options.view ?? viewTrace(x, trace, v, warnings, hung);
  const lines: string[] = [];
  if (view.kernel.length) {
    const width = Math.max(...view.kernel.map(([e]) => e.length));
    lines.push('Events, as the kernel knows them:', ...view.kernel.map(([e, k]) => `  ${e.padEnd(width)}  ${k}`), '');
  }
  lines.push('State 0: initial');
  for (const s of view.steps) {
    lines.push(`State ${s.step}: ${s.text}${s.failed && v ? `   <== ${v.invariant} broke here (${v.at})` : ''}`);
    for (const c of s.changes) lines.push(`    ${c.name}: ${c.from} -> ${c.to}`);
    for (const w of s.warnings) lines.push(`    WARN in ${w.hook}: ${w.message}`);
  }
  lines.push('');
  if (v && !hung) lines.push(...renderAccesses(v.step, view.accesses, v), '');
  if (v) {
    lines.push(`${v.invariant}: ${v.message}`);
    if (v.register !== undefined && v.expected !== undefined && v.actual !== undefined) {
      const when = v.setAt === undefined ? '' : v.setAt === 0 ? ' since the initial state' : ` since step ${v.setAt}`;
      const f = fieldsOf(x.model.fields, v.register);
      lines.push(`  ${v.register}: expected ${hexWithFields(f, v.expected)}${when}, actual ${hexWithFields(f, v.actual)}`);
    }
    for (const g of view.gates) lines.push(`  ${g}`);
    lines.push(...alsoLines(v));
  }
  if (view.rerun) lines.push(`note: ${view.rerun}`);
  if (options.fullState) {
    const where = v ? `at the failing point (step ${v.step}, ${v.at})` : `after step ${trace.length}`;
    lines.push('', ...renderFullState(view.state, where));
  }
  return lines;
}

/** How many WARN()s the policy reached over the whole check (none: no line). */
const warningLines = (r: CheckResult): string[] => (r.stats.warnings > 0 ? [`  WARN() reached ${r.stats.warnings} time(s)`] : []);

const coverageLines = (c: Coverage | undefined): string[] => (c ? ['', renderCoverage(c).trimEnd()] : []);

/**
 * The text report of one check: a fast-check-style header, the counterexample, and the replay
 * command; or the verdict and what it covers. Deterministic for a seed.
 */
export function renderText(r: CheckResult, x: Executor, how: ReplayFlags): string {
  const name = `${r.arch}/${r.policy}`;
  const config = configText(r.config);
  if (r.verdict === 'held') {
    return [
      `${name}: held`,
      `  no violation in ${count(r.runs)} random interleavings of at most ${r.maxSteps} steps (seed ${r.seed}; ${config})`,
      `  invariants: ${r.invariants.join(', ')}`,
      ...knownLines(r.known),
      ...warningLines(r),
      ...coverageLines(r.coverage),
      '',
    ].join('\n');
  }
  if (r.verdict === 'crashed') {
    return [`${name}: the checker crashed (exit 3)`, `  ${r.error ?? 'unknown error'}`, `  seed ${r.seed}; ${config}`, ''].join('\n');
  }
  if (r.verdict === 'held-so-far') {
    return [
      `${name}: held so far (${stopText(r.stoppedBy)})`,
      `  no violation in the ${count(r.runs)} random interleavings done of ${r.maxSteps} steps at most (seed ${r.seed}; ${config}); the search did not finish`,
      `  invariants: ${r.invariants.join(', ')}`,
      '',
    ].join('\n');
  }
  const lines = [
    `${name}: violated ${r.violation?.invariant ?? '?'}`,
    `Property failed after ${r.runs} tests`,
    `{ seed: ${r.seed} }`,
    `Shrunk ${r.shrinks} time(s)`,
    `Counterexample: ${steps(r.trace.length)} (${config})`,
    ...knownLines(r.known),
    ...warningLines(r),
    '',
    ...renderTrace(x, r.trace, r.violation, r.warnings, r.hung, how),
    ...coverageLines(r.coverage),
    '',
    `Replay: ${replayCommand(r, how)}`,
    ...reproduction(r, how),
    '',
  ];
  return lines.join('\n');
}

/** An explore domain without the clauses of model options that are off (`with --gdb, …` when gdb=0). */
export const domainText = (domain: string, config: ModelConfig): string =>
  domain
    .split('; ')
    .filter((part) => {
      const option = /^with --([\w-]+),/.exec(part)?.[1];
      return option === undefined || (config[option] ?? 0) !== 0;
    })
    .join('; ');

/** The text report of an exploration: the guarantee it gives, or the shortest counterexample. */
export function renderExploreText(r: ExploreResult, x: Executor, how: ReplayFlags): string {
  const name = `${r.arch}/${r.policy}`;
  const scope = [
    `  domain: ${domainText(r.domain, r.config)}; ${configText(r.config)}`,
    `  symmetry: ${r.symmetry.length ? r.symmetry.join('; ') : 'none'}`,
    `  invariants: ${r.invariants.join(', ')}`,
    `  ${count(r.states)} distinct states, ${count(r.transitions)} transitions${r.pruned !== undefined ? ` (partial-order reduction saved ${count(r.pruned)})` : ''}`,
  ];
  const command = ['npx worldswitch explore', how.policyArg, `--depth ${r.depth}`, ...how.flags].join(' ');
  if (r.verdict === 'crashed') return [`${name}: the checker crashed (exit 3)`, `  ${r.error ?? 'unknown error'}`, ''].join('\n');
  if (r.verdict === 'held' || r.verdict === 'held-so-far') {
    const head =
      r.verdict === 'held' && r.split && r.split.owned < r.split.width
        ? // One shard's part is no exhaustive search: the merge of every shard is (its line follows the report).
          // A shard that expanded every state of the split level (--shard 1/1) searched everything.
          `${name}: held in this shard's part: the interleavings of at most ${r.depthCompleted} events through its states (not exhaustive alone)`
        : r.verdict === 'held'
          ? `${name}: held for every interleaving of at most ${r.depthCompleted} events (exhaustive, breadth-first)`
          : `${name}: held so far (${stopText(r.stoppedBy)}): held for every interleaving of at most ${r.depthCompleted} events (depth ${r.depth} not completed)`;
    return [head, ...scope, ...knownLines(r.known), ...coverageLines(r.coverage), ''].join('\n');
  }
  return [
    `${name}: violated ${r.violation?.invariant ?? '?'}`,
    r.hung
      ? `Counterexample: ${steps(r.trace.length)}, the last one's hook never returned (the breadth-first path to it)`
      : `Shortest counterexample: ${steps(r.trace.length)} (breadth-first: none shorter exists in the explored domain)`,
    ...scope,
    ...knownLines(r.known),
    '',
    ...renderTrace(x, r.trace, r.violation, [], r.hung, how),
    ...coverageLines(r.coverage),
    '',
    `Replay: ${command}`,
    ...reproduction(r, how),
    '',
  ].join('\n');
}

/** What stopped a run early, in words. */
export function stopText(stoppedBy: string | undefined): string {
  switch (stoppedBy) {
    case 'SIGINT':
    case 'SIGTERM':
      return `stopped by ${stoppedBy}`;
    case 'time-limit':
      return 'stopped at --time-limit';
    case 'max-states':
      return 'stopped at --max-states';
    case 'max-memory':
      return 'stopped at --max-memory';
    case 'out-of-memory':
      return 'stopped: out of memory';
    default:
      return 'stopped';
  }
}

/**
 * The text of a `--continue` run: a summary line and table of every counterexample (shortest
 * first), then each one's full report, as `renderOne` renders a result holding that one.
 */
export function renderContinued<R extends CheckResult | ExploreResult>(r: R, renderOne: (one: R) => string): string {
  const all = r.counterexamples ?? [];
  if (r.verdict !== 'violated' || all.length === 0) return renderOne(r);
  const name = `${r.arch}/${r.policy}`;
  const invariants = [...new Set(all.map((c) => c.invariant))];
  const lines = [
    `${name}: violated ${invariants.length} invariant${invariants.length > 1 ? 's' : ''} (--continue)${all.length > invariants.length ? `, at ${all.length} points` : ''}: ${invariants.join(', ')}`,
    ...counterexampleTable(all).map((l) => `  ${l}`),
    ...knownLines(r.known),
    '',
  ];
  all.forEach((c, i) => {
    const one = { ...r, violation: c.violation, trace: c.trace, warnings: c.warnings, known: undefined, counterexamples: undefined };
    if ('shrinks' in one) Object.assign(one, { shrinks: c.shrinks ?? 0, path: c.path, runs: c.runs ?? one.runs });
    lines.push(`[${i + 1}/${all.length}] ${c.invariant}`, renderOne(one as R));
  });
  return lines.join('\n');
}
