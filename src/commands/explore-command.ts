import { POLICY_TOTAL } from '../execute.js';
import { type ExploreResult, makeExploreExecutor } from '../explore.js';
import { toExploreJsonReport } from '../render/json.js';
import { renderExploreText } from '../render/text.js';
import { runInWorker } from '../worker-run.js';
import type { Catalog } from './catalog.js';
import { annotate, type CiVerdict, failingEvent, writeJunit } from './ci-output.js';
import { type Io, quiet } from './io.js';
import type { RunFlags } from './run-flags.js';
import { checkSavesOne, saveOutputs } from './save-file.js';
import { checkInvariantNames, checkModelFlags, invariantsToCheck, modelConfig, selectAll } from './selection.js';
import type { Shard } from './shard.js';

/** The flags of `worldswitch explore`. */
export interface ExploreFlags extends RunFlags {
  depth: number;
  symmetry: boolean;
  /** `--junit FILE`: also write the verdicts as JUnit XML. */
  junit?: string;
  /** `--shard K/N`: expand only this shard's share of the states where the search splits. */
  shard?: Shard;
}

/** What a shard covered, in one line under its report. */
function shardLine(shard: Shard, r: ExploreResult): string {
  const who = `shard ${shard.index}/${shard.total}`;
  if (!r.split) return `${who}: the search ended before it split (depth ${r.depth - 1}), so this shard searched everything itself\n`;
  const { depth, width, owned } = r.split;
  return `${who}: searched all states to depth ${depth} (${count(width)} there), then on from ${count(owned)} of them; the ${shard.total} shards together cover every interleaving (worldswitch merge)\n`;
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
  const selected = await selectAll(args, catalog);
  checkModelFlags(selected, flags, catalog);
  checkSavesOne(selected, flags);
  io = flags.quiet ? quiet(io) : io;
  const reports: Record<string, unknown>[] = [];
  const verdicts: CiVerdict[] = [];
  let code = 0;
  for (const { policy, arch, arg, file } of selected) {
    const invariants = invariantsToCheck(arch, names, catalog);
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
          ...(flags.shard ? { shard: { index: flags.shard.index, total: flags.shard.total } } : {}),
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
    const how = {
      policyArg: arg,
      flags: [
        ...replay,
        ...names.map((n) => `--invariant ${n}`),
        ...(flags.symmetry ? [] : ['--no-symmetry']),
        ...(flags.shard ? [`--shard ${flags.shard.index}/${flags.shard.total}`] : []),
      ],
      ...(file ? { policyFile: file } : {}),
      ...(savedTo ? { savedTo } : {}),
    };
    const { shard } = flags;
    reports.push({
      ...toExploreJsonReport(result, ms),
      ...(shard ? { shard: { index: shard.index, total: shard.total, item: reports.length, split: result.split ?? null } } : {}),
      ...(shard && file ? { policyFile: file } : {}),
    });
    const text = `${renderExploreText(result, x, how)}${shard ? shardLine(shard, result) : ''}`;
    verdicts.push({
      name,
      policy: name,
      verdict: result.verdict,
      invariantSet: names,
      ...(result.violation ? { violation: result.violation } : {}),
      ...failingEvent(result.trace, result.violation),
      ...(result.error ? { error: result.error } : {}),
      ...(file ? { policyFile: file } : {}),
      seconds: ms / 1000,
      text,
      reproduce: ['npx worldswitch explore', arg, `--depth ${flags.depth}`, ...how.flags].join(' '),
      properties: { depth: result.depth, depthCompleted: result.depthCompleted, states: result.states },
    });
    if (!flags.json) io.out(`${text}${selected.length > 1 ? '\n' : ''}`);
    // Timings go to stderr, so that stdout is the same on every run; --quiet drops them.
    if (!flags.quiet)
      io.err(
        `explore ${name}: ${count(result.states)} states, ${count(result.transitions)} transitions in ${(ms / 1000).toFixed(1)} s (${count(result.states / (ms / 1000))} states/s), peak ${(result.peakBytes / 2 ** 20).toFixed(1)} MiB\n`,
      );
    if (result.verdict === 'crashed') code = Math.max(code, 3);
    else if (result.verdict === 'violated') code = Math.max(code, 1);
    else if (result.verdict === 'stopped') code = 130;
  }
  if (flags.junit) writeJunit(flags.junit, 'explore', verdicts);
  annotate(io, verdicts);
  const json = flags.shard
    ? {
        reportVersion: 1,
        command: 'explore',
        shard: { index: flags.shard.index, total: flags.shard.total, policies: selected.length },
        results: reports,
      }
    : reports.length === 1
      ? reports[0]
      : { reportVersion: 1, command: 'explore', results: reports };
  if (flags.json) io.out(`${JSON.stringify(json, null, 2)}\n`);
  return code;
}
