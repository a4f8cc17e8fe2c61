/** The signals every command answers: the run stops, what was completed is printed, exit 130 or 143. */
export type Signal = 'SIGINT' | 'SIGTERM';

/** Exit code of a run a signal stopped: 128 + the signal number. */
export const signalExitCode = (s: Signal): number => (s === 'SIGINT' ? 130 : 143);

/** Where a command writes, and the process services only `cli.ts` may provide (it alone touches `process`). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** A transient status line (stderr, TTY only); absent when there is no terminal. */
  status?(line: string): void;
  /**
   * Subscribes to SIGINT and SIGTERM (on a terminal or not); `count` is how many signals arrived so
   * far. Returns the unsubscribe function. Absent when the CLI runs in-process (tests).
   */
  onSignal?(handler: (signal: Signal, count: number) => void): () => void;
  /** The first signal received so far, if any (commands poll it between units of work). */
  signalled?(): Signal | undefined;
  /** Writes a GitHub Actions workflow command (stderr); present only when `GITHUB_ACTIONS` is set. */
  annotate?(line: string): void;
}

/** `--quiet`: the same io without the status line (no progress bar). */
export const quiet = (io: Io): Io => ({
  out: io.out,
  err: io.err,
  ...(io.onSignal ? { onSignal: io.onSignal } : {}),
  ...(io.signalled ? { signalled: io.signalled } : {}),
  ...(io.annotate ? { annotate: io.annotate } : {}),
});
