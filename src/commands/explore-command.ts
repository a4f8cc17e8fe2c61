import { POLICY_TOTAL } from '../execute.js';
import { type ExploreResult, makeExploreExecutor } from '../explore.js';
import { toExploreJsonReport } from '../render/json.js';
import { renderContinued, renderExploreText } from '../render/text.js';
import { UsageError } from '../usage-error.js';
import { runInWorker } from '../worker-run.js';
import type { Catalog } from './catalog.js';
import { type Io, quiet } from './io.js';
import type { RunFlags } from './run-flags.js';
import { checkSavesOne, saveOutputs } from './save-file.js';
import { checkInvariantNames, checkModelFlags, invariantsToCheck, modelConfig, selectAll } from './selection.js';
import { checkSkipNames, loadKnown, saveOutDir, triageReplayFlags, warnUnmatchedKnown } from './triage-flags.js';

/** The flags of `worldswitch explore`. */
export interface ExploreFlags extends RunFlags {
  depth: number;
  symmetry: boolean;
  /** `--per-point` (with `--continue`): one counterexample per failing observation point. */
  perPoint?: boolean;
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

/**
 * `worldswitch explore`: bounded exhaustive exploration of each selected policy, in a worker so
 * that Ctrl-C stops it with the depth completed and a status line can show progress. Exit codes:
 * 0 held, 1 violated, 3 crashed, 130 stopped by Ctrl-C.
 */
export async function exploreCommand(args: string[], flags: ExploreFlags, io: Io, catalog: Catalog, workerEntry: string): Promise<number> {
  const names = flags.invariant ?? [];
  checkInvariantNames(names, catalog);
  const skip = flags.skipInvariant ?? [];
  checkSkipNames(skip, catalog);
  const known = loadKnown(flags.assumeFixed ?? [], catalog);
  if (flags.perPoint && !flags.continue)
    throw new UsageError('--per-point goes with --continue (one counterexample per failing observation point).');
  const selected = await selectAll(args, catalog);
  checkModelFlags(selected, flags, catalog);
  warnUnmatchedKnown(
    known,
    selected.map((s) => s.arch.id),
    io,
  );
  checkSavesOne(selected, flags);
  io = flags.quiet ? quiet(io) : io;
  const reports: Record<string, unknown>[] = [];
  let code = 0;
  for (const { policy, arch, arg, file } of selected) {
    const invariants = invariantsToCheck(arch, names, catalog, skip);
    const { config, replay } = modelConfig(arch, flags);
    const name = `${arch.id}/${policy.name}`;
    const started = performance.now();
    const result = await runInWorker<ExploreResult>(
      workerEntry,
      {
        kind: 'explore',
        ...(file ? { file } : {}),
        policy: policy.name,
        arch: arch.id,
        invariants: invariants.map((i) => i.name),
        config,
        explore: {
          depth: flags.depth,
          symmetry: flags.symmetry,
          coverage: flags.coverage === true,
          ...(flags.continue ? { continue: true } : {}),
          ...(flags.perPoint ? { perPoint: true } : {}),
          ...(known.length ? { known } : {}),
        },
      },
      1,
      {
        io,
        ...(file ? { hookTimeoutMs: flags.hookTimeout * 1000 } : {}),
        describeProgress: (p, ms) =>
          `explore ${name}: depth ${p[0]}, ${count(p[1] as number)} states, ${count(p[2] as number)} transitions, ${count((p[1] as number) / (ms / 1000))} states/s`,
        onHang: (hang): ExploreResult => {
          const x = makeExploreExecutor(policy, arch, invariants, config);
          return {
            verdict: 'violated',
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
            violation: {
              invariant: POLICY_TOTAL,
              message: `${hang.hook} did not return within ${flags.hookTimeout} s during exploration; run \`worldswitch check\` on the policy for its trace`,
              step: 0,
              at: `in ${hang.hook}`,
            },
            trace: [],
          };
        },
      },
    );
    const ms = performance.now() - started;
    const x = makeExploreExecutor(policy, arch, invariants, config);
    const savedTo = saveOutputs(flags, result, x, io, { file, run: `explore --depth ${flags.depth}` });
    if (flags.outDir) saveOutDir(flags.outDir, result, file, io);
    const how = {
      policyArg: arg,
      flags: [
        ...replay,
        ...names.map((n) => `--invariant ${n}`),
        ...(flags.symmetry ? [] : ['--no-symmetry']),
        ...triageReplayFlags(flags),
        ...(flags.perPoint ? ['--per-point'] : []),
      ],
      ...(file ? { policyFile: file } : {}),
      ...(savedTo ? { savedTo } : {}),
    };
    reports.push(toExploreJsonReport(result, ms));
    if (!flags.json) io.out(`${renderContinued(result, (one) => renderExploreText(one, x, how))}${selected.length > 1 ? '\n' : ''}`);
    // Timings go to stderr, so that stdout is the same on every run; --quiet drops them.
    if (!flags.quiet)
      io.err(
        `explore ${name}: ${count(result.states)} states, ${count(result.transitions)} transitions in ${(ms / 1000).toFixed(1)} s (${count(result.states / (ms / 1000))} states/s), peak ${(result.peakBytes / 2 ** 20).toFixed(1)} MiB\n`,
      );
    if (result.verdict === 'crashed') code = Math.max(code, 3);
    else if (result.verdict === 'violated') code = Math.max(code, 1);
    else if (result.verdict === 'stopped') code = 130;
  }
  const json = reports.length === 1 ? reports[0] : { reportVersion: 1, results: reports };
  if (flags.json) io.out(`${JSON.stringify(json, null, 2)}\n`);
  return code;
}
