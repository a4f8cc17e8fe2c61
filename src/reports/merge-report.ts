import type { Merged } from '../cli/merge-command.js';
import { CHECK_DEFAULTS } from '../searches/check.js';
import { columns, count, steps } from './tables.js';
import { formatEvent } from './text.js';

/** The verdict table of `merge`: a row per policy. */
export function renderMergeTable(merged: readonly Merged[]): string {
  const rows = [
    ['policy', 'verdict', 'invariant', 'steps', 'runs'],
    ...merged.map(({ report: r, runs }) => [
      `${r.arch}/${r.policy}`,
      r.verdict,
      r.violation?.invariant ?? '-',
      r.verdict === 'violated' ? String(r.trace.length) : '-',
      String(runs),
    ]),
  ];
  return columns(rows);
}

/** How a merged report names its policy on a command line: the file (with `#export` when it has several), or arch/name. */
export const policyArgOf = (r: {
  arch: string;
  policy: string;
  policyFile?: string | undefined;
  policyExport?: string | undefined;
}): string =>
  r.policyFile === undefined ? `${r.arch}/${r.policy}` : r.policyExport === undefined ? r.policyFile : `${r.policyFile}#${r.policyExport}`;

/** The command that reproduces a merged counterexample in one process: its seed and fast-check path jump straight to it. */
export function mergedReplay(m: Merged): string {
  const r = m.report;
  const config = Object.entries(r.config).map(([k, v]) => `--${k} ${v}`);
  return [
    'npx worldswitch check',
    policyArgOf(r),
    `--seed ${r.seed}`,
    ...(r.path ? [`--path ${r.path}`] : []),
    ...(r.maxSteps !== CHECK_DEFAULTS.maxSteps ? [`--max-steps ${r.maxSteps}`] : []),
    ...config,
  ].join(' ');
}

/** One policy's merged verdict in text: the shortest counterexample's events and finding, and how to reproduce it. */
export function renderMergedText(m: Merged): string {
  const r = m.report;
  const name = `${r.arch}/${r.policy}`;
  if (r.verdict === 'held' || r.verdict === 'held-so-far') {
    return `${name}: ${r.verdict} in ${count(m.runs)} random interleavings of at most ${r.maxSteps} steps (seed ${r.seed})\n`;
  }
  if (r.verdict === 'crashed') return `${name}: the checker crashed (exit 3)\n  ${r.error ?? 'unknown error'}\n`;
  const v = r.violation;
  const lines = [
    `${name}: violated ${v?.invariant ?? '?'} at step ${v?.step ?? '?'}${m.foundIn ? ` (found by shard ${m.foundIn.shard}, runs ${m.foundIn.from}-${m.foundIn.to - 1})` : ''}`,
    `Shortest counterexample of the merged reports: ${steps(r.trace.length)}`,
    ...r.trace.map(
      (e, i) =>
        `  ${i + 1}. ${formatEvent(e as Parameters<typeof formatEvent>[0])}${v && i + 1 === v.step ? `   <== ${v.invariant} broke here (${v.at})` : ''}`,
    ),
    ...(v ? [`${v.invariant}: ${v.message}`] : []),
    ...(m.alsoBroken.length > 0
      ? [
          `Other shards also broke: ${m.alsoBroken.map((a) => `${a.invariant} (${steps(a.steps)}${a.shard ? `, shard ${a.shard}` : ''})`).join(', ')}`,
        ]
      : []),
    `Replay: ${mergedReplay(m)}`,
  ];
  return `${lines.join('\n')}\n`;
}
