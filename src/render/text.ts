import type { CheckResult } from '../check.js';
import { type Coverage, renderCoverage } from '../coverage.js';
import type { Executor, Warning } from '../execute.js';
import type { ExploreResult } from '../explore.js';
import { hex } from '../hex.js';
import type { Violation } from '../invariant.js';
import type { ModelConfig } from '../model.js';
import { replay } from '../replay.js';
import type { TraceEvent } from '../trace.js';
import { diffWorlds } from './diff.js';
import { reproductionLines } from './reproduce.js';
import { alsoLines, counterexampleTable, knownLines } from './triage.js';

/** A saved event as one line: `GUEST_WRITE { vcpu: 0, reg: MDSCR_EL1, value: 0x8000 }`. */
export function formatEvent(e: TraceEvent): string {
  const ops = Object.entries(e)
    .filter(([k]) => k !== 'event')
    .map(([k, v]) => `${k}: ${typeof v === 'number' && (k === 'value' || k === 'addr') ? hex(v) : v}`);
  return ops.length ? `${e.event} { ${ops.join(', ')} }` : e.event;
}

/** How to re-run what produced a report: the policy as the user named it and the non-default flags. */
export interface ReplayFlags {
  readonly policyArg: string;
  readonly flags: readonly string[];
  /** The user's policy file the policy came from, if any. */
  readonly policyFile?: string;
  /** Where `--out` saved the trace, if it did. */
  readonly savedTo?: string;
}

/** The replay command and regression test closing a counterexample (none for a hook that never returned). */
const reproduction = (r: CheckResult | ExploreResult, how: ReplayFlags): string[] =>
  r.violation && !('hung' in r && r.hung)
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
 * A counterexample TLC-style: numbered states showing only what changed, the failing step marked,
 * then the finding. The trace is re-executed on `x` to compute the diffs; a hung last step is not.
 */
export function renderTrace(
  x: Executor,
  trace: readonly TraceEvent[],
  v: Violation | undefined,
  warnings: readonly Warning[],
  hung = false,
): string[] {
  const lines: string[] = [];
  const rep = replay(x, hung ? trace.slice(0, -1) : trace);
  lines.push('State 0: initial');
  trace.forEach((e, i) => {
    const failed = v !== undefined && i + 1 === v.step;
    lines.push(`State ${i + 1}: ${formatEvent(e)}${failed ? `   <== ${v.invariant} broke here (${v.at})` : ''}`);
    const before = rep.states[i];
    const after = rep.states[i + 1];
    if (before && after) for (const c of diffWorlds(x, before, after)) lines.push(`    ${c.name}: ${c.from} -> ${c.to}`);
    for (const w of warnings) if (w.step === i + 1) lines.push(`    WARN in ${w.hook}: ${w.message}`);
  });
  lines.push('');
  if (v) {
    lines.push(`${v.invariant}: ${v.message}`);
    if (v.register !== undefined && v.expected !== undefined && v.actual !== undefined) {
      const when = v.setAt === undefined ? '' : v.setAt === 0 ? ' (set at the initial state)' : ` (set at step ${v.setAt})`;
      lines.push(`  ${v.register}: expected ${hex(v.expected)}${when}, actual ${hex(v.actual)}`);
    }
    lines.push(...alsoLines(v));
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
      `  no violation in ${r.runs} random interleavings of at most ${r.maxSteps} steps (seed ${r.seed}; ${config})`,
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
  const lines = [
    `${name}: violated ${r.violation?.invariant ?? '?'}`,
    `Property failed after ${r.runs} tests`,
    `{ seed: ${r.seed}, path: "${r.path ?? ''}" }`,
    `Shrunk ${r.shrinks} time(s)`,
    `Counterexample: ${r.trace.length} steps (${config})`,
    ...knownLines(r.known),
    ...warningLines(r),
    '',
    ...renderTrace(x, r.trace, r.violation, r.warnings, r.hung),
    ...coverageLines(r.coverage),
    '',
    `Replay: ${replayCommand(r, how)}`,
    ...reproduction(r, how),
    '',
  ];
  return lines.join('\n');
}

/** The text report of an exploration: the guarantee it gives, or the shortest counterexample. */
export function renderExploreText(r: ExploreResult, x: Executor, how: ReplayFlags): string {
  const name = `${r.arch}/${r.policy}`;
  const scope = [
    `  domain: ${r.domain}; ${configText(r.config)}`,
    `  symmetry: ${r.symmetry.length ? r.symmetry.join('; ') : 'none'}`,
    `  invariants: ${r.invariants.join(', ')}`,
    `  ${r.states} distinct states, ${r.transitions} transitions`,
  ];
  const command = ['npx worldswitch explore', how.policyArg, `--depth ${r.depth}`, ...how.flags].join(' ');
  if (r.verdict === 'crashed') return [`${name}: the checker crashed (exit 3)`, `  ${r.error ?? 'unknown error'}`, ''].join('\n');
  if (r.verdict === 'held' || r.verdict === 'stopped') {
    const head =
      r.verdict === 'held'
        ? `${name}: held for every interleaving of at most ${r.depthCompleted} events (exhaustive, breadth-first)`
        : `${name}: stopped; held for every interleaving of at most ${r.depthCompleted} events (depth ${r.depth} not completed)`;
    return [head, ...scope, ...knownLines(r.known), ...coverageLines(r.coverage), ''].join('\n');
  }
  return [
    `${name}: violated ${r.violation?.invariant ?? '?'}`,
    `Shortest counterexample: ${r.trace.length} steps (breadth-first: none shorter exists in the explored domain)`,
    ...scope,
    ...knownLines(r.known),
    '',
    ...renderTrace(x, r.trace, r.violation, []),
    ...coverageLines(r.coverage),
    '',
    `Replay: ${command}`,
    ...reproduction(r, how),
    '',
  ].join('\n');
}

/** The verdict table `check` prints for several policies. */
export function renderTable(results: readonly CheckResult[]): string {
  const rows = [
    ['policy', 'verdict', 'invariant', 'steps', 'runs'],
    ...results.map((r) => [
      `${r.arch}/${r.policy}`,
      r.verdict,
      r.violation?.invariant ?? '-',
      r.verdict === 'violated' ? String(r.trace.length) : '-',
      String(r.runs),
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  return `${rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
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
