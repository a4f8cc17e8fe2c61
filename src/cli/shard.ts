import { InvalidArgumentError } from 'commander';
import { UsageError } from '../persistence/usage-error.js';

/** `--shard K/N`: this process is shard `index` (1-based) of `total`. */
export interface Shard {
  readonly index: number;
  readonly total: number;
}

/** The most shards `--shard` accepts. */
export const MAX_SHARDS = 10_000;

/** Parses `--shard K/N` (1 ≤ K ≤ N), the form vitest, jest and playwright use. */
export function parseShard(value: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(value);
  const index = Number(m?.[1]);
  const total = Number(m?.[2]);
  if (!m || index < 1 || total < 1 || index > total || total > MAX_SHARDS) {
    throw new InvalidArgumentError(`--shard takes K/N with 1 <= K <= N <= ${MAX_SHARDS} (e.g. --shard 2/4), got "${value}".`);
  }
  return { index, total };
}

/** One piece of a sharded run: the selected policy `item` (its index in the selection), runs `from` up to `to` (exclusive). */
export interface ShardUnit {
  readonly item: number;
  readonly from: number;
  readonly to: number;
}

/**
 * The pieces shard K of N runs, deterministically. Each of the `items` selected policies is cut
 * into ceil(N / items) slices of its run indices (one slice when there are at least N policies,
 * never more slices than runs); the slices, in selection order, are dealt round-robin to the
 * shards. Run indices are fast-check's: slice [from, to) with the same seed runs exactly the
 * interleavings runs from…to-1 of one unsharded process, so all N shards together run exactly
 * what one process runs.
 */
export function shardUnits(items: number, runs: number, shard: Shard): ShardUnit[] {
  const slices = Math.max(1, Math.min(runs, Math.ceil(shard.total / Math.max(1, items))));
  const out: ShardUnit[] = [];
  for (let item = 0; item < items; item++) {
    for (let j = 0; j < slices; j++) {
      if ((item * slices + j) % shard.total !== shard.index - 1) continue;
      out.push({ item, from: Math.floor((j * runs) / slices), to: Math.floor(((j + 1) * runs) / slices) });
    }
  }
  return out;
}

/** A report's envelope as `merge` checks it: the file and the shard that wrote it. */
export interface ShardedReport {
  readonly file: string;
  readonly shard?: { readonly index: number; readonly total: number; readonly policies: number } | undefined;
}

/**
 * Checks that `reports` are every shard of one run, each once (a verdict over part of a run would
 * be a false `held`); returns N, or undefined when none is sharded. A usage error otherwise.
 */
export function checkShardSet(reports: readonly ShardedReport[], command: string): number | undefined {
  const head = reports[0];
  const first = head?.shard;
  if (!head || !first) {
    const sharded = reports.find((r) => r.shard);
    if (sharded)
      throw new UsageError(`${head?.file} is not a sharded report but ${sharded.file} is: merge the shards of one ${command} run.`);
    return undefined;
  }
  const seen = new Map<number, string>();
  for (const r of reports) {
    if (!r.shard)
      throw new UsageError(`${r.file} is not a sharded report (${command} --shard K/N --json) but ${head.file} is: merge one kind.`);
    if (r.shard.total !== first.total || r.shard.policies !== first.policies) {
      throw new UsageError(
        `${r.file} is shard ${r.shard.index}/${r.shard.total} of ${r.shard.policies} policies, but ${head.file} is shard ${first.index}/${first.total} of ${first.policies}: merge the shards of one run.`,
      );
    }
    const twice = seen.get(r.shard.index);
    if (twice) throw new UsageError(`Shard ${r.shard.index}/${first.total} is given twice (${twice} and ${r.file}).`);
    seen.set(r.shard.index, r.file);
  }
  const missing = Array.from({ length: first.total }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length > 0) {
    throw new UsageError(
      `Shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${first.total}`).join(', ')} missing: merge needs every shard's report, or the verdict would cover only part of the run.`,
    );
  }
  return first.total;
}

/** What `checkOneRun` compares: a check report's envelope and its results. */
interface RunShard {
  readonly file: string;
  readonly shard?: { readonly selection?: readonly string[] | undefined } | undefined;
  readonly results: readonly {
    readonly arch: string;
    readonly policy: string;
    readonly seed: number;
    readonly maxSteps: number;
    readonly invariants: readonly string[];
    readonly config: Readonly<Record<string, number>>;
    readonly shard?: { readonly item: number; readonly of: number } | undefined;
  }[];
}

/**
 * Checks that the shards of a `check --shard` set come from one run: the same policy list (each
 * shard records it; without it, a policy seen at two places in the list), the same seed, runs and
 * --max-steps everywhere, and per architecture the same invariants and model flags. Shards that each
 * hold whole policies would otherwise merge across runs and leave a policy unchecked: a false held.
 */
export function checkOneRun(reports: readonly RunShard[]): void {
  const disagree = (a: string, b: string, what: string): never => {
    throw new UsageError(`${a} and ${b} come from different runs (${what}): merge the shards of one run.`);
  };
  const head = reports[0];
  if (!head) return;
  const list = JSON.stringify(head.shard?.selection);
  const atItem = new Map<number, string>();
  const itemOf = new Map<string, number>();
  const perArch = new Map<string, { file: string; invariants: string; config: string }>();
  let run: { file: string; seed: number; maxSteps: number; of: number } | undefined;
  for (const r of reports) {
    if (r.shard?.selection !== undefined && head.shard?.selection !== undefined && JSON.stringify(r.shard.selection) !== list)
      disagree(head.file, r.file, 'their policy lists differ');
    for (const res of r.results) {
      const name = `${res.arch}/${res.policy}`;
      const item = res.shard?.item ?? -1;
      const listed = r.shard?.selection?.[item];
      if (listed !== undefined && listed !== name) disagree(r.file, head.file, `policy #${item + 1} is ${name}, not ${listed}`);
      const other = atItem.get(item);
      if (other !== undefined && other !== name)
        disagree(head.file, r.file, `policy #${item + 1} is ${other} in one, ${name} in the other`);
      atItem.set(item, name);
      const at = itemOf.get(name);
      if (at !== undefined && at !== item) disagree(head.file, r.file, `${name} is policy #${at + 1} in one and #${item + 1} in the other`);
      itemOf.set(name, item);
      const of = res.shard?.of ?? -1;
      if (run === undefined) run = { file: r.file, seed: res.seed, maxSteps: res.maxSteps, of };
      else if (run.seed !== res.seed || run.maxSteps !== res.maxSteps || run.of !== of)
        disagree(run.file, r.file, 'their --seed, --runs or --max-steps differ');
      const flags = { file: r.file, invariants: JSON.stringify(res.invariants), config: JSON.stringify(res.config) };
      const same = perArch.get(res.arch);
      if (same === undefined) perArch.set(res.arch, flags);
      else if (same.invariants !== flags.invariants || same.config !== flags.config)
        disagree(same.file, r.file, `their invariants or model flags for ${res.arch} differ`);
    }
  }
}
