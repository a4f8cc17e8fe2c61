import { InvalidArgumentError } from 'commander';

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
