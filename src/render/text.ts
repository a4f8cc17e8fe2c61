import type { CheckResult } from '../check.js';
import type { Executor } from '../execute.js';
import { hex } from '../hex.js';
import { replay } from '../replay.js';
import type { TraceEvent } from '../trace.js';
import { diffWorlds } from './diff.js';

/** A saved event as one line: `GUEST_WRITE { vcpu: 0, reg: MDSCR_EL1, value: 0x8000 }`. */
export function formatEvent(e: TraceEvent): string {
  const ops = Object.entries(e)
    .filter(([k]) => k !== 'event')
    .map(([k, v]) => `${k}: ${typeof v === 'number' && (k === 'value' || k === 'addr') ? hex(v) : v}`);
  return ops.length ? `${e.event} { ${ops.join(', ')} }` : e.event;
}

/** Options that differ from the defaults, as CLI flags, so a printed command reproduces the run. */
export interface ReplayFlags {
  readonly policyArg: string;
  readonly flags: readonly string[];
}

/** The command that re-runs a check and lands on the same counterexample. */
export function replayCommand(r: CheckResult, how: ReplayFlags): string {
  const parts = ['npx worldswitch check', how.policyArg, `--seed ${r.seed}`, ...how.flags];
  if (r.path !== undefined) parts.push(`--path "${r.path}"`);
  return parts.join(' ');
}

/**
 * The text report of one check, TLC-style: a fast-check header, then numbered states showing only
 * what changed, the failing step marked, the finding, and the replay command. Deterministic.
 */
export function renderText(r: CheckResult, x: Executor, how: ReplayFlags): string {
  const name = `${r.arch}/${r.policy}`;
  const config = Object.entries(r.config)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  if (r.verdict === 'held') {
    return [
      `${name}: held`,
      `  no violation in ${r.runs} random interleavings of at most ${r.maxSteps} steps (seed ${r.seed}; ${config})`,
      `  invariants: ${r.invariants.join(', ')}`,
      '',
    ].join('\n');
  }
  if (r.verdict === 'crashed') {
    return [`${name}: the checker crashed (exit 3)`, `  ${r.error ?? 'unknown error'}`, `  seed ${r.seed}; ${config}`, ''].join('\n');
  }
  const v = r.violation;
  const lines = [
    `${name}: violated ${v?.invariant ?? '?'}`,
    `Property failed after ${r.runs} tests`,
    `{ seed: ${r.seed}, path: "${r.path ?? ''}" }`,
    `Shrunk ${r.shrinks} time(s)`,
    `Counterexample: ${r.trace.length} steps (${config})`,
    '',
  ];
  // A hung hook is not re-run: the states shown stop before the step that never returned.
  const rep = replay(x, r.hung ? r.trace.slice(0, -1) : r.trace);
  lines.push('State 0: initial');
  r.trace.forEach((e, i) => {
    const failed = v !== undefined && i + 1 === v.step;
    lines.push(`State ${i + 1}: ${formatEvent(e)}${failed ? `   <== ${v.invariant} broke here (${v.at})` : ''}`);
    const before = rep.states[i];
    const after = rep.states[i + 1];
    if (before && after) for (const c of diffWorlds(x, before, after)) lines.push(`    ${c.name}: ${c.from} -> ${c.to}`);
    for (const w of r.warnings) if (w.step === i + 1) lines.push(`    WARN in ${w.hook}: ${w.message}`);
  });
  lines.push('');
  if (v) {
    lines.push(`${v.invariant}: ${v.message}`);
    if (v.register !== undefined && v.expected !== undefined && v.actual !== undefined) {
      const when = v.setAt === 0 ? 'the initial state' : `step ${v.setAt}`;
      lines.push(`  ${v.register}: expected ${hex(v.expected)} (set at ${when}), actual ${hex(v.actual)}`);
    }
  }
  lines.push('', `Replay: ${replayCommand(r, how)}`, '');
  return lines.join('\n');
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
