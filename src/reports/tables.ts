/** The tables and one-line summaries a multi-policy run prints, and the column layout every table shares. */
import type { CheckResult } from '../searches/check.js';
import type { ExploreResult } from '../searches/explore.js';

/** A count as every report prints it, on stdout and stderr alike: `196,685`. */
export const count = (n: number): string => Math.round(n).toLocaleString('en-US');

/** `n` steps, or `1 step`. */
export const steps = (n: number): string => (n === 1 ? '1 step' : `${count(n)} steps`);

/** The verdict table `check` prints last for several policies. */
export function renderTable(results: readonly CheckResult[]): string {
  return columns([
    ['policy', 'verdict', 'invariant', 'steps', 'runs'],
    ...results.map((r) => [
      `${r.arch}/${r.policy}`,
      r.verdict,
      r.violation?.invariant ?? '-',
      r.verdict === 'violated' ? String(r.trace.length) : '-',
      String(r.runs),
    ]),
  ]);
}

/** The verdict table `explore` prints last for several policies. */
export function renderExploreTable(results: readonly ExploreResult[]): string {
  return columns([
    ['policy', 'verdict', 'invariant', 'steps', 'depth', 'states'],
    ...results.map((r) => [
      `${r.arch}/${r.policy}`,
      r.verdict,
      r.violation?.invariant ?? '-',
      r.verdict === 'violated' ? String(r.trace.length) : '-',
      String(r.depthCompleted),
      count(r.states),
    ]),
  ]);
}

/**
 * One line per violated or crashed policy of a multi-policy run, with the command that prints its
 * full report: `arm64-nvhe/arm64-dirty-2015-v2: violated host-breakpoints-quiet-in-guest (7 steps): npx worldswitch check …`.
 */
export function renderFindingLine(r: CheckResult | ExploreResult, command: string): string {
  const what = r.verdict === 'violated' ? `violated ${r.violation?.invariant ?? '?'} (${steps(r.trace.length)})` : r.verdict;
  return `${r.arch}/${r.policy}: ${what}: ${command}`;
}

/**
 * What a multi-policy run prints: the verdict table last, where a terminal leaves it; before it
 * the full `reports` (`--verbose`), or else one line per finding with the command that prints its report.
 */
export function renderMultiPolicy(
  results: readonly { readonly line: string; readonly held: boolean }[],
  reports: readonly { readonly text: string }[] | undefined,
  table: string,
): string {
  if (reports) return [...reports.map((r) => r.text), table].join('\n');
  const lines = results.filter((r) => !r.held).map((r) => r.line);
  return lines.length ? `${lines.join('\n')}\n\n${table}` : table;
}

/** Rows as left-aligned columns two spaces apart. */
export function columns(rows: readonly (readonly string[])[]): string {
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
