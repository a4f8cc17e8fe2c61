import { writeFileSync } from 'node:fs';
import type { CheckResult } from '../check.js';
import type { Executor } from '../execute.js';
import type { ExploreResult } from '../explore.js';
import { type HtmlTrace, renderHtml } from '../render/html.js';
import { regressionTest } from '../render/reproduce.js';
import { toTraceFile } from '../trace-file.js';
import { UsageError } from '../usage-error.js';
import type { Io } from './io.js';
import type { Selected } from './selection.js';

/** Writes `text` to `file` (`--out`, `--html`); a file that cannot be written is a usage error (exit 2). */
export function saveFile(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (e) {
    throw new UsageError(`Cannot write ${file}: ${(e as Error).message}`);
  }
}

/** Writes the HTML view of a trace (`--html F`). */
export function writeHtmlReport(file: string, x: Executor, page: HtmlTrace): void {
  saveFile(file, renderHtml(x, page));
}

/** `--out` and `--html` save one counterexample: they need exactly one policy. */
export function checkSavesOne(selected: readonly Selected[], flags: { out?: string; html?: string }): void {
  if ((flags.out || flags.html) && selected.length !== 1) {
    throw new UsageError(`--out and --html save one counterexample, but ${selected.length} policies are selected: name one policy.`);
  }
}

/**
 * Saves a counterexample as a trace file (`--out`) and returns where; says on stderr why nothing
 * was saved when there is no counterexample, or its last hook never returned (replay would hang too).
 */
export function saveTrace(out: string, r: CheckResult | ExploreResult, file: string | undefined, io: Io): string | undefined {
  const saved = 'hung' in r && r.hung ? undefined : toTraceFile(r, file);
  if (saved === undefined) {
    io.err(
      `${r.arch}/${r.policy}: ${r.verdict === 'violated' ? 'the last hook never returns, so the trace cannot be replayed' : 'no counterexample'}; ${out} not written\n`,
    );
    return undefined;
  }
  saveFile(out, `${JSON.stringify(saved, null, 2)}\n`);
  return out;
}

/**
 * Writes what `--html` and `--out` ask for from one result; returns where the trace was saved, if
 * it was. A result without a counterexample writes no page, and says so on stderr.
 */
export function saveOutputs(
  flags: { out?: string; html?: string },
  r: CheckResult | ExploreResult,
  x: Executor,
  io: Io,
  source: { file: string | undefined; run: string; command: string },
): string | undefined {
  if (flags.html && (r.violation === undefined || r.trace.length === 0)) {
    io.err(`${r.arch}/${r.policy}: ${r.verdict}, no counterexample to draw; ${flags.html} not written\n`);
  } else if (flags.html && r.violation) {
    writeHtmlReport(flags.html, x, {
      title: `${r.arch}/${r.policy}: ${r.verdict} ${r.violation.invariant} (${source.run})`,
      trace: r.trace,
      violation: r.violation,
      warnings: 'warnings' in r ? r.warnings : [],
      ...('hung' in r && r.hung ? { hung: true } : {}),
      reproduce: {
        command: source.command,
        test: regressionTest({
          arch: r.arch,
          policy: r.policy,
          config: r.config,
          invariant: r.violation.invariant,
          trace: r.trace,
          ...(source.file ? { policyFile: source.file } : {}),
        }),
      },
    });
  }
  return flags.out ? saveTrace(flags.out, r, source.file, io) : undefined;
}
