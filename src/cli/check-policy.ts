import type { Invariant } from '../engine/invariant.js';
import type { ArchModel, ModelConfig } from '../engine/model.js';
import type { Policy } from '../engine/policy.js';
import { type CheckOptions, type CheckResult, check, makeExecutor } from '../searches/check.js';
import type { KnownFailure } from '../searches/triage.js';
import type { WorkerPool } from '../searches/worker-pool.js';
import { hangFinding, runInWorker, type StopReason, type WorkerJob, type WorkerOutcome } from '../searches/worker-run.js';
import type { CheckFlags } from './check-command.js';
import { decidingSlice, type limiter, mergeSlices, type RunSlice, splitRuns } from './check-workers.js';
import type { Io } from './io.js';
import { progressBar } from './progress-bar.js';

/** One selected policy's piece of a check: runs `from`…`to`-1 of the seed's sequence (all of them unsharded). */
export interface PolicyCheck {
  readonly policy: Policy;
  readonly arch: ArchModel;
  readonly file?: string | undefined;
  readonly exportName?: string | undefined;
  readonly invariants: readonly Invariant[];
  readonly config: ModelConfig;
  readonly from: number;
  readonly to: number;
  readonly known: readonly KnownFailure[];
}

/** What every policy of one `check` shares: the flags, the worker threads and their queue. */
export interface CheckContext {
  readonly flags: CheckFlags;
  readonly io: Io;
  readonly entry: string;
  /** `--workers`: threads at once, and slices per policy when its runs can be split. */
  readonly workers: number;
  /** Built-in policies on this thread (the in-process CLI of the tests, with one worker). */
  readonly inProcess: boolean;
  readonly pool?: WorkerPool;
  readonly schedule: ReturnType<typeof limiter>;
}

/** A check's outcome: the result, and what stopped it early, if anything did. */
export type CheckOutcome = Stopped & { ms: number };

/** A result and what stopped it early, if anything did. */
type Stopped = { result: CheckResult; stoppedBy?: StopReason };

/**
 * Whether one policy's runs may be split across workers with the same output as one worker.
 * Not with `--path` (one run), triage (`--continue`, `--assume-fixed`: each round searches from
 * run 0 again, knowing what earlier rounds found) or `--max-states` (a budget over the runs in order).
 */
export const splittable = (flags: CheckFlags, known: readonly KnownFailure[]): boolean =>
  !flags.path && !flags.continue && known.length === 0 && flags.maxStates === undefined;

/**
 * Checks one policy's piece: on this thread, in one worker, or (`--workers N`) split into slices
 * searched side by side without shrinking, the first failing slice in run order run again with
 * shrinking, merged into one worker's result. Undefined when a signal came before it started.
 */
export async function checkPolicy(p: PolicyCheck, ctx: CheckContext): Promise<CheckOutcome | undefined> {
  // Its time runs from its first job's start, not from when it was queued.
  const clock: { started?: number } = {};
  const outcome = await checkPieces(p, ctx, clock);
  return outcome && { ...outcome, ms: performance.now() - (clock.started ?? performance.now()) };
}

/** `checkPolicy` without the timing; sets `clock.started` when its first job starts. */
async function checkPieces(p: PolicyCheck, ctx: CheckContext, clock: { started?: number }): Promise<Stopped | undefined> {
  const { flags } = ctx;
  const options = {
    seed: flags.seed,
    maxSteps: flags.maxSteps,
    coverage: flags.coverage === true,
    ...(flags.path ? { path: flags.path } : {}),
    ...(flags.continue ? { continue: true } : {}),
    ...(p.known.length ? { known: p.known } : {}),
  };
  const whole: RunSlice = { from: p.from, to: p.to };
  clock.started = ctx.inProcess ? performance.now() : undefined;
  if (ctx.inProcess && p.file === undefined) return checkInProcess(p, sliceOptions(options, whole), flags);
  const slices = splittable(flags, p.known) ? splitRuns(p.from, p.to, ctx.workers) : [whole];
  let deadline: number | undefined;
  /** One job in a worker, once a thread is free; undefined when a signal or a cancel came first. */
  const job = (slice: RunSlice, shrink: boolean, first: boolean, cancel?: AbortSignal) =>
    ctx.schedule(async (): Promise<WorkerOutcome<CheckResult> | undefined> => {
      if (ctx.io.signalled?.() || cancel?.aborted) return undefined;
      clock.started ??= performance.now();
      deadline ??= flags.timeLimit !== undefined ? performance.now() + flags.timeLimit * 1000 : undefined;
      const left = deadline === undefined ? undefined : Math.max(1, deadline - performance.now());
      return inWorker(
        p,
        ctx,
        { ...sliceOptions(options, slice), ...(shrink ? {} : { shrink: false }) },
        slice === slices[0],
        slices.length,
        {
          ...(left !== undefined ? { timeLimitMs: left } : {}),
          ...(cancel ? { cancel } : {}),
        },
      );
    }, first);
  // One slice (one worker, or runs that do not split): the whole check, drawing the progress bar.
  if (slices.length === 1) return job(slices[0] as RunSlice, true, false);
  // Search every slice without shrinking; a slice that fails makes the later ones pointless.
  const cancels = slices.map(() => new AbortController());
  const outcomes = await Promise.all(
    slices.map((slice, j) =>
      job(slice, false, false, cancels[j]?.signal).then((o) => {
        const v = o?.result.verdict;
        if (v === 'violated' || v === 'crashed') for (const c of cancels.slice(j + 1)) c.abort();
        return o;
      }),
    ),
  );
  const results = outcomes.map((o) => (o?.stoppedBy === 'cancelled' ? undefined : o?.result));
  if (results[0] === undefined && outcomes[0] === undefined) return undefined;
  const stoppedBy = outcomes.find((o) => o?.stoppedBy !== undefined && o.stoppedBy !== 'cancelled')?.stoppedBy;
  const k = decidingSlice(results);
  const decider = k === undefined ? undefined : results[k];
  if (k !== undefined && decider?.verdict === 'violated' && !decider.hung && !stoppedBy && !ctx.io.signalled?.()) {
    // Shrinking happens once, on the winner: its slice again, from its start, with shrinking.
    const shrunk = await job(slices[k] as RunSlice, true, true);
    results[k] = shrunk?.result ?? decider;
    if (shrunk?.stoppedBy) return finish(results, slices, p, shrunk.stoppedBy);
  }
  return finish(results, slices, p, stoppedBy ?? ctx.io.signalled?.());
}

/** The merged result, with what stopped it. */
function finish(results: (CheckResult | undefined)[], slices: RunSlice[], p: PolicyCheck, stoppedBy?: StopReason): Stopped {
  const lc = makeExecutor(p.policy, p.arch, p.invariants, p.config).model.lifecycle;
  const result = mergeSlices(results, slices, lc.states[lc.initial] ?? '');
  return stoppedBy ? { result, stoppedBy } : { result };
}

/** The check options of runs `slice.from`…`slice.to`-1: fast-check's path "k" starts at run k of the seed's sequence. */
function sliceOptions<T extends { path?: string }>(options: T, slice: RunSlice): T & { runs: number } {
  return { ...options, runs: slice.to - slice.from, ...(slice.from > 0 ? { path: String(slice.from) } : {}) };
}

/** One check job in a worker thread, under the watchdog (policy files), budgets and signals. */
function inWorker(
  p: PolicyCheck,
  ctx: CheckContext,
  options: NonNullable<WorkerJob['check']>,
  progress: boolean,
  slices: number,
  extra: { timeLimitMs?: number; cancel?: AbortSignal },
): Promise<WorkerOutcome<CheckResult>> {
  const { flags } = ctx;
  const { policy, arch, invariants, config, file, exportName } = p;
  const name = `${arch.id}/${policy.name}`;
  const total = p.to - p.from;
  const base = {
    policy: policy.name,
    arch: arch.id,
    config: makeExecutor(policy, arch, invariants, config).model.config,
    invariants: invariants.map((i) => i.name),
    seed: flags.seed,
    maxSteps: flags.maxSteps,
    shrinks: 0,
    warnings: [],
    stats: { events: -1, warnings: 0 },
  };
  return runInWorker<CheckResult>(
    ctx.entry,
    {
      kind: 'check',
      ...(file ? { file, ...(exportName ? { exportName } : {}) } : {}),
      policy: policy.name,
      arch: arch.id,
      invariants: invariants.map((i) => i.name),
      config,
      check: options,
      ...(flags.maxStates ? { maxStates: flags.maxStates } : {}),
    },
    flags.maxSteps,
    {
      io: ctx.io,
      ...extra,
      ...(ctx.pool ? { pool: ctx.pool } : {}),
      ...(flags.maxMemory !== undefined ? { maxMemoryMb: flags.maxMemory } : {}),
      ...(file ? { hookTimeoutMs: flags.hookTimeout * 1000 } : {}),
      // Ended before its first run (a late slice still skipping to its start): no events, rather than unknown.
      onAbandon: (a): CheckResult => ({
        ...base,
        verdict: 'held-so-far',
        stoppedBy: a.reason,
        runs: Math.max(0, a.runs - 1),
        trace: [],
        ...(a.runs === 0 ? { stats: { events: 0, warnings: 0 } } : {}),
      }),
      // The first slice's progress stands for the policy's: the slices run side by side at about one pace.
      ...(progress
        ? {
            describeProgress: (_p: Float64Array, ms: number, runsStarted: number) => {
              const done = Math.min(runsStarted * slices, total);
              return `check ${name} ${progressBar(done, total)} ${done}/${total} runs, ${(ms / 1000).toFixed(1)} s`;
            },
          }
        : {}),
      onHang: (hang): CheckResult => ({
        ...base,
        verdict: 'violated',
        hung: true,
        runs: hang.runs,
        ...hangFinding(makeExecutor(policy, arch, invariants, config), hang),
      }),
    },
  );
}

/** A check on this thread (the in-process CLI of the tests): `--time-limit` as a deadline polled before each run. */
function checkInProcess(p: PolicyCheck, options: Omit<CheckOptions, 'arch' | 'invariants'>, flags: CheckFlags): Stopped {
  const full = {
    ...options,
    arch: p.arch,
    invariants: p.invariants,
    config: p.config,
    ...(flags.maxStates ? { maxStates: flags.maxStates } : {}),
  };
  if (flags.timeLimit === undefined) return { result: check(p.policy, full) };
  const deadline = performance.now() + flags.timeLimit * 1000;
  let late = false;
  const result = check(p.policy, { ...full, shouldStop: () => (late ||= performance.now() > deadline) });
  return late ? { result, stoppedBy: 'time-limit' } : { result };
}
