import { UsageError } from '../persistence/usage-error.js';
import { REPORT_VERSION } from '../reports/json.js';
import { type ReplayOutcome, renderReplayText, toReplayJsonReport } from '../reports/replay-report.js';
import { renderReplaySummary } from '../reports/replay-summary.js';
import type { Catalog } from './catalog.js';
import { annotate, type CiVerdict, writeJunit } from './ci-output.js';
import { filesIn, isDirectory } from './files-in.js';
import type { Io } from './io.js';
import { type ReplayCommandFlags, replayExitCode, replayFile, replayVerdict, stoppedReplays } from './replay-command.js';

/** The trace files `replay` arguments name: files as given, directories expanded to every `*.json` inside. */
export const traceFilesOf = (args: readonly string[]): string[] =>
  args.flatMap((a) => (isDirectory(a) ? filesIn(a, /\.json$/i, 'trace files (*.json)') : [a]));

/**
 * `worldswitch replay DIR|files…`: a regression corpus. Every trace is re-executed against its
 * saved policy (or `--policy`); the summary table says which still violate, which hold (the bug is
 * fixed) and which no longer apply (`diverged`: the policy or the model changed, so the trace
 * proves nothing any more). Exit 1 if any still violates, else 5 if any diverged, else 0.
 */
export async function replayCorpus(args: readonly string[], flags: ReplayCommandFlags, io: Io, catalog: Catalog): Promise<number> {
  if (flags.html) throw new UsageError('--html draws one trace: name one trace file, not several or a directory.');
  const files = traceFilesOf(args);
  const done: { outcome: ReplayOutcome; verdict: CiVerdict; json?: Record<string, unknown> }[] = [];
  for (const file of files) {
    const started = performance.now();
    const r = await replayFile(file, flags, catalog, false, io);
    if (r === undefined) break; // a signal: the summary of the traces replayed so far
    const verdict = replayVerdict(r, renderReplayText(r.outcome, r.x, { view: r.view }), (performance.now() - started) / 1000);
    // Each trace's JSON now, from its view: a long held trace's described steps need not be kept.
    done.push({ outcome: r.outcome, verdict, ...(flags.json ? { json: toReplayJsonReport(r.outcome, r.x, r.view) } : {}) });
    if (io.signalled?.()) break;
  }
  const outcomes = done.map((d) => d.outcome);
  const verdicts = done.map((d) => d.verdict);
  if (flags.junit) writeJunit(flags.junit, 'replay', verdicts);
  annotate(io, verdicts);
  if (flags.json) {
    const count = (v: string): number => outcomes.filter((o) => o.verdict === v).length;
    const json = {
      reportVersion: REPORT_VERSION,
      command: 'replay',
      summary: { traces: outcomes.length, held: count('held'), violated: count('violated'), diverged: count('diverged') },
      results: done.map((d) => d.json),
    };
    io.out(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    io.out(renderReplaySummary(outcomes));
    for (const d of done) if (d.outcome.verdict !== 'held') io.out(`\n${d.verdict.text}`);
  }
  if (io.signalled?.()) return stoppedReplays(io, done.length, files.length);
  return replayExitCode(outcomes.map((o) => o.verdict));
}
