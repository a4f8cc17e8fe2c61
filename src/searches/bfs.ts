import { CheckerCrash, EVENT_WIDTH, type Executor, type Watch } from '../engine/execute.js';
import type { BfsOptions, BfsResult } from './bfs-types.js';
import { EventNumbers } from './event-writes.js';
import { deferredChecks, EXPAND_DONE, Expander, type ExpandSink } from './expand-state.js';
import { type BfsLevel, RECORD_HEAD, WorkerPool } from './parallel-bfs.js';
import { ShippedSleepSets } from './sleep-words.js';
import { SizedFrontier, SparseFrontier } from './sparse-frontier.js';
import { StateSet } from './state-set.js';
import { WorldCodec } from './world-codec.js';

export type { BfsOptions, BfsResult } from './bfs-types.js';
export type { Alphabet } from './expand-state.js';
export { traceAlphabet } from './trace-alphabet.js';

/**
 * Breadth-first search over canonical world states from the initial world, deduplicated by a
 * 64-bit fingerprint of the packed state (DESIGN §6). The first violation found is at minimal
 * depth; parent pointers give its trace.
 */
export function bfs(x: Executor, options: BfsOptions): BfsResult {
  const codec = new WorldCodec(x.model, x.world.shape);
  const W = codec.width;
  const pool = parallelPool(x, options);
  // A parallel search's workers read the table (as of each level's start) in shared memory.
  const seen = new StateSet(1 << 16, pool !== undefined);
  // The states a parallel level has merged so far: `seen` stays as the workers read it until the level ends.
  const merged = new StateSet(pool === undefined ? 1 : 1 << 12);
  const fp = new Uint32Array(2);
  const events = new EventNumbers();
  let parents = new Int32Array(1024);
  let via = new Int32Array(1024);
  let perms = new Int8Array(1024);
  let nodes = 0;
  const addNode = (parent: number, ev: number, perm: number): number => {
    if (nodes === parents.length) {
      const p = new Int32Array(nodes * 2);
      p.set(parents);
      parents = p;
      const v = new Int32Array(nodes * 2);
      v.set(via);
      via = v;
      const q = new Int8Array(nodes * 2);
      q.set(perms);
      perms = q;
    }
    parents[nodes] = parent;
    via[nodes] = ev;
    perms[nodes] = perm;
    return nodes++;
  };
  /**
   * The concrete events from the initial world to `node`, then `last`. With symmetry each state is
   * stored in its canonical CPU numbering; composing the stored permutations maps every event's CPU
   * operands back to the numbering of the real run.
   */
  const path = (node: number, last: Float64Array): Float64Array[] => {
    const chain: number[] = [];
    for (let n = node; n > 0; n = parents[n] as number) chain.push(n);
    chain.reverse();
    let frame = Int8Array.from({ length: x.world.shape.cpus }, (_, i) => i);
    const out: Float64Array[] = [];
    const actual = (ev: Float64Array): Float64Array => {
      const copy = ev.slice();
      x.kinds[ev[0] as number]?.operands.forEach(([, k], i) => {
        if (k === 'cpu') copy[i + 1] = frame[ev[i + 1] as number] as number;
      });
      return copy;
    };
    for (const n of chain) {
      const e = via[n] as number;
      out.push(actual(events.data().subarray(e * EVENT_WIDTH, (e + 1) * EVENT_WIDTH)));
      const perm = codec.perms[perms[n] as number] as Int8Array;
      const before = frame;
      frame = Int8Array.from(perm, (old) => before[old] as number);
    }
    out.push(actual(last));
    return out;
  };

  x.reset();
  const scratch = new Float64Array(W);
  codec.encode(x.world, scratch, 0, 0, fp);
  seen.add(fp[0] as number, fp[1] as number);
  const root = scratch.slice();
  const current = new Float64Array(W);
  let frontier = new SparseFrontier(root);
  frontier.push(root, addNode(-1, -1, 0));
  const expander = new Expander(x, codec, options.alphabet, options.symmetry === true, options.only, options.eagerChecks !== true);
  let transitions = 0;
  let peakBytes = 0;
  const max = options.maxTransitions ?? Number.POSITIVE_INFINITY;
  const result = (
    outcome: BfsResult['outcome'],
    depthCompleted: number,
    trace?: Float64Array[],
    stoppedBy?: BfsResult['stoppedBy'],
  ): BfsResult => ({
    outcome,
    depthCompleted,
    states: seen.size,
    transitions,
    peakBytes,
    ...(trace ? { trace } : {}),
    ...(stoppedBy ? { stoppedBy } : {}),
    ...(split ? { split } : {}),
    ...(por ? { pruned: por.pruned } : {}),
  });
  const share = options.partition;
  const splitAt = (depth: number, width: number): BfsResult['split'] =>
    share && { depth, width, owned: width >= share.index ? Math.floor((width - share.index) / share.total) + 1 : 0 };
  let split: BfsResult['split'] = share?.depth === 0 ? splitAt(0, 1) : undefined;
  const maxStates = options.maxStates ?? Number.POSITIVE_INFINITY;
  let completed = 0;
  // POR: sleep sets over the interned events (see sleep-sets.ts); invariants reported, for its audit.
  const por = options.por ? new ShippedSleepSets(x, events, options.porAudit === true, codec.perms) : undefined;
  const reported = new Set<string>();
  expander.por = por;
  // The level under way, the node being expanded, the frontier being built, and how the search ended.
  let level = 0;
  let node = 0;
  let next: SparseFrontier | SizedFrontier = frontier;
  let ended: BfsResult | undefined;
  // Once workers have stored states, this thread's codec has not seen every word that varies.
  let wentParallel = false;
  /** The sequential search's answers to the expansion (the parallel one merges workers' answers in the same order). */
  const sink: ExpandSink = {
    transition: () => {
      if ((++transitions & 1023) === 0) {
        options.onProgress?.(level, seen.size, transitions, peakBytes);
        if (options.shouldStop?.()) {
          ended = result('stopped', level - 1);
          return true;
        }
      }
      return false;
    },
    violation: (ev, invariant) => {
      reported.add(invariant);
      if (options.onViolation?.(ev, () => path(node, ev))) return true;
      ended = { ...result('violated', level - 1, path(node, ev)), invariant };
      return false;
    },
    successor: (ev, perm, f, e) => {
      if (!seen.add(f[0] as number, f[1] as number)) {
        por?.revisit(e, perm, f);
        return false;
      }
      por?.stored(next.length, e, perm, f);
      next.pushWorld(codec, x.world, perm, addNode(node, events.intern(ev), perm));
      if (seen.size < maxStates) return false;
      ended = result('stopped', level - 1, undefined, 'max-states');
      return true;
    },
  };
  try {
    return search();
  } catch (e) {
    // The frontier and the state table are typed arrays: a failed allocation ends the search with
    // the depths already completed, not with a crash that loses them.
    if (e instanceof RangeError && /allocation failed|Invalid typed array length|Array buffer/i.test(e.message)) {
      return result('stopped', completed, undefined, 'out-of-memory');
    }
    throw e;
  } finally {
    pool?.close();
    deferredChecks.skipped += expander.passed?.hits ?? 0;
    deferredChecks.reruns += expander.reruns;
  }

  function search(): BfsResult {
    for (let d = 1; d <= options.depth; d++) {
      level = d;
      // The last level's successors are never expanded: only counted (states, peak bytes).
      next = d === options.depth ? new SizedFrontier() : frontier.nextLevel(pool !== undefined);
      if (por) {
        por.beginLevel();
        por.storing = d < options.depth;
      }
      const partitioned = split !== undefined && split.depth === d - 1 && share !== undefined ? share : undefined;
      const end = pool?.wants(frontier.length) ? parallelLevel(d, partitioned) : sequentialLevel(d, partitioned);
      if (end) return end;
      if (por?.audit) por.endLevel(seen, reported);
      const porBytes = por?.bytes ?? 0; // POR: the sleep sets of this level and the next
      peakBytes = Math.max(peakBytes, seen.bytes + next.bytes + frontier.bytes + parents.byteLength * 2 + perms.byteLength + porBytes);
      if (next instanceof SparseFrontier) frontier = next;
      completed = d;
      if (share?.depth === d) split = splitAt(d, next.length);
      if (options.onLevel?.(d, seen.size, transitions) === false) return result('stopped', d);
      if (next.length === 0) return result('held', options.depth);
    }
    return result('held', options.depth);
  }

  /** Expands every state of the frontier (of this share) in this thread; a result if the search ends in this level. */
  function sequentialLevel(d: number, partitioned: { index: number; total: number } | undefined): BfsResult | undefined {
    const watch = x.watch;
    for (let s = 0; s < frontier.length; s++) {
      if (partitioned && s % partitioned.total !== partitioned.index - 1) continue;
      node = frontier.get(s, current, wentParallel ? codec : undefined);
      // A user policy under a watchdog: the path to this state is where a hook that hangs is reported.
      if (watch) writeWatchPath(watch, path(node, EMPTY_EVENT).slice(0, -1));
      if (expander.expand(current, d, sink, s) !== EXPAND_DONE) return ended;
      if (transitions > max) return result('budget', d - 1);
    }
    return undefined;
  }

  /**
   * Expands the frontier in the workers, then takes their answers chunk by chunk in frontier
   * order, storing states exactly as `sequentialLevel` would: the same numbering, counts,
   * `--max-states` cut and first violation.
   */
  function parallelLevel(d: number, partitioned: { index: number; total: number } | undefined): BfsResult | undefined {
    wentParallel = true;
    options.parallel?.onParallelLevel?.(d, frontier.length);
    let end: BfsResult | undefined;
    const before = transitions;
    const out = (pool as WorkerPool).run(
      {
        d,
        root,
        frontier: frontier.shared(),
        width: frontier.length,
        seen: seen.tables,
        countsOnly: d === options.depth,
        ...(por ? { sleep: por.levelSleep(frontier.length) } : {}),
        ...(partitioned ? { partition: partitioned } : {}),
      },
      // Chunks are merged in frontier order while the workers still expand later ones.
      (chunk) => (end = mergeChunk(d, chunk)) !== undefined,
      (extra) => options.onProgress?.(d, seen.size + merged.size, before + extra, peakBytes),
      options.shouldStop,
    );
    if (out.ended) return end;
    if (out.cpuNumberRead) x.cpuNumberRead = true;
    if (out.stopped) {
      // Counted with the transitions of the chunks merged before the stop, as one thread counts a level cut short.
      merged.moveInto(seen);
      return result('stopped', d - 1);
    }
    for (const chunk of out.chunks) {
      end = mergeChunk(d, chunk);
      if (end) return end;
    }
    merged.moveInto(seen);
    return undefined;
  }

  /** Stores one chunk's new states in order; a result if the search ends in it. */
  function mergeChunk(d: number, chunk: BfsLevel['chunks'][number]): BfsResult | undefined {
    const data = chunk.data;
    const countsOnly = d === options.depth;
    for (let o = 0; o < chunk.length; ) {
      const pairs = data[o + RECORD_HEAD + EVENT_WIDTH] as number;
      const at = o + RECORD_HEAD + EVENT_WIDTH + 1;
      const record = o;
      o = countsOnly || pairs < 0 ? at : at + 2 * pairs;
      // POR: the transitions pruned so far in the chunk, then the successor's sleep set (see ShippedSleepSets.ship).
      const pruned = o;
      if (por) o += 3 + (data[o + 2] as number);
      fp[0] = data[record] as number;
      fp[1] = data[record + 1] as number;
      // A record's state is not in `seen`: the threads record only successors the table lacked at the level's start.
      if (!merged.add(fp[0] as number, fp[1] as number)) {
        por?.revisitShipped(data, pruned + 1, fp);
        continue;
      }
      por?.storedShipped(next.length, data, pruned + 1, fp);
      const perm = data[record + 3] as number;
      const ev = data.subarray(record + RECORD_HEAD, record + RECORD_HEAD + EVENT_WIDTH);
      next.pushDifferences(data, at, pairs, addNode(frontier.node(data[record + 2] as number), events.intern(ev), perm));
      if (seen.size + merged.size >= maxStates) {
        transitions += data[record + 4] as number;
        if (por) por.pruned += data[pruned] as number;
        merged.moveInto(seen);
        return result('stopped', d - 1, undefined, 'max-states');
      }
    }
    const error = chunk.error;
    // Rethrown as its kind: a checker crash, or a failed allocation (the search stops with what it completed).
    if (error) {
      merged.moveInto(seen);
      throw new (error.kind === 'crash' ? CheckerCrash : error.kind === 'range' ? RangeError : Error)(error.message);
    }
    const v = chunk.violation;
    if (v) {
      merged.moveInto(seen);
      transitions += v.ordinal;
      if (por) por.pruned += v.pruned;
      return { ...result('violated', d - 1, path(frontier.node(v.state), Float64Array.from(v.ev))), invariant: v.invariant };
    }
    transitions += chunk.transitions;
    if (por) por.pruned += chunk.pruned;
    return undefined;
  }
}

/** The worker pool of a parallel search, or undefined for a sequential one (see BfsOptions.parallel). */
function parallelPool(x: Executor, options: BfsOptions): WorkerPool | undefined {
  const p = options.parallel;
  // POR's audit runs pruned transitions and checks them level by level in one thread.
  if (
    !p ||
    p.workers <= 1 ||
    options.onViolation ||
    options.maxTransitions !== undefined ||
    x.watch ||
    options.porAudit ||
    options.eagerChecks
  )
    return undefined;
  const spec = {
    ...p.policy,
    symmetry: options.symmetry === true,
    ...(options.only ? { only: options.only } : {}),
    ...(options.por ? { por: true } : {}),
  };
  return new WorkerPool(p.workers, spec, x, options.alphabet, p.minWidth);
}

const EMPTY_EVENT = new Float64Array(EVENT_WIDTH);

/** Writes a path into a watchdog's shared trace (as far as it fits) and its length. */
function writeWatchPath(watch: Watch, events: readonly Float64Array[]): void {
  const fit = Math.min(events.length, Math.floor(watch.trace.length / EVENT_WIDTH));
  for (let i = 0; i < fit; i++) watch.trace.set(events[i] as Float64Array, i * EVENT_WIDTH);
  watch.beat[2] = fit;
}
