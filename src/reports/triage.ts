/** The text of a multi-bug search: the summary table of counterexamples, the "also broke" and "known" lists. */
import type { Violation } from '../engine/invariant.js';
import type { Counterexample, KnownHit } from '../searches/triage.js';
import { observationPoint } from '../searches/triage.js';
import { steps } from './tables.js';

/** Aligns rows of cells into columns (two spaces apart, trailing space trimmed). */
function columns(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

/** The summary table of `--continue`: one row per counterexample, shortest first. */
export function counterexampleTable(all: readonly Counterexample[]): string[] {
  return columns([
    ['#', 'invariant', 'steps', 'breaks during', 'observation point', 'register', 'note'],
    ...all.map((c, i) => [
      String(i + 1),
      c.invariant,
      String(c.trace.length),
      String(c.trace[c.violation.step - 1]?.event ?? '?'),
      observationPoint(c.violation.at),
      c.violation.register ?? '-',
      c.violation.invariant === c.invariant ? '' : `same point as ${c.violation.invariant} (checked first)`,
    ]),
  ]);
}

/** The invariants that broke at the same observation point as the one reported, after it in the checking order. */
export function alsoLines(v: Violation): string[] {
  return (v.also ?? []).map((a) => `  also broke here: ${a.invariant}: ${a.message}`);
}

/** The counterexamples recognised as known failures (`--assume-fixed`). */
export function knownLines(known: readonly KnownHit[] | undefined): string[] {
  if (!known?.length) return [];
  return [
    `  known (--assume-fixed), not counted: ${known.length}`,
    ...known.map(
      (k) => `    ${k.invariant} during ${k.event}, ${k.at}${k.register ? `, ${k.register}` : ''} (${steps(k.steps)}; as in ${k.source})`,
    ),
  ];
}
