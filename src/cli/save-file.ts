import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, rmdirSync, statSync, writeSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import type { Executor } from '../engine/execute.js';
import { toTraceFile } from '../persistence/trace-file.js';
import { UsageError } from '../persistence/usage-error.js';
import { type HtmlTrace, renderHtml } from '../reports/html.js';
import { regressionTest } from '../reports/reproduce.js';
import type { CheckResult } from '../searches/check.js';
import type { ExploreResult } from '../searches/explore.js';
import type { Io } from './io.js';
import type { Selected } from './selection.js';

/**
 * Destinations that are pipes (a FIFO, `/dev/stdout` on a pipe, `>(cat)`), opened by
 * `checkDestinations` before the run and held open until written (or `releaseDestinations`): their
 * reader then waits for the report instead of reading an end of file when the check's descriptor closes.
 */
const held = new Map<string, number>();

/** Whether `file` is a FIFO (false when it cannot be looked at). */
function isFifo(file: string): boolean {
  try {
    return statSync(file).isFIFO();
  } catch {
    return false;
  }
}

/** Why `file` cannot be written, from an error of opening or writing it. */
function reason(file: string, e: unknown): string {
  const code = (e as { code?: unknown } | undefined)?.code;
  if (code === 'ENXIO' && isFifo(file))
    return `${file} is a FIFO (named pipe) that no process reads: writing to it would wait forever; start its reader first`;
  return `Cannot write ${file}: ${(e as Error).message}`;
}

/**
 * Opens `file` for writing without waiting for a reader: a FIFO that no process reads is ENXIO at
 * once (a plain open would block until one comes, for ever if none does).
 */
function openNow(file: string): number {
  return openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NONBLOCK, 0o666);
}

/** A word to wait on: `Atomics.wait` is how synchronous code sleeps. */
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes all of `text` to `fd`, opened non-blocking: a full pipe (EAGAIN) waits 5 ms for its reader
 * and goes on, as a blocking write would; a reader that went away is EPIPE, an error.
 */
function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text);
  for (let done = 0; done < bytes.length; ) {
    try {
      done += writeSync(fd, bytes, done);
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'EAGAIN') throw e;
      Atomics.wait(pause, 0, 0, 5);
    }
  }
}

/**
 * Writes `text` to `file` (`--out`, `--html`, `--junit`, `--out-dir`); a file that cannot be written
 * is a usage error (exit 2). Opened without waiting for a reader (a FIFO that no process reads is
 * refused, not waited on), through the descriptor `checkDestinations` held open when it did.
 */
export function saveFile(file: string, text: string): void {
  let fd: number | undefined = held.get(file);
  held.delete(file);
  try {
    fd ??= openNow(file);
    writeAll(fd, text);
  } catch (e) {
    throw new UsageError(reason(file, e));
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Closes the pipes `checkDestinations` held open and nothing wrote (a run that ended without its report). */
export function releaseDestinations(): void {
  for (const fd of held.values()) closeSync(fd);
  held.clear();
}

/** Writes the HTML view of a trace (`--html F`). */
export function writeHtmlReport(file: string, x: Executor, page: HtmlTrace): void {
  saveFile(file, renderHtml(x, page));
}

/**
 * Validates where `--out`, `--html` and `--junit` will write, before the run (a run of minutes must
 * not end with its report thrown away): not empty, not the same file, in an existing writable
 * directory, not a directory themselves, and not a FIFO that no process reads (the write would
 * wait forever; a pipe that has a reader is held open until the report is written); and that
 * `--out-dir` can be written to or created.
 */
export function checkDestinations(flags: { out?: string; html?: string; junit?: string; outDir?: string }): void {
  const named: [string, string][] = [];
  for (const [flag, file] of [
    ['--out', flags.out],
    ['--html', flags.html],
    ['--junit', flags.junit],
  ] as const) {
    if (file === undefined) continue;
    if (file === '') throw new UsageError(`${flag} takes a file name, got "".`);
    const same = named.find(([, f]) => resolve(f) === resolve(file));
    if (same) throw new UsageError(`${same[0]} and ${flag} name the same file ${file}.`);
    named.push([flag, file]);
    const dir = dirname(resolve(file));
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      throw new UsageError(`Cannot write ${file}: directory ${dirname(file)} does not exist.`);
    if (existsSync(file) && statSync(file).isDirectory()) throw new UsageError(`Cannot write ${file}: it is a directory.`);
    try {
      accessSync(existsSync(file) ? file : dir, constants.W_OK);
    } catch {
      throw new UsageError(`Cannot write ${file}: permission denied.`);
    }
    if (isFifo(file) && !held.has(file)) {
      try {
        held.set(file, openNow(file));
      } catch (e) {
        throw new UsageError(reason(file, e));
      }
    }
  }
  if (flags.outDir !== undefined) checkOutDir(flags.outDir);
}

/**
 * Creates `dir` and its missing parents one at a time, outermost first (Node 20's recursive
 * mkdirSync never returns under /proc; this fails there with ENOENT); returns those created.
 */
export function makeDirs(dir: string): string[] {
  const missing: string[] = [];
  for (let d = resolve(dir); !existsSync(d); d = dirname(d)) missing.unshift(d);
  for (const d of missing) mkdirSync(d);
  return missing;
}

/**
 * `--out-dir DIR` before the run: DIR a directory if it exists, else creatable (its nearest
 * existing ancestor a writable directory, and creating it works: it is made and removed again).
 */
function checkOutDir(dir: string): void {
  if (dir === '') throw new UsageError('--out-dir takes a directory name, got "".');
  const full = resolve(dir);
  let near = full;
  while (!existsSync(near)) near = dirname(near);
  if (!statSync(near).isDirectory())
    throw new UsageError(
      near === full ? `--out-dir ${dir} is not a directory.` : `Cannot create --out-dir ${dir}: ${near} is not a directory.`,
    );
  try {
    accessSync(near, constants.W_OK);
  } catch {
    throw new UsageError(`Cannot ${near === full ? 'write to' : 'create'} --out-dir ${dir}: ${near} is not writable.`);
  }
  if (near === full) return;
  try {
    for (const d of makeDirs(full).reverse()) rmdirSync(d);
  } catch (e) {
    throw new UsageError(`Cannot create --out-dir ${dir}: ${(e as Error).message}`);
  }
}

/**
 * The `policyFile` a trace saved at `out` records: the policy file relative to the trace file's
 * directory (so the trace replays from any directory), with `#export` when one was named.
 */
export function policyFileFor(out: string, file: string, exportName?: string): string {
  const rel = relative(dirname(resolve(out)), resolve(file))
    .split(sep)
    .join('/');
  const path = rel.startsWith('.') || rel.startsWith('/') ? rel : `./${rel}`;
  return exportName ? `${path}#${exportName}` : path;
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
export function saveTrace(
  out: string,
  r: CheckResult | ExploreResult,
  file: string | undefined,
  io: Io,
  exportName?: string,
): string | undefined {
  const saved =
    r.hung || r.nondeterministic ? undefined : toTraceFile(r, file === undefined ? undefined : policyFileFor(out, file, exportName));
  if (saved === undefined) {
    io.err(
      `${r.arch}/${r.policy}: ${
        r.nondeterministic
          ? 'the counterexample does not reproduce (the policy is nondeterministic), so the trace cannot be replayed'
          : r.verdict === 'violated'
            ? 'the last hook never returns, so the trace cannot be replayed'
            : 'no counterexample'
      }; ${out} not written\n`,
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
  source: { file: string | undefined; exportName?: string; run: string; command: string },
): string | undefined {
  if (flags.html && (r.violation === undefined || r.trace.length === 0)) {
    io.err(`${r.arch}/${r.policy}: ${r.verdict}, no counterexample to draw; ${flags.html} not written\n`);
  } else if (flags.html && r.violation) {
    writeHtmlReport(flags.html, x, {
      title: `${r.arch}/${r.policy}: ${r.verdict} ${r.violation.invariant} (${source.run})`,
      trace: r.trace,
      violation: r.violation,
      warnings: 'warnings' in r ? r.warnings : [],
      ...(r.hung ? { hung: true } : {}),
      reproduce: {
        command: source.command,
        test: regressionTest({
          arch: r.arch,
          policy: r.policy,
          config: r.config,
          invariant: r.violation.invariant,
          trace: r.trace,
          ...(source.file ? { policyFile: source.exportName ? `${source.file}#${source.exportName}` : source.file } : {}),
        }),
      },
    });
  }
  return flags.out ? saveTrace(flags.out, r, source.file, io, source.exportName) : undefined;
}
