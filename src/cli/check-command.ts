import type { Executor } from '../engine/execute.js';
import { UsageError } from '../persistence/usage-error.js';
import { toJsonReport } from '../reports/json.js';
import { renderFindingLine, renderMultiPolicy, renderTable } from '../reports/tables.js';
import { renderContinued, renderText, replayCommand } from '../reports/text.js';
import { CHECK_DEFAULTS, type CheckResult, makeExecutor } from '../searches/check.js';
import { WorkerPool } from '../searches/worker-pool.js';
import { DEFAULT_WORKER_HEAP_MB } from '../searches/worker-run.js';
import type { Catalog } from './catalog.js';
import { type CheckContext, type CheckOutcome, checkPolicy } from './check-policy.js';
import { limiter } from './check-workers.js';
import { annotate, type CiVerdict, resultVerdict, writeJunit } from './ci-output.js';
import { saveFinding } from './finding-outputs.js';
import { type Io, quiet, type Signal, signalExitCode } from './io.js';
import { hookTimeoutReplayFlag, type RunFlags } from './run-flags.js';
import { selectForRun } from './select-for-run.js';
import {
  checkInvariantNames,
  checkPathFlag,
  checkReplayFlags,
  invariantNotes,
  invariantsToCheck,
  modelConfig,
  modelFlagNotes,
  policyExport,
  runConfig,
} from './selection.js';
import { type Shard, type ShardUnit, shardUnits } from './shard.js';
import { checkSkipNames, loadKnown, triageReplayFlags } from './triage-flags.js';
import { defaultWorkers } from './workers-flag.js';

/** The flags of `worldswitch check`. */
export interface CheckFlags extends RunFlags {
  runs: number;
  seed: number;
  maxSteps: number;
  path?: string;
  /** `--shard K/N`: run this shard's share of the policies and runs. */
  shard?: Shard;
  /** `--junit FILE`: also write the verdicts as JUnit XML. */
  junit?: string;
  /** `--workers N`: worker threads (default: every core; the in-process CLI of the tests: 1, on its own thread). */
  workers?: number;
}

/**
 * `worldswitch check`: random interleavings for each selected policy (user policy files in a
 * worker, under a watchdog; every policy on a terminal, for the progress bar), a text or JSON
 * report, `--out` and `--html` files, and the exit code (0 held, 1 violated, 3 crashed).
 */
export async function checkCommand(args: string[], flags: CheckFlags, io: Io, catalog: Catalog, workerEntry: string): Promise<number> {
  const names = flags.invariant ?? [];
  checkInvariantNames(names, catalog);
  const skip = flags.skipInvariant ?? [];
  checkSkipNames(skip, catalog, names);
  const known = loadKnown(flags.assumeFixed ?? [], catalog);
  checkPathFlag(flags.path);
  const selected = await selectForRun(args, flags, catalog, names, known, io);
  if (flags.shard && flags.path)
    throw new UsageError('--shard and --path cannot be used together: --path jumps to one run, --shard splits them.');
  io = flags.quiet ? quiet(io) : io;
  const { shard } = flags;
  // Unsharded, every policy runs all its runs; a shard runs its pieces (DESIGN §9: --shard K/N + merge).
  const units: ShardUnit[] = shard
    ? shardUnits(selected.length, flags.runs, shard)
    : selected.map((_, item) => ({ item, from: 0, to: flags.runs }));
  const results: {
    result: CheckResult;
    ms: number;
    text: string;
    line: string;
    held: boolean;
    x: Executor;
    unit: ShardUnit;
    verdict: CiVerdict;
  }[] = [];
  let signal: Signal | undefined;
  // --out-dir names written by this command: a second policy of one name (from another file) gets its own.
  const outDirNames = new Map<string, number>();
  let budget = false;
  // The CLI binary checks in worker threads; the in-process CLI of the tests on this thread, unless --workers says otherwise.
  const inProcessIo = io.status === undefined && io.onSignal === undefined;
  const workers = flags.workers ?? (inProcessIo ? 1 : defaultWorkers());
  const inProcess = inProcessIo && workers === 1;
  const pool = inProcess ? undefined : new WorkerPool(workerEntry, flags.maxMemory ?? DEFAULT_WORKER_HEAP_MB);
  const ctx: CheckContext = { flags, io, entry: workerEntry, workers, inProcess, schedule: limiter(workers), ...(pool ? { pool } : {}) };
  // Every piece is queued at once, in selection order; the reports keep that order whatever finishes first.
  const pieces = units.map((unit) => {
    const { policy, arch, file, exportName } = selected[unit.item] as (typeof selected)[number];
    const { config } = modelConfig(arch, flags);
    const invariants = invariantsToCheck(arch, names, catalog, skip, runConfig({ policy, arch }, flags));
    const piece = { policy, arch, file, exportName, invariants, config, from: unit.from, to: unit.to, known };
    return checkPolicy(piece, ctx).then(
      (outcome) => ({ outcome }),
      (error: unknown) => ({ error }),
    );
  });
  try {
    for (const [i, unit] of units.entries()) {
      const settled = await pieces[i];
      if (settled && 'error' in settled) throw settled.error;
      const outcome = settled?.outcome;
      if (!outcome) continue;
      record(unit, outcome);
    }
  } finally {
    await pool?.close();
  }
  /** Renders, saves and collects one piece's outcome. */
  function record(unit: ShardUnit, outcome: CheckOutcome): void {
    const { policy, arch, arg, file, exportName } = selected[unit.item] as (typeof selected)[number];
    const { config, replay } = modelConfig(arch, flags);
    const invariants = invariantsToCheck(arch, names, catalog, skip, runConfig({ policy, arch }, flags));
    const runs = unit.to - unit.from;
    const name = `${arch.id}/${policy.name}`;
    const { ms } = outcome;
    const result: CheckResult =
      'stoppedBy' in outcome && outcome.stoppedBy && outcome.result.verdict !== 'held'
        ? { ...outcome.result, stoppedBy: outcome.stoppedBy }
        : outcome.result;
    if (result.stoppedBy === 'SIGINT' || result.stoppedBy === 'SIGTERM') signal = result.stoppedBy;
    else if (result.verdict === 'held-so-far') budget = true;
    const renderer = makeExecutor(policy, arch, invariants, config);
    // The report re-executes the trace on this thread: a policy file's hooks under the watchdog.
    if (file) renderer.guardMs = flags.hookTimeout * 1000;
    const replayFlags = [
      ...replay,
      ...checkReplayFlags(names, { runs, maxSteps: flags.maxSteps }),
      // The runs this check made: from the --path given (a shard's own start, or a replayed path).
      ...(flags.path ? [`--path ${flags.path}`] : shard && unit.from > 0 ? [`--path ${unit.from}`] : []),
      ...triageReplayFlags(flags),
      ...hookTimeoutReplayFlag(file, flags),
    ];
    const command = replayCommand(result, { policyArg: arg, flags: replayFlags });
    const how = saveFinding(flags, result, renderer, io, {
      arg,
      file,
      outDirNames,
      ...(exportName ? { exportName } : {}),
      run: `check --seed ${result.seed}`,
      command,
      replayFlags,
    });
    const text = renderContinued(result, (one) => renderText(one, renderer, how));
    const verdict = resultVerdict(result, {
      name,
      invariantSet: names,
      ...(file ? { file } : {}),
      seconds: ms / 1000,
      text,
      // One process, straight to this counterexample: the seed and fast-check's path of the failing run.
      reproduce: [
        'npx worldswitch check',
        arg,
        `--seed ${result.seed}`,
        ...(result.path ? [`--path ${result.path}`] : []),
        ...replay,
        ...checkReplayFlags(names, { runs: CHECK_DEFAULTS.runs, maxSteps: flags.maxSteps }),
        ...hookTimeoutReplayFlag(file, flags),
      ].join(' '),
      properties: { seed: result.seed, runs: result.runs, ...(shard ? { shard: `${shard.index}/${shard.total}` } : {}) },
    });
    results.push({
      result,
      ms,
      text,
      line: renderFindingLine(result, command),
      held: result.verdict === 'held',
      x: renderer,
      unit,
      verdict,
    });
  }
  const report = (r: (typeof results)[number]) => ({
    ...toJsonReport(r.result, r.ms, r.x),
    ...(shard
      ? { shard: { index: shard.index, total: shard.total, item: r.unit.item, from: r.unit.from, to: r.unit.to, of: flags.runs } }
      : {}),
    ...(shard && r.verdict.policyFile
      ? { policyFile: r.verdict.policyFile, ...policyExport(selected[r.unit.item] as (typeof selected)[number]) }
      : {}),
  });
  const json = shard
    ? {
        reportVersion: 1,
        command: 'check',
        shard: {
          index: shard.index,
          total: shard.total,
          policies: selected.length,
          selection: selected.map((s) => `${s.arch.id}/${s.policy.name}`),
        },
        results: results.map(report),
      }
    : results.length === 1 && results[0]
      ? report(results[0])
      : { reportVersion: 1, command: 'check', results: results.map(report) };
  if (flags.junit)
    writeJunit(
      flags.junit,
      'check',
      results.map((r) => r.verdict),
    );
  annotate(
    io,
    results.map((r) => r.verdict),
  );
  if (flags.json) io.out(`${JSON.stringify(json, null, 2)}\n`);
  else if (results.length === 0 && shard)
    io.out(
      `shard ${shard.index}/${shard.total}: nothing to run (${selected.length} ${selected.length === 1 ? 'policy' : 'policies'}, ${flags.runs} runs each, dealt to ${shard.total} shards)\n`,
    );
  else if (results.length === 1 && !shard) io.out(results[0]?.text ?? '');
  else {
    if (shard) {
      const share = results.map((r) => `${r.verdict.name} runs ${r.unit.from}-${r.unit.to - 1}`).join(', ');
      io.out(
        `shard ${shard.index}/${shard.total} of seed ${flags.seed}: ${share} (worldswitch merge of every shard's --json gives the verdict)\n`,
      );
    }
    // --coverage reports every policy; --verbose every finding.
    const reports = flags.coverage ? results : flags.verbose ? results.filter((r) => !r.held) : undefined;
    io.out(
      renderMultiPolicy(results, reports, renderTable(results.map((r) => r.result))) +
        modelFlagNotes(selected, flags) +
        invariantNotes(selected, names, catalog, flags),
    );
  }
  // A --path is a counterexample's replay: held means it was taken with other flags (or is no printed path).
  if (flags.path && results.some((r) => r.result.verdict === 'held'))
    io.err(
      `worldswitch: --path ${flags.path} reproduced no violation: a path replays the counterexample of the report that printed it, with its seed and flags\n`,
    );
  if (results.some((r) => r.result.verdict === 'crashed')) return 3;
  signal ??= io.signalled?.();
  if (signal) {
    io.err(`worldswitch: stopped by ${signal}; ${results.length} of ${units.length} ${shard ? 'shard pieces' : 'policies'} reported\n`);
    return signalExitCode(signal);
  }
  if (results.some((r) => r.result.verdict === 'violated')) return 1;
  return budget ? 4 : 0;
}
