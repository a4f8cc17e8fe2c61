import { Worker } from 'node:worker_threads';
import type { Io } from './commands/io.js';
import { EVENT_WIDTH } from './execute.js';
import { HOOK_NAMES } from './lifecycle.js';
import type { KnownFailure } from './triage.js';

/** The triage options a job carries (`--continue`, `--assume-fixed`). */
type Triage = { continue?: boolean; known?: readonly KnownFailure[] };

/** A check or exploration to run in a worker thread; the worker finds the policy by name (and file). */
export interface WorkerJob {
  readonly kind: 'check' | 'explore';
  /** The user's policy file; absent for a built-in policy. */
  readonly file?: string;
  readonly policy: string;
  readonly arch: string;
  readonly invariants: readonly string[];
  readonly config: Readonly<Record<string, number>>;
  readonly check?: { runs: number; seed: number; maxSteps: number; path?: string; coverage: boolean } & Triage;
  readonly explore?: { depth: number; symmetry: boolean; coverage: boolean; perPoint?: boolean } & Triage;
}

/** Shared memory between the worker and the main thread. */
export interface WorkerShared {
  /** Int32 [heartbeat, hook index + 1 (0: none), steps of the current run, runs started]. */
  readonly beat: SharedArrayBuffer;
  /** Float64: the current run's events (EVENT_WIDTH words each). */
  readonly trace: SharedArrayBuffer;
  /** Int32 [stop requested]. */
  readonly stop: SharedArrayBuffer;
  /** Float64 [depth under way, states, transitions]. */
  readonly progress: SharedArrayBuffer;
}

/** A hook that stopped returning, as the watchdog saw it. */
export interface Hang {
  readonly hook: string;
  /** The events of the run so far; the last one is the one whose hook hangs. */
  readonly events: Float64Array;
  readonly steps: number;
  readonly runs: number;
}

/** How `runInWorker` watches the worker. */
export interface WorkerWatch<R> {
  readonly io: Io;
  /** A hook that has not returned for this long is a hang (user policy files). */
  readonly hookTimeoutMs?: number;
  readonly onHang: (hang: Hang) => R;
  /**
   * Progress text for the status line, shown after two seconds: from [depth, states, transitions]
   * (explore) or the count of interleavings started (check, shrinking included).
   */
  readonly describeProgress?: (progress: Float64Array, elapsedMs: number, runsStarted: number) => string;
}

/**
 * Runs `job` in a worker thread started from module `entry` (which must call the worker side),
 * with a watchdog for hooks that never return, a status line, and Ctrl-C: the first asks the
 * worker to stop and report what it has, the second ends it.
 */
export function runInWorker<R>(entry: string, job: WorkerJob, maxSteps: number, watch: WorkerWatch<R>): Promise<R> {
  const shared: WorkerShared = {
    beat: new SharedArrayBuffer(4 * 4),
    trace: new SharedArrayBuffer(Math.max(1, maxSteps) * EVENT_WIDTH * 8),
    stop: new SharedArrayBuffer(4),
    progress: new SharedArrayBuffer(3 * 8),
  };
  const beats = new Int32Array(shared.beat);
  const stop = new Int32Array(shared.stop);
  const progress = new Float64Array(shared.progress);
  const data = { workerData: { worldswitchJob: job, shared } };
  // Run from TypeScript sources (the test suite), the worker loads the entry module through tsx.
  const quoted = JSON.stringify(entry);
  const worker = entry.endsWith('.ts')
    ? new Worker(`import('tsx/esm/api').then((m) => m.tsImport(${quoted}, ${quoted}));`, { ...data, eval: true })
    : new Worker(new URL(entry), data);
  const started = performance.now();
  return new Promise<R>((resolve, reject) => {
    let last = -1;
    let since = started;
    let interrupts = 0;
    let statusShown = false;
    const finish = (): void => {
      clearInterval(timer);
      unsubscribe?.();
      if (statusShown) watch.io.status?.('');
      void worker.terminate();
    };
    const unsubscribe = watch.io.onInterrupt?.(() => {
      interrupts++;
      Atomics.store(stop, 0, 1);
      if (interrupts > 1) {
        finish();
        reject(new Error('interrupted'));
      }
    });
    const timer = setInterval(
      () => {
        const now = performance.now();
        if (watch.describeProgress && watch.io.status && now - started > 2000) {
          statusShown = true;
          watch.io.status(watch.describeProgress(progress, now - started, Atomics.load(beats, 3)));
        }
        if (watch.hookTimeoutMs === undefined) return;
        const b = Atomics.load(beats, 0);
        if (b !== last || beats[1] === 0) {
          last = b;
          since = now;
          return;
        }
        if (now - since < watch.hookTimeoutMs) return;
        finish();
        const steps = beats[2] as number;
        resolve(
          watch.onHang({
            hook: HOOK_NAMES[(beats[1] as number) - 1] ?? 'a hook',
            events: new Float64Array(shared.trace).slice(0, steps * EVENT_WIDTH),
            steps,
            runs: beats[3] as number,
          }),
        );
      },
      Math.min(100, (watch.hookTimeoutMs ?? 400) / 4),
    );
    worker.once('message', (result: R | { workerError: string }) => {
      finish();
      if (typeof result === 'object' && result !== null && 'workerError' in result) reject(new Error(result.workerError));
      else resolve(result as R);
    });
    worker.once('error', (e) => {
      finish();
      reject(e);
    });
  });
}
