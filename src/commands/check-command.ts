import { type CheckResult, check, makeExecutor } from '../check.js';
import { EVENT_WIDTH, type Executor, POLICY_TOTAL } from '../execute.js';
import { splitEvents } from '../minimize.js';
import { toJsonReport } from '../render/json.js';
import { renderFindingLine, renderMultiPolicy, renderTable, renderText, replayCommand } from '../render/text.js';
import { tracesToJSON } from '../trace.js';
import { runInWorker } from '../worker-run.js';
import type { Catalog } from './catalog.js';
import { type Io, quiet } from './io.js';
import { progressBar } from './progress-bar.js';
import type { RunFlags } from './run-flags.js';
import { checkSavesOne, saveOutputs } from './save-file.js';
import { checkInvariantNames, checkModelFlags, checkReplayFlags, invariantsToCheck, modelConfig, selectAll } from './selection.js';

/** The flags of `worldswitch check`. */
export interface CheckFlags extends RunFlags {
  runs: number;
  seed: number;
  maxSteps: number;
  path?: string;
}

/**
 * `worldswitch check`: random interleavings for each selected policy (user policy files in a
 * worker, under a watchdog; every policy on a terminal, for the progress bar), a text or JSON
 * report, `--out` and `--html` files, and the exit code (0 held, 1 violated, 3 crashed).
 */
export async function checkCommand(args: string[], flags: CheckFlags, io: Io, catalog: Catalog, workerEntry: string): Promise<number> {
  const names = flags.invariant ?? [];
  checkInvariantNames(names, catalog);
  const selected = await selectAll(args, catalog);
  checkModelFlags(selected, flags, catalog);
  checkSavesOne(selected, flags);
  io = flags.quiet ? quiet(io) : io;
  const results: { result: CheckResult; ms: number; text: string; line: string; held: boolean; x: Executor }[] = [];
  for (const { policy, arch, arg, file } of selected) {
    const invariants = invariantsToCheck(arch, names, catalog);
    const { config, replay } = modelConfig(arch, flags);
    const options = {
      runs: flags.runs,
      seed: flags.seed,
      maxSteps: flags.maxSteps,
      coverage: flags.coverage === true,
      ...(flags.path ? { path: flags.path } : {}),
    };
    const started = performance.now();
    const name = `${arch.id}/${policy.name}`;
    // A policy file runs in a worker under a watchdog; a built-in one does too on a terminal, for the progress bar.
    const result =
      file === undefined && io.status === undefined
        ? check(policy, { arch, invariants, config, ...options })
        : await runInWorker(
            workerEntry,
            { kind: 'check', file, policy: policy.name, arch: arch.id, invariants: invariants.map((i) => i.name), config, check: options },
            flags.maxSteps,
            {
              io,
              ...(file ? { hookTimeoutMs: flags.hookTimeout * 1000 } : {}),
              describeProgress: (_p, ms, runsStarted) =>
                `check ${name} ${progressBar(runsStarted, flags.runs)} ${Math.min(runsStarted, flags.runs)}/${flags.runs} runs, ${(ms / 1000).toFixed(1)} s`,
              onHang: (hang): CheckResult => {
                const x = makeExecutor(policy, arch, invariants, config);
                return {
                  verdict: 'violated',
                  hung: true,
                  policy: policy.name,
                  arch: arch.id,
                  config: x.model.config,
                  invariants: invariants.map((i) => i.name),
                  runs: hang.runs,
                  seed: flags.seed,
                  maxSteps: flags.maxSteps,
                  shrinks: 0,
                  violation: {
                    invariant: POLICY_TOTAL,
                    message: `${hang.hook} did not return within ${flags.hookTimeout} s: it does not terminate`,
                    step: hang.steps,
                    at: `in ${hang.hook}`,
                  },
                  trace: tracesToJSON(x, splitEvents(hang.events, Math.min(hang.steps, hang.events.length / EVENT_WIDTH))),
                  warnings: [],
                  stats: { events: -1, warnings: 0 },
                };
              },
            },
          );
    const ms = performance.now() - started;
    const renderer = makeExecutor(policy, arch, invariants, config);
    const replayFlags = [...replay, ...checkReplayFlags(names, flags)];
    const command = replayCommand(result, { policyArg: arg, flags: replayFlags });
    const savedTo = saveOutputs(flags, result, renderer, io, { file, run: `check --seed ${result.seed}`, command });
    const how = {
      policyArg: arg,
      flags: replayFlags,
      ...(file ? { policyFile: file } : {}),
      ...(savedTo ? { savedTo } : {}),
      ...(flags.fullState ? { fullState: true } : {}),
    };
    results.push({
      result,
      ms,
      text: renderText(result, renderer, how),
      line: renderFindingLine(result, command),
      held: result.verdict === 'held',
      x: renderer,
    });
  }
  const json =
    results.length === 1 && results[0]
      ? toJsonReport(results[0].result, results[0].ms, results[0].x)
      : { reportVersion: 1, results: results.map((r) => toJsonReport(r.result, r.ms, r.x)) };
  if (flags.json) io.out(`${JSON.stringify(json, null, 2)}\n`);
  else if (results.length === 1) io.out(results[0]?.text ?? '');
  else {
    // --coverage reports every policy; --verbose every finding.
    const reports = flags.coverage ? results : flags.verbose ? results.filter((r) => !r.held) : undefined;
    io.out(renderMultiPolicy(results, reports, renderTable(results.map((r) => r.result))));
  }
  if (results.some((r) => r.result.verdict === 'crashed')) return 3;
  return results.some((r) => r.result.verdict === 'violated') ? 1 : 0;
}
