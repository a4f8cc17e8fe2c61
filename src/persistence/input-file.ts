import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readlinkSync, type Stats, statSync } from 'node:fs';
import { UsageError } from './usage-error.js';

/** Why `file` cannot be stat'ed, in words: it does not exist, is a link to nothing, or the system's reason. */
function statProblem(file: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  let link: string | undefined;
  try {
    link = lstatSync(file).isSymbolicLink() ? readlinkSync(file) : undefined;
  } catch {}
  if (link !== undefined && (code === 'ENOENT' || code === 'ELOOP'))
    return `is a symbolic link to ${link}, which ${code === 'ELOOP' ? 'loops' : 'does not exist'}`;
  if (code === 'ENOENT') return 'does not exist';
  return `cannot be read (${code ?? (e as Error).message})`;
}

/**
 * Refuses, before anything opens it, a path that is not a regular file: a FIFO or a device would
 * block the read (a blocked read ignores SIGTERM) or never end it. `what` names the file in the
 * one-line message (`Trace file`, `Policy file`, `Report`); `maxBytes` bounds its size.
 */
export function checkInputFile(file: string, what: string, maxBytes = Number.POSITIVE_INFINITY): void {
  let st: Stats;
  try {
    st = statSync(file);
  } catch (e) {
    throw new UsageError(`${what} ${file} ${statProblem(file, e)}.`);
  }
  if (st.isDirectory()) throw new UsageError(`${what} ${file} is a directory.`);
  if (!st.isFile()) throw new UsageError(`${what} ${file} is not a regular file.`);
  if (st.size > maxBytes) {
    throw new UsageError(`${what} ${file} is ${(st.size / 2 ** 20).toFixed(0)} MiB; worldswitch reads at most ${maxBytes / 2 ** 20} MiB.`);
  }
}

/**
 * Reads an input file's text (a byte-order mark dropped), after `checkInputFile`. It is opened
 * without blocking and checked again once open, so a FIFO put in its place meanwhile is refused too.
 */
export function readInputFile(file: string, what: string, maxBytes?: number): string {
  checkInputFile(file, what, maxBytes);
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    if (!fstatSync(fd).isFile()) throw new UsageError(`${what} ${file} is not a regular file.`);
    return readFileSync(fd, 'utf8').replace(/^\uFEFF/, '');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${what} ${file} ${statProblem(file, e)}.`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
