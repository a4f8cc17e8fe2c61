import * as z from 'zod';
import { parseOrThrow } from '../persistence/trace-file.js';
import { UsageError } from '../persistence/usage-error.js';
import { REPORT_VERSION } from '../reports/json.js';
import { policyArgOf } from '../reports/merge-report.js';
import { steps } from '../reports/tables.js';
import { configText, domainText, formatEvent } from '../reports/text.js';
import { annotate, type CiVerdict, mergedVerdict, writeJunit } from './ci-output.js';
import type { Io } from './io.js';
import type { MergeFlags, ReportFile } from './merge-command.js';
import { envelopeShard, exploreSlice, measure, natural, reportHead, resultsMatchShard, violation } from './report-fields.js';
import { checkShardSet } from './shard.js';

const exploreResult = z
  .looseObject({
    ...reportHead('explore', 'merge combines the reports of one command: every one of `explore --shard K/N --json`'),
    verdict: z.enum(['held', 'violated', 'crashed', 'stopped', 'held-so-far']),
    depth: z.int().min(1),
    depthCompleted: natural,
    domain: z.string(),
    symmetry: z.array(z.string()),
    violation: violation.nullable(),
    trace: z.array(z.looseObject({ event: z.string() })),
    error: z.string().nullable(),
    stats: z.looseObject({ states: natural, transitions: natural, ms: measure, transitionsSaved: natural.optional() }),
    shard: exploreSlice,
  })
  .superRefine((r, ctx) => {
    if (r.depthCompleted > r.depth)
      ctx.addIssue({
        code: 'custom',
        path: ['depthCompleted'],
        message: `${r.depthCompleted} is deeper than depth ${r.depth}`,
        input: undefined,
      });
  });
type ExploreReport = z.infer<typeof exploreResult>;

const exploreEnvelope = z
  .looseObject({
    reportVersion: z.literal(REPORT_VERSION),
    command: z.literal('explore'),
    shard: envelopeShard('merge combines the shards of `explore --shard K/N --json`; this report has no shard'),
    results: z.array(exploreResult),
  })
  .superRefine(resultsMatchShard);

const RANK: Record<ExploreReport['verdict'], number> = { held: 0, 'held-so-far': 1, stopped: 1, violated: 2, crashed: 3 };

/** One policy's shards merged: the worst verdict, the depth every shard completed, the shortest counterexample. */
interface MergedExplore {
  readonly report: ExploreReport;
  readonly depthCompleted: number;
  /** States and transitions summed over the shards (states above the split are counted once per shard). */
  readonly states: number;
  readonly transitions: number;
  /** Transitions partial-order reduction saved, summed over the shards. */
  readonly transitionsSaved: number;
  readonly split: ExploreReport['shard']['split'];
  readonly perShard: readonly number[];
}

function mergePolicy(pieces: readonly ExploreReport[]): MergedExplore {
  const worst = Math.max(...pieces.map((p) => RANK[p.verdict]));
  const chosen = pieces
    .filter((p) => RANK[p.verdict] === worst)
    .sort((a, b) => a.trace.length - b.trace.length || a.shard.index - b.shard.index)[0] as ExploreReport;
  return {
    report: chosen,
    depthCompleted: Math.min(...pieces.map((p) => p.depthCompleted)),
    states: pieces.reduce((n, p) => n + p.stats.states, 0),
    transitions: pieces.reduce((n, p) => n + p.stats.transitions, 0),
    transitionsSaved: pieces.reduce((n, p) => n + (p.stats.transitionsSaved ?? 0), 0),
    split: pieces[0]?.shard.split ?? null,
    perShard: pieces.map((p) => p.stats.states),
  };
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

/** One policy's merged exploration in text: the guarantee of the shards together, or the shortest counterexample. */
function renderPolicy(m: MergedExplore, shards: number): string {
  const r = m.report;
  const name = `${r.arch}/${r.policy}`;
  const split = m.split
    ? `split at depth ${m.split.depth} (${count(m.split.width)} states) into ${shards} shards`
    : `no depth reached the split width: each of the ${shards} shards searched everything`;
  const coverage = `  ${split}; states per shard: ${m.perShard.map(count).join(', ')} (${count(m.states)} in all, the part above the split counted in every shard)`;
  if (r.verdict === 'crashed') return `${name}: the checker crashed (exit 3)\n  ${r.error ?? 'unknown error'}\n${coverage}\n`;
  if (r.verdict !== 'violated') {
    const head =
      m.depthCompleted === r.depth
        ? `${name}: held for every interleaving of at most ${r.depth} events (exhaustive, the shards together)`
        : `${name}: ${r.verdict}; held for every interleaving of at most ${m.depthCompleted} events (depth ${r.depth} not completed by every shard)`;
    return `${head}\n  domain: ${domainText(r.domain, r.config)}; ${configText(r.config)}\n${coverage}\n`;
  }
  const v = r.violation;
  return [
    `${name}: violated ${v?.invariant ?? '?'} (shard ${r.shard.index}/${r.shard.total})`,
    `Shortest counterexample: ${steps(r.trace.length)} (no shard has a shorter one, so none shorter exists in the explored domain)`,
    coverage,
    ...r.trace.map(
      (e, i) =>
        `  ${i + 1}. ${formatEvent(e as Parameters<typeof formatEvent>[0])}${v && i + 1 === v.step ? `   <== ${v.invariant} broke here (${v.at})` : ''}`,
    ),
    ...(v ? [`${v.invariant}: ${v.message}`] : []),
    `Replay: npx worldswitch explore ${r.policyFile ? policyArgOf(r) : name} --depth ${r.depth} --shard ${r.shard.index}/${r.shard.total}`,
    '',
  ].join('\n');
}

/**
 * `worldswitch merge` of `explore --shard K/N --json` reports: every shard once, every policy in
 * every shard; held only if every shard held to the full depth.
 * Exit codes: 3 crashed, 1 violated, 4 a shard stopped before the depth, 0 held.
 */
export function mergeExplore(read: readonly ReportFile[], flags: MergeFlags, io: Io): number {
  const reports = read.map((r) => ({ file: r.file, ...parseOrThrow(exploreEnvelope, r.json, r.file) }));
  const total = checkShardSet(reports, 'explore') as number;
  const policies = reports[0]?.shard.policies ?? 0;
  const groups: ExploreReport[][] = Array.from({ length: policies }, () => []);
  for (const r of reports) for (const res of r.results) groups[res.shard.item]?.push(res);
  groups.forEach((pieces, item) => {
    const head = pieces[0];
    const same = (p: ExploreReport): boolean =>
      p.policy === head?.policy &&
      p.arch === head.arch &&
      p.depth === head.depth &&
      JSON.stringify([p.invariants, p.config, p.symmetry, p.shard.split?.depth, p.shard.split?.width]) ===
        JSON.stringify([head.invariants, head.config, head.symmetry, head.shard.split?.depth, head.shard.split?.width]);
    if (pieces.length !== total || !pieces.every(same)) {
      throw new UsageError(`The shards disagree on policy #${item + 1}: run every shard with the same policies and flags.`);
    }
  });
  const merged = groups.map(mergePolicy);
  const verdicts: CiVerdict[] = merged.map((m) => {
    const r = m.report;
    return mergedVerdict(r, {
      seconds: 0,
      text: renderPolicy(m, total),
      properties: { depth: r.depth, depthCompleted: m.depthCompleted, states: m.states },
    });
  });
  if (flags.junit) writeJunit(flags.junit, 'explore', verdicts);
  annotate(io, verdicts);
  if (flags.json) {
    const results = merged.map((m) => {
      const { shard: _shard, ...rest } = m.report;
      return {
        ...rest,
        depthCompleted: m.depthCompleted,
        shards: { total, split: m.split, states: m.perShard },
        stats: { ...m.report.stats, states: m.states, transitions: m.transitions, transitionsSaved: m.transitionsSaved },
      };
    });
    io.out(
      `${JSON.stringify({ reportVersion: REPORT_VERSION, command: 'merge', of: 'explore', reports: read.length, results }, null, 2)}\n`,
    );
  } else {
    io.out(verdicts.map((v) => v.text).join('\n'));
  }
  const all = merged.map((m) => m.report.verdict);
  return all.includes('crashed') ? 3 : all.includes('violated') ? 1 : all.some((v) => v !== 'held') ? 4 : 0;
}
