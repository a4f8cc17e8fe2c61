/**
 * Sends signals to a running `worldswitch` binary at points of its *work*, not of the wall clock:
 * a signal goes once the process has used so many milliseconds of CPU (Linux `/proc/PID/stat`,
 * every thread counted). On a loaded CI runner the start-up alone can take seconds of wall time, so
 * a wall-clock signal may land before the run began and test nothing. Elsewhere, wall time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const bin = resolve(root, 'bin/worldswitch.js');
/** Clock ticks per second of `/proc/PID/stat` (USER_HZ, 100 on every Linux ABI). */
const USER_HZ = 100;

/** CPU milliseconds process `pid` has used (user + system, fields 14 and 15), or undefined without /proc. */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
  } catch {
    return undefined;
  }
}

export interface Interrupted {
  code: number | null;
  out: string;
  err: string;
  /** Wall milliseconds from the first signal sent to the process's end. */
  afterSignalMs: number;
}

/**
 * Starts `worldswitch …args` (stderr a pipe, CI=1: no status line), sends the first signal once the
 * process has used that many CPU milliseconds and each later one that many wall milliseconds after
 * the first; collects what it printed.
 */
export function interrupt(args: string[], signals: [NodeJS.Signals, number][], env: NodeJS.ProcessEnv = {}): Promise<Interrupted> {
  const started = Date.now();
  const child: ChildProcess = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, CI: '1', ...env } });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (err += d));
  let next = 0;
  let firstSentAt: number | undefined;
  const poll = setInterval(() => {
    const pending = signals[next];
    if (pending === undefined || child.pid === undefined) return;
    const used = firstSentAt !== undefined ? Date.now() - firstSentAt : (cpuMs(child.pid) ?? Date.now() - started);
    if (used < pending[1]) return;
    child.kill(pending[0]);
    firstSentAt ??= Date.now();
    next++;
  }, 20);
  return new Promise((done) =>
    child.on('close', (code) => {
      clearInterval(poll);
      done({ code, out, err, afterSignalMs: Date.now() - (firstSentAt ?? started) });
    }),
  );
}
