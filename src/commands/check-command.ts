import { type CheckResult, check, makeExecutor } from '../check.js';
import { EVENT_WIDTH, POLICY_TOTAL } from '../execute.js';
import { splitEvents } from '../minimize.js';
import { toJsonReport } from '../render/json.js';
import { renderContinued, renderTable, renderText } from '../render/text.js';
import { tracesToJSON } from '../trace.js';
import { runInWorker } from '../worker-run.js';
import type { Catalog } from './catalog.js';
import { type Io, quiet } from './io.js';
import { progressBar } from './progress-bar.js';
import type { RunFlags } from './run-flags.js';
import { checkSavesOne, saveOutputs } from './save-file.js';
import { checkInvariantNames, checkModelFlags, checkReplayFlags, invariantsToCheck, modelConfig, selectAll } from './selection.js';
import { checkSkipNames, loadKnown, saveOutDir, triageReplayFlags, warnUnmatchedKnown } from './triage-flags.js';

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
  const skip = flags.skipInvariant ?? [];
  checkSkipNames(skip, catalog);
  const known = loadKnown(flags.assumeFixed ?? [], catalog);
  const selected = await selectAll(args, catalog);
  checkModelFlags(selected, flags, catalog);
  warnUnmatchedKnown(
    known,
    selected.map((s) => s.arch.id),
    io,
  );
  checkSavesOne(selected, flags);
  io = flags.quiet ? quiet(io) : io;
  const results: { result: CheckResult; ms: number; text: string }[] = [];
  for (const { policy, arch, arg, file } of selected) {
    const invariants = invariantsToCheck(arch, names, catalog, skip);
    const { config, replay } = modelConfig(arch, flags);
    const options = {
      runs: flags.runs,
      seed: flags.seed,
      maxSteps: flags.maxSteps,
      coverage: flags.coverage === true,
      ...(flags.path ? { path: flags.path } : {}),
      ...(flags.continue ? { continue: true } : {}),
      ...(known.length ? { known } : {}),
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
    const savedTo = saveOutputs(flags, result, renderer, io, { file, run: `check --seed ${result.seed}` });
    if (flags.outDir) saveOutDir(flags.outDir, result, file, io);
    const how = {
      policyArg: arg,
      flags: [...replay, ...checkReplayFlags(names, flags), ...triageReplayFlags(flags)],
      ...(file ? { policyFile: file } : {}),
      ...(savedTo ? { savedTo } : {}),
    };
    results.push({ result, ms, text: renderContinued(result, (one) => renderText(one, renderer, how)) });
  }
  const json =
    results.length === 1 && results[0]
      ? toJsonReport(results[0].result, results[0].ms)
      : { reportVersion: 1, results: results.map((r) => toJsonReport(r.result, r.ms)) };
  if (flags.json) io.out(`${JSON.stringify(json, null, 2)}\n`);
  else if (results.length === 1) io.out(results[0]?.text ?? '');
  else {
    io.out(renderTable(results.map((r) => r.result)));
    for (const r of results) if (r.result.verdict !== 'held' || flags.coverage) io.out(`\n${r.text}`);
  }
  if (results.some((r) => r.result.verdict === 'crashed')) return 3;
  return results.some((r) => r.result.verdict === 'violated') ? 1 : 0;
}
