import { UsageError } from '../persistence/usage-error.js';
import { toExploreJsonReport } from '../reports/json.js';
import { count, renderExploreTable, renderFindingLine, renderMultiPolicy } from '../reports/tables.js';
import { renderContinued, renderExploreText } from '../reports/text.js';
import { type ExploreResult, makeExploreExecutor } from '../searches/explore.js';
import { hangFinding, runInWorker, type WorkerOutcome } from '../searches/worker-run.js';
import type { Catalog } from './catalog.js';
import { limiter } from './check-workers.js';
import { annotate, type CiVerdict, resultVerdict, writeJunit } from './ci-output.js';
import { saveFinding } from './finding-outputs.js';
import { type Io, quiet, type Signal, signalExitCode } from './io.js';
import { hookTimeoutReplayFlag, type RunFlags } from './run-flags.js';
import { selectForRun } from './select-for-run.js';
import {
  checkInvariantNames,
  invariantNotes,
  invariantsToCheck,
  modelConfig,
  modelFlagNotes,
  policyExport,
  runConfig,
} from './selection.js';
import type { Shard } from './shard.js';
import { checkSkipNames, loadKnown, triageReplayFlags } from './triage-flags.js';
import { defaultWorkers } from './workers-flag.js';

/** The flags of `worldswitch explore`. */
export interface ExploreFlags extends RunFlags {
  depth: number;
  symmetry: boolean;
  /** `--por` / `--no-por`: partial-order reduction with sleep sets; unset: POR_DEFAULT. */
  por?: boolean;
  /** `--junit FILE`: also write the verdicts as JUnit XML. */
  junit?: string;
  /** `--shard K/N`: expand only this shard's share of the states where the search splits. */
  shard?: Shard;
  /** `--per-point` (with `--continue`): one counterexample per failing observation point. */
  perPoint?: boolean;
  /** `--workers N`: threads for the breadth-first search (default: the cores available). */
  workers?: number;
}

/** Whether `explore` reduces with sleep sets when neither --por nor --no-por is given (with any --workers). */
export const POR_DEFAULT = true;

/** What a shard covered, in one line under its report. */
function shardLine(shard: Shard, r: ExploreResult): string {
  const who = `shard ${shard.index}/${shard.total}`;
  if (!r.split) return `${who}: the search ended before it split (depth ${r.depth - 1}), so this shard searched everything itself\n`;
  const { depth, width, owned } = r.split;
  return `${who}: searched all states to depth ${depth} (${count(width)} there), then on from ${count(owned)} of them; ${shard.total === 1 ? 'it covers every interleaving' : `the ${shard.total} shards together cover every interleaving (worldswitch merge)`}\n`;
}

/**
 * `worldswitch explore`: bounded exhaustive exploration of each selected policy, in a worker so
 * that a signal or a budget stops it with the depth completed and a status line can show
 * progress. Exit codes: 0 held, 1 violated, 3 crashed, 4 held so far (a budget), 130/143 stopped
 * by SIGINT/SIGTERM (the remaining policies are not explored).
 */
export async function exploreCommand(args: string[], flags: ExploreFlags, io: Io, catalog: Catalog, workerEntry: string): Promise<number> {
  const names = flags.invariant ?? [];
  checkInvariantNames(names, catalog);
  const skip = flags.skipInvariant ?? [];
  checkSkipNames(skip, catalog, names);
  const known = loadKnown(flags.assumeFixed ?? [], catalog);
  if (flags.perPoint && !flags.continue)
    throw new UsageError('--per-point goes with --continue (one counterexample per failing observation point).');
  const selected = await selectForRun(args, flags, catalog, names, known, io);
  io = flags.quiet ? quiet(io) : io;
  const reports: Record<string, unknown>[] = [];
  const verdicts: CiVerdict[] = [];
  const { shard } = flags;
  const por = flags.por ?? POR_DEFAULT;
  const results: { result: ExploreResult; text: string; line: string; held: boolean }[] = [];
  // --out-dir names written by this command: a second policy of one name (from another file) gets its own.
  const outDirNames = new Map<string, number>();
  let code = 0;
  let signal: Signal | undefined;
  // Several policies are explored side by side, one per thread of `--workers` (a search keeps the
  // threads left over), and reported in selection order. `--max-memory` budgets the process, so it
  // keeps them one at a time.
  const threads = flags.workers ?? defaultWorkers();
  const side = flags.maxMemory === undefined ? Math.max(1, Math.min(threads, selected.length)) : 1;
  const schedule = limiter(side);
  // Ends the searches still under way when the command ends early (an error, a signal).
  const ending = new AbortController();
  // Each settles to a value at once (an error too): a later search that fails while an earlier one runs is no unhandled rejection.
  const searches = selected.map((one) =>
    schedule(async () =>
      ending.signal.aborted || io.signalled?.() ? undefined : await search(one, Math.max(1, Math.floor(threads / side))),
    ).then(
      (done) => ({ done }),
      (error: unknown) => ({ error }),
    ),
  );
  /** Explores one selected policy in a worker thread of its own, with `workers` threads for its search. */
  async function search({ policy, arch, file, exportName }: (typeof selected)[number], workers: number) {
    const { config } = modelConfig(arch, flags);
    const invariants = invariantsToCheck(arch, names, catalog, skip, runConfig({ policy, arch }, flags));
    const name = `${arch.id}/${policy.name}`;
    const started = performance.now();
    const outcome = await runInWorker<ExploreResult>(
      workerEntry,
      {
        kind: 'explore',
        ...(file ? { file, ...(exportName ? { exportName } : {}) } : {}),
        ...(flags.maxStates ? { maxStates: flags.maxStates } : {}),
        policy: policy.name,
        arch: arch.id,
        invariants: invariants.map((i) => i.name),
        config,
        explore: {
          depth: flags.depth,
          symmetry: flags.symmetry,
          coverage: flags.coverage === true,
          ...(por ? { por: true } : {}),
          ...(shard ? { shard: { index: shard.index, total: shard.total } } : {}),
          ...(flags.continue ? { continue: true } : {}),
          ...(flags.perPoint ? { perPoint: true } : {}),
          ...(known.length ? { known } : {}),
          workers,
        },
      },
      flags.depth,
      {
        io,
        cancel: ending.signal,
        ...(flags.timeLimit !== undefined ? { timeLimitMs: flags.timeLimit * 1000 } : {}),
        ...(flags.maxMemory !== undefined ? { maxMemoryMb: flags.maxMemory } : {}),
        ...(file ? { hookTimeoutMs: flags.hookTimeout * 1000 } : {}),
        onAbandon: (a): ExploreResult => ({
          verdict: 'held-so-far',
          stoppedBy: a.reason,
          policy: policy.name,
          arch: arch.id,
          config: makeExploreExecutor(policy, arch, invariants, config).model.config,
          invariants: invariants.map((i) => i.name),
          depth: flags.depth,
          depthCompleted: Math.max(0, (a.progress[0] as number) - 1),
          states: a.progress[1] as number,
          transitions: a.progress[2] as number,
          peakBytes: a.progress[3] as number,
          domain: arch.smallDomain,
          symmetry: [],
          trace: [],
        }),
        describeProgress: (p, ms) =>
          `explore ${name}: depth ${p[0]}, ${count(p[1] as number)} states, ${count(p[2] as number)} transitions, ${count((p[1] as number) / (ms / 1000))} states/s`,
        onHang: (hang): ExploreResult => {
          const x = makeExploreExecutor(policy, arch, invariants, config);
          // The report re-executes the trace on this thread: a policy file's hooks under the watchdog.
          if (file) x.guardMs = flags.hookTimeout * 1000;
          return {
            verdict: 'violated',
            hung: true,
            policy: policy.name,
            arch: arch.id,
            config: x.model.config,
            invariants: invariants.map((i) => i.name),
            depth: flags.depth,
            depthCompleted: 0,
            states: 0,
            transitions: 0,
            peakBytes: 0,
            domain: arch.smallDomain,
            symmetry: [],
            ...hangFinding(x, hang),
          };
        },
      },
    );
    return { outcome, ms: performance.now() - started };
  }
  try {
    for (const [i, one] of selected.entries()) {
      signal ??= io.signalled?.();
      if (signal) break;
      const settled = await (searches[i] as (typeof searches)[number]);
      if ('error' in settled) throw settled.error;
      if (settled.done === undefined) break;
      if (record(settled.done, one)) break;
    }
  } finally {
    ending.abort();
    await Promise.all(searches);
  }
  /** Renders, saves and collects one policy's outcome; true when a signal stopped it (the command stops there). */
  function record(
    { outcome, ms }: { outcome: WorkerOutcome<ExploreResult>; ms: number },
    { policy, arch, arg, file, exportName }: (typeof selected)[number],
  ): boolean {
    const { config, replay } = modelConfig(arch, flags);
    const invariants = invariantsToCheck(arch, names, catalog, skip, runConfig({ policy, arch }, flags));
    const name = `${arch.id}/${policy.name}`;
    const result: ExploreResult =
      outcome.stoppedBy && outcome.result.verdict === 'held-so-far' ? { ...outcome.result, stoppedBy: outcome.stoppedBy } : outcome.result;
    const x = makeExploreExecutor(policy, arch, invariants, config);
    const replayFlags = [
      ...replay,
      ...names.map((n) => `--invariant ${n}`),
      ...(flags.symmetry ? [] : ['--no-symmetry']),
      ...(por === POR_DEFAULT ? [] : [por ? '--por' : '--no-por']),
      ...(shard ? [`--shard ${shard.index}/${shard.total}`] : []),
      ...triageReplayFlags(flags),
      ...(flags.perPoint ? ['--per-point'] : []),
      ...hookTimeoutReplayFlag(file, flags),
    ];
    const command = ['npx worldswitch explore', arg, `--depth ${flags.depth}`, ...replayFlags].join(' ');
    const how = saveFinding(flags, result, x, io, {
      arg,
      file,
      outDirNames,
      ...(exportName ? { exportName } : {}),
      run: `explore --depth ${flags.depth}`,
      command,
      replayFlags,
    });
    reports.push({
      ...toExploreJsonReport(result, ms, x),
      ...(shard ? { shard: { index: shard.index, total: shard.total, item: reports.length, split: result.split ?? null } } : {}),
      ...(shard && file ? { policyFile: file, ...policyExport({ arg, file, exportName }) } : {}),
    });
    const text = `${renderContinued(result, (one) => renderExploreText(one, x, how))}${shard ? shardLine(shard, result) : ''}`;
    verdicts.push(
      resultVerdict(result, {
        name,
        invariantSet: names,
        ...(file ? { file } : {}),
        seconds: ms / 1000,
        text,
        reproduce: command,
        properties: { depth: result.depth, depthCompleted: result.depthCompleted, states: result.states },
      }),
    );
    results.push({
      result,
      text,
      line: renderFindingLine(result, command),
      held: result.verdict === 'held' || result.verdict === 'held-so-far',
    });
    if (!flags.json && selected.length === 1) io.out(text);
    // Timings go to stderr, so that stdout is the same on every run; --quiet drops them.
    if (!flags.quiet)
      io.err(
        `explore ${name}: ${count(result.states)} states, ${count(result.transitions)} transitions in ${(ms / 1000).toFixed(1)} s (${count(result.states / (ms / 1000))} states/s), peak ${(result.peakBytes / 2 ** 20).toFixed(1)} MiB\n`,
      );
    if (outcome.stoppedBy === 'SIGINT' || outcome.stoppedBy === 'SIGTERM') signal = outcome.stoppedBy;
    if (result.verdict === 'crashed') code = 3;
    else if (result.verdict === 'violated' && code !== 3) code = 1;
    else if (result.verdict === 'held-so-far' && code === 0) code = 4;
    return signal !== undefined;
  }
  if (flags.junit) writeJunit(flags.junit, 'explore', verdicts);
  annotate(io, verdicts);
  const json = shard
    ? {
        reportVersion: 1,
        command: 'explore',
        shard: { index: shard.index, total: shard.total, policies: selected.length },
        results: reports,
      }
    : reports.length === 1
      ? reports[0]
      : { reportVersion: 1, command: 'explore', results: reports };
  if (flags.json) io.out(`${JSON.stringify(json, null, 2)}\n`);
  // Several policies selected but one reported (a signal stopped the run): its report, as check prints it.
  else if (results.length === 1 && selected.length > 1) io.out(results[0]?.text ?? '');
  else if (results.length > 1) {
    const shown = flags.coverage ? results : flags.verbose ? results.filter((r) => !r.held) : undefined;
    io.out(
      renderMultiPolicy(results, shown, renderExploreTable(results.map((r) => r.result))) +
        modelFlagNotes(selected, flags) +
        invariantNotes(selected, names, catalog, flags),
    );
  }
  if (signal && code !== 3) {
    io.err(`worldswitch: stopped by ${signal}; ${reports.length} of ${selected.length} policies reported\n`);
    return signalExitCode(signal);
  }
  return code;
}
