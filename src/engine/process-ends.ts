/**
 * Policy code runs in the checker's own process (in a worker thread for check and explore, on the
 * main thread for replay, cost and loading). The calls that end that process are made to throw
 * instead, so a policy that makes one is a policy-total finding with its trace, never an exit code
 * of its choosing with no report (process.exit, process.reallyExit: exit 0 would read as held) or
 * a core dump (process.abort).
 */

/** What a policy hook (or module) that tries to end the process gets: an error, which the executor reports as policy-total. */
export class PolicyExitError extends Error {
  constructor(code: unknown, call = 'process.exit') {
    super(`called ${call}(${code === undefined ? '' : String(code)}): a policy cannot end the checker`);
    this.name = 'PolicyExitError';
  }
}

type Ender = (...args: never[]) => unknown;
type Process = typeof process & { reallyExit?: Ender };

/**
 * Makes process.exit, process.reallyExit, process.abort and a process.kill of this process (or of
 * every process: pid 0 or below) throw a PolicyExitError; `message` words the error (loading or a
 * hook). Returns the real `exit`, which puts everything back first (Node's `exit` ends through
 * `process.reallyExit`).
 */
export function guardProcessEnds(error: (call: string, arg: unknown) => Error = (call, arg) => new PolicyExitError(arg, call)): {
  exit: (code?: number) => never;
  restore: () => void;
} {
  const p = process as Process;
  const real = { exit: p.exit, reallyExit: p.reallyExit, abort: p.abort, kill: p.kill };
  const restore = (): void => {
    p.exit = real.exit;
    p.abort = real.abort;
    p.kill = real.kill;
    if (real.reallyExit) p.reallyExit = real.reallyExit;
  };
  p.exit = ((code?: number) => {
    throw error('process.exit', code);
  }) as typeof process.exit;
  if (real.reallyExit) {
    p.reallyExit = (code?: unknown) => {
      throw error('process.reallyExit', code);
    };
  }
  p.abort = () => {
    throw error('process.abort', undefined);
  };
  p.kill = ((pid: number, signal?: string | number) => {
    // Signal 0 only asks whether a process exists; another process is not the checker.
    if (signal !== 0 && (Number(pid) <= 0 || Number(pid) === process.pid)) {
      throw error('process.kill', `${pid}${signal === undefined ? '' : `, ${JSON.stringify(signal)}`}`);
    }
    return real.kill.call(process, pid, signal);
  }) as typeof process.kill;
  return {
    exit: (code?: number) => {
      restore();
      return real.exit.call(process, code);
    },
    restore,
  };
}
