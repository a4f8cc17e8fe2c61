import type { ReplayOutcome } from './replay-report.js';

/** What each replay verdict means in a regression corpus, for the summary's last line. */
const MEANING: Record<ReplayOutcome['verdict'], string> = {
  held: 'held (fixed)',
  violated: 'still violated',
  diverged: 'diverged (no longer apply)',
};

/** The summary table of a corpus replay: a row per trace file, then the counts. */
export function renderReplaySummary(outcomes: readonly ReplayOutcome[]): string {
  const rows = [
    ['trace', 'policy', 'verdict', 'invariant', 'steps'],
    ...outcomes.map((o) => [o.file, `${o.arch}/${o.policy}`, o.verdict, o.violation?.invariant ?? '-', `${o.steps}/${o.trace.length}`]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  const table = rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  const counts = (['held', 'violated', 'diverged'] as const).map((v) => `${outcomes.filter((o) => o.verdict === v).length} ${MEANING[v]}`);
  return `${table.join('\n')}\n${outcomes.length} trace${outcomes.length === 1 ? '' : 's'}: ${counts.join(', ')}\n`;
}
