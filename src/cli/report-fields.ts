/**
 * The fields of a JSON report that `merge` reads, as `check --json` and `explore --json` can
 * write them: counts that are non-negative integers, a seed in `--seed`'s range, a shard K/N with
 * 1 <= K <= N, a slice of runs inside its policy's runs. A hand-edited report with an impossible
 * value (`runs: -5`, shard 3/2) is a usage error naming the file and the field (`parseOrThrow`),
 * never merged into a verdict.
 */
import * as z from 'zod';
import { REPORT_VERSION } from '../reports/json.js';
import { MAX_SHARDS } from './shard.js';

/** A count: runs, events, states, a depth. */
export const natural = z.int().min(0);

/** A duration or another measure that cannot be negative. */
export const measure = z.number().nonnegative();

/** A fast-check seed, as `--seed` takes it. */
export const seed = z.int().min(-0x80000000).max(0x7fffffff);

/** The most runs `check --runs` takes. */
export const MAX_RUNS = 10_000_000;

/** A shard's number or the number of shards (`--shard K/N`). */
const shardNumber = z.int().min(1).max(MAX_SHARDS);

/**
 * What a `check` and an `explore` report both begin with: the version, the command (`error` says what
 * merge takes), the policy and its architecture, its file, the model flags and the invariants.
 */
export const reportHead = (command: 'check' | 'explore', error: string) => ({
  reportVersion: z.literal(REPORT_VERSION),
  command: z.literal(command, { error }),
  policy: z.string(),
  arch: z.string(),
  policyFile: z.string().optional(),
  /** The export of `policyFile` the report is of, when the file holds several (`file.ts#export` names it). */
  policyExport: z.string().optional(),
  config: z.record(z.string(), z.number()),
  invariants: z.array(z.string()),
});

/** A violation as a report records it. */
export const violation = z.looseObject({ invariant: z.string(), step: natural, message: z.string(), at: z.string() });

type Ctx = z.core.$RefinementCtx;

/** An issue at `path` of the value being checked. */
const issue = (ctx: Ctx, path: PropertyKey[], message: string): void => {
  ctx.addIssue({ code: 'custom', path, message, input: undefined });
};

/** `index` within `total` (shard K/N with K <= N). */
function indexWithin(s: { index: number; total: number }, ctx: Ctx): void {
  if (s.index > s.total) issue(ctx, ['index'], `shard ${s.index}/${s.total}: the shard number is larger than the number of shards`);
}

/** An envelope's shard: this report is shard `index` of `total`, over `policies` selected policies; `error` when it is not there. */
export const envelopeShard = (error?: string) =>
  z
    .strictObject(
      // selection: check's policy list as arch/name (merge's checkOneRun compares it across shards).
      { index: shardNumber, total: shardNumber, policies: natural, selection: z.array(z.string()).optional() },
      error === undefined ? undefined : { error },
    )
    .superRefine(indexWithin);

/** A result's shard in a `check` report: policy `item`, runs `from` up to `to` of its `of`. */
export const checkSlice = z
  .strictObject({ index: shardNumber, total: shardNumber, item: natural, from: natural, to: natural, of: z.int().min(1).max(MAX_RUNS) })
  .superRefine((s, ctx) => {
    indexWithin(s, ctx);
    if (s.from > s.to || s.to > s.of) issue(ctx, ['to'], `runs ${s.from} up to ${s.to} of ${s.of} are no slice of the policy's runs`);
  });

/** A result's shard in an `explore` report: policy `item`, and where the search was split (`owned` of `width` states). */
export const exploreSlice = z
  .strictObject({
    index: shardNumber,
    total: shardNumber,
    item: natural,
    split: z.strictObject({ depth: natural, width: natural, owned: natural }).nullable(),
  })
  .superRefine((s, ctx) => {
    indexWithin(s, ctx);
    if (s.split && s.split.owned > s.split.width)
      issue(ctx, ['split', 'owned'], `${s.split.owned} states owned of a split ${s.split.width} wide`);
  });

/**
 * Checks what ties an envelope's results to its shard: every result of a sharded report has its
 * shard, with the same K/N and a policy below the envelope's natural of policies.
 */
export function resultsMatchShard(
  e: {
    shard?: { index: number; total: number; policies: number } | undefined;
    results: readonly { shard?: { index: number; total: number; item: number } | undefined }[];
  },
  ctx: Ctx,
): void {
  e.results.forEach((r, i) => {
    const s = e.shard;
    if (s === undefined || r.shard === undefined) {
      if (s) issue(ctx, ['results', i, 'shard'], `missing: every result of a sharded report (shard ${s.index}/${s.total}) has its shard`);
      return;
    }
    if (r.shard.index !== s.index || r.shard.total !== s.total)
      issue(ctx, ['results', i, 'shard'], `shard ${r.shard.index}/${r.shard.total} in a report of shard ${s.index}/${s.total}`);
    else if (r.shard.item >= s.policies)
      issue(ctx, ['results', i, 'shard', 'item'], `policy #${r.shard.item + 1} of a report over ${s.policies} policies`);
  });
}
