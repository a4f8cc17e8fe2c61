import type { Io, Signal } from '../cli/io.js';
import { EVENT_WIDTH, type Executor, POLICY_TOTAL } from '../engine/execute.js';
import type { Violation } from '../engine/invariant.js';
import { HOOK_NAMES } from '../engine/lifecycle.js';
import { type TraceEvent, tracesToJSON } from '../engine/trace.js';
import { splitEvents } from './minimize.js';
import type { KnownFailure } from './triage.js';
import { spawnWorker, type WorkerPool } from './worker-pool.js';

/** The triage options a job carries (`--continue`, `--assume-fixed`). */
type Triage = { continue?: boolean; known?: readonly KnownFailure[] };

/** A check or exploration to run in a worker thread; the worker finds the policy by name (and file). */
export interface WorkerJob {
  readonly kind: 'check' | 'explore';
  /** The user's policy file; absent for a built-in policy. */
  readonly file?: string;
  /** The export of `file` that is the policy (a file may export several policies, even same-named ones). */
  readonly exportName?: string;
  readonly policy: string;
  readonly arch: string;
  readonly invariants: readonly string[];
  readonly config: Readonly<Record<string, number>>;
  readonly check?: { runs: number; seed: number; maxSteps: number; path?: string; coverage: boolean; shrink?: boolean } & Triage;
  readonly explore?: {
    depth: number;
    symmetry: boolean;
    coverage: boolean;
    /** `--por`: sleep-set partial-order reduction. */
    por?: boolean;
    perPoint?: boolean;
    shard?: { index: number; total: number };
    /** `--workers`: threads for the breadth-first search (built-in policies; see `parallelWorkers`). */
    workers?: number;
  } & Triage;
  /** `--max-states`: events executed (check) or distinct states stored (explore) before the run stops. */
  readonly maxStates?: number;
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

/** Why a run stopped before its search finished: a signal, or a budget (`--time-limit`, `--max-states`, `--max-memory`, out of memory). */
export type StopReason = Signal | 'time-limit' | 'max-states' | 'max-memory' | 'out-of-memory' | 'cancelled';

/** A user hook that stopped the worker, as the main thread saw it: it never returned, ended the thread, or ran out of memory. */
export interface Hang {
  readonly hook: string;
  /** What the hook did, after its name: "did not return within 10 s: it does not terminate". */
  readonly what: string;
  /** The events of the run so far; the last one is the one whose hook hangs. */
  readonly events: Float64Array;
  readonly steps: number;
  readonly runs: number;
}

/** A hang as a policy-total finding: the violation at the hung hook and the trace up to that step (`x` names its events). */
export function hangFinding(x: Executor, hang: Hang): { violation: Violation; trace: TraceEvent[] } {
  return {
    violation: { invariant: POLICY_TOTAL, message: `${hang.hook} ${hang.what}`, step: hang.steps, at: `in ${hang.hook}` },
    trace: tracesToJSON(x, splitEvents(hang.events, Math.min(hang.steps, hang.events.length / EVENT_WIDTH))),
  };
}

/** How far a worker got when it was abandoned (a signal it could not answer, the heap exhausted outside a hook). */
export interface Abandoned {
  readonly reason: StopReason;
  /** Runs started (check). */
  readonly runs: number;
  /** [depth under way, states, transitions] (explore). */
  readonly progress: Float64Array;
}

/** How `runInWorker` watches the worker. */
export interface WorkerWatch<R> {
  readonly io: Io;
  /** A hook that has not returned for this long is a hang (user policy files). */
  readonly hookTimeoutMs?: number;
  /** `--time-limit` in milliseconds: the worker is asked to stop and report what it has. */
  readonly timeLimitMs?: number;
  /** `--max-memory` in MiB: resident memory beyond it asks the worker to stop; also its heap limit. */
  readonly maxMemoryMb?: number;
  readonly onHang: (hang: Hang) => R;
  /** The result for a worker that had to be ended without its own report. */
  readonly onAbandon: (abandoned: Abandoned) => R;
  /**
   * Progress text for the status line, shown after two seconds: from [depth, states, transitions]
   * (explore) or the count of interleavings started (check, shrinking included).
   */
  readonly describeProgress?: (progress: Float64Array, elapsedMs: number, runsStarted: number) => string;
  /** Workers kept between jobs: a built-in policy's job runs in one of them (a policy file's always in a fresh thread). */
  readonly pool?: WorkerPool;
  /** Aborting asks the worker to stop (its result is no longer wanted); it resolves as a stopped run, `cancelled`. */
  readonly cancel?: AbortSignal;
}

/** What `runInWorker` resolves to: the result, and why the run stopped early, if it did. */
export interface WorkerOutcome<R> {
  readonly result: R;
  readonly stoppedBy?: StopReason;
}

/** The worker's heap limit when `--max-memory` does not set one: a hook allocating without end is a finding, not a crash. */
export const DEFAULT_WORKER_HEAP_MB = 2048;

/** How long a worker asked to stop (a signal) may take to report before it is ended. */
const STOP_GRACE_MS = 1000;

/**
 * Runs `job` in a worker thread started from module `entry` (which must call the worker side),
 * with a watchdog for hooks that never return, end the thread or exhaust its heap; a status line;
 * budgets; and signals: the first SIGINT/SIGTERM asks the worker to stop and report what it has
 * (ended after a second if it cannot), the second ends it at once.
 */
export function runInWorker<R>(entry: string, job: WorkerJob, maxSteps: number, watch: WorkerWatch<R>): Promise<WorkerOutcome<R>> {
  const shared: WorkerShared = {
    beat: new SharedArrayBuffer(4 * 4),
    trace: new SharedArrayBuffer(Math.max(1, maxSteps) * EVENT_WIDTH * 8),
    stop: new SharedArrayBuffer(4),
    progress: new SharedArrayBuffer(4 * 8),
  };
  const beats = new Int32Array(shared.beat);
  const stop = new Int32Array(shared.stop);
  const progress = new Float64Array(shared.progress);
  const heapMb = watch.maxMemoryMb ?? DEFAULT_WORKER_HEAP_MB;
  const pool = job.file === undefined ? watch.pool : undefined;
  const worker = pool ? pool.acquire() : spawnWorker(entry, { worldswitchJob: job, shared }, heapMb);
  if (pool) worker.postMessage({ worldswitchJob: job, shared });
  const started = performance.now();
  return new Promise<WorkerOutcome<R>>((resolve, reject) => {
    let last = -1;
    let since = started;
    let statusShown = false;
    let stoppedBy: StopReason | undefined;
    let stopAsked = 0;
    let settled = false;
    /** Ends the watch; the worker goes back to the pool when it reported by itself (`keep`), else it is ended. */
    const finish = (keep = false): boolean => {
      if (settled) return false;
      settled = true;
      clearInterval(timer);
      unsubscribe?.();
      watch.cancel?.removeEventListener('abort', cancelled);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (statusShown) watch.io.status?.('');
      if (keep && pool) pool.release(worker);
      else void worker.terminate();
      return true;
    };
    const done = (result: R, keep = false): void => {
      if (finish(keep)) resolve(stoppedBy ? { result, stoppedBy } : { result });
    };
    const askStop = (reason: StopReason): void => {
      if (stoppedBy !== undefined) return;
      stoppedBy = reason;
      stopAsked = performance.now();
      Atomics.store(stop, 0, 1);
    };
    const abandon = (reason: StopReason): void => {
      stoppedBy ??= reason;
      if (stoppedBy === 'max-memory' && job.file !== undefined && (beats[1] as number) !== 0) {
        // A user hook still running when memory went past the budget: the hook is what allocates.
        hang(`allocated past --max-memory ${watch.maxMemoryMb} MiB without returning`);
        return;
      }
      done(watch.onAbandon({ reason: stoppedBy, runs: Atomics.load(beats, 3), progress: progress.slice() }));
    };
    /** A user hook stopped the worker: the run's events so far, the hook, and what it did. */
    const hang = (what: string): void => {
      const steps = beats[2] as number;
      done(
        watch.onHang({
          hook: HOOK_NAMES[(beats[1] as number) - 1] ?? 'a hook',
          what,
          events: new Float64Array(shared.trace).slice(0, steps * EVENT_WIDTH),
          steps,
          runs: beats[3] as number,
        }),
      );
    };
    const cancelled = (): void => askStop('cancelled');
    watch.cancel?.addEventListener('abort', cancelled);
    const unsubscribe = watch.io.onSignal?.((signal, count) => {
      if (count > 1) abandon(signal);
      else askStop(signal);
    });
    const timer = setInterval(
      () => {
        const now = performance.now();
        if (watch.describeProgress && watch.io.status && now - started > 2000) {
          statusShown = true;
          watch.io.status(watch.describeProgress(progress, now - started, Atomics.load(beats, 3)));
        }
        if (watch.timeLimitMs !== undefined && now - started >= watch.timeLimitMs) askStop('time-limit');
        if (watch.maxMemoryMb !== undefined && process.memoryUsage.rss() > watch.maxMemoryMb * 2 ** 20) askStop('max-memory');
        // A worker asked to stop answers within a second unless a hook holds it (or the search is between polls).
        if (stoppedBy !== undefined && now - stopAsked > STOP_GRACE_MS) {
          abandon(stoppedBy);
          return;
        }
        if (watch.hookTimeoutMs === undefined) return;
        const b = Atomics.load(beats, 0);
        if (b !== last || beats[1] === 0) {
          last = b;
          since = now;
          return;
        }
        if (now - since < watch.hookTimeoutMs) return;
        hang(`did not return within ${watch.hookTimeoutMs / 1000} s: it does not terminate`);
      },
      Math.min(100, (watch.hookTimeoutMs ?? 400) / 4),
    );
    const onMessage = (result: R | { workerError: string; usageError?: string }): void => {
      if (typeof result === 'object' && result !== null && 'workerError' in result) {
        // Bad input the worker found (`usageError`) keeps its code: the CLI prints it as one line, exit 2.
        if (finish())
          reject(
            result.usageError !== undefined
              ? Object.assign(new Error(result.usageError), { code: 'ERR_USAGE' })
              : new Error(result.workerError),
          );
      } else done(result as R, true);
    };
    const onError = (e: Error & { code?: string }): void => {
      if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        // A user hook that allocates without end is a finding about the policy; the search itself running out is a budget.
        if (job.file !== undefined && (beats[1] as number) !== 0) hang(`ran out of memory (more than the ${heapMb} MB heap limit)`);
        else abandon('out-of-memory');
        return;
      }
      if (finish()) reject(e);
    };
    const onExit = (code: number): void => {
      if (settled) return;
      // process.exit() is stubbed in the worker; a thread that still ends early was ended by the policy.
      if (job.file !== undefined) hang(`ended the worker thread (exit code ${code}) instead of returning`);
      else if (finish()) reject(new Error(`the worker ended with exit code ${code} before reporting`));
    };
    worker.once('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', onExit);
    if (watch.cancel?.aborted) cancelled();
  });
}
