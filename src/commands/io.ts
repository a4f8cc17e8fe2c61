/** Where a command writes, and the terminal services only `cli.ts` may provide (it alone touches `process`). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** A transient status line (stderr, TTY only); absent when there is no terminal. */
  status?(line: string): void;
  /** Subscribes to Ctrl-C; returns the unsubscribe function. Absent outside a terminal session. */
  onInterrupt?(handler: () => void): () => void;
  /** Writes a GitHub Actions workflow command (stderr); present only when `GITHUB_ACTIONS` is set. */
  annotate?(line: string): void;
}

/** `--quiet`: the same io without the status line (no progress bar). */
export const quiet = (io: Io): Io => ({
  out: io.out,
  err: io.err,
  ...(io.onInterrupt ? { onInterrupt: io.onInterrupt } : {}),
  ...(io.annotate ? { annotate: io.annotate } : {}),
});
