import { EVENT_WIDTH, type Executor } from './execute.js';
import { fingerprint, StateSet } from './state-set.js';
import { WorldCodec } from './world-codec.js';

/** Enumerates the concrete events enabled in the executor's current world; `emit` may reuse nothing it is given. */
export type Alphabet = (x: Executor, emit: (ev: Float64Array) => void) => void;

/** What a breadth-first search takes. */
export interface BfsOptions {
  readonly depth: number;
  readonly alphabet: Alphabet;
  /** Only violations of this invariant count; a path that breaks another one ends there. */
  readonly only?: string;
  /** Transitions to try before giving up (the result says `budget`). */
  readonly maxTransitions?: number;
  /** Called after each completed depth. */
  readonly onLevel?: (depth: number, states: number, transitions: number) => boolean | undefined;
}

/** The outcome of a breadth-first search. */
export interface BfsResult {
  readonly outcome: 'held' | 'violated' | 'budget' | 'stopped';
  /** Depths fully explored (every state at that distance expanded). */
  readonly depthCompleted: number;
  readonly states: number;
  readonly transitions: number;
  /** Bytes held by the visited-state table and the largest frontier. */
  readonly peakBytes: number;
  /** The shortest violating path, when one was found. */
  readonly trace?: readonly Float64Array[];
}

class Growable {
  data: Float64Array;
  length = 0;
  constructor(
    readonly width: number,
    capacity = 1024,
  ) {
    this.data = new Float64Array(width * capacity);
  }
  /** Reserves one record and returns its offset. */
  push(): number {
    if ((this.length + 1) * this.width > this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    return this.length++ * this.width;
  }
}

/**
 * Breadth-first search over canonical world states from the initial world, deduplicated by a
 * 64-bit fingerprint of the packed state (DESIGN §6). The first violation found is at minimal
 * depth; parent pointers give its trace.
 */
export function bfs(x: Executor, options: BfsOptions): BfsResult {
  const codec = new WorldCodec(x.model, x.world.shape);
  const W = codec.width;
  const seen = new StateSet();
  const fp = new Uint32Array(2);
  const events = new Growable(EVENT_WIDTH);
  const eventIndex = new Map<string, number>();
  let parents = new Int32Array(1024);
  let via = new Int32Array(1024);
  let nodes = 0;
  const addNode = (parent: number, ev: number): number => {
    if (nodes === parents.length) {
      const p = new Int32Array(nodes * 2);
      p.set(parents);
      parents = p;
      const v = new Int32Array(nodes * 2);
      v.set(via);
      via = v;
    }
    parents[nodes] = parent;
    via[nodes] = ev;
    return nodes++;
  };
  const internEvent = (ev: Float64Array): number => {
    const key = ev.join(',');
    let i = eventIndex.get(key);
    if (i === undefined) {
      i = events.length;
      events.data.set(ev, events.push());
      eventIndex.set(key, i);
    }
    return i;
  };
  const path = (node: number, last: Float64Array): Float64Array[] => {
    const out = [last.slice()];
    for (let n = node; n > 0; n = parents[n] as number) {
      const e = via[n] as number;
      out.push(events.data.slice(e * EVENT_WIDTH, (e + 1) * EVENT_WIDTH));
    }
    return out.reverse();
  };

  x.reset();
  let frontier = new Growable(W + 1);
  let o = frontier.push();
  codec.encode(x.world, frontier.data, o);
  frontier.data[o + W] = addNode(-1, -1);
  fingerprint(frontier.data, o, W, fp);
  seen.add(fp[0] as number, fp[1] as number);
  const scratch = new Float64Array(W);
  const pending: Float64Array[] = [];
  let pendingCount = 0;
  const collect = (ev: Float64Array): void => {
    if (pendingCount === pending.length) pending.push(new Float64Array(EVENT_WIDTH));
    (pending[pendingCount++] as Float64Array).set(ev);
  };
  let transitions = 0;
  let peakBytes = 0;
  const max = options.maxTransitions ?? Number.POSITIVE_INFINITY;
  const result = (outcome: BfsResult['outcome'], depthCompleted: number, trace?: Float64Array[]): BfsResult => ({
    outcome,
    depthCompleted,
    states: seen.size,
    transitions,
    peakBytes,
    ...(trace ? { trace } : {}),
  });

  for (let d = 1; d <= options.depth; d++) {
    const next = new Growable(W + 1, Math.max(1024, frontier.length));
    for (let s = 0; s < frontier.length; s++) {
      const so = s * (W + 1);
      const node = frontier.data[so + W] as number;
      codec.decode(frontier.data, so, x.world);
      pendingCount = 0;
      options.alphabet(x, collect);
      for (let e = 0; e < pendingCount; e++) {
        const ev = pending[e] as Float64Array;
        if (e > 0) codec.decode(frontier.data, so, x.world);
        x.step = d - 1;
        x.violation = undefined;
        x.warnings.length = 0;
        x.apply(ev);
        transitions++;
        const v = x.violation as { invariant: string } | undefined;
        if (v !== undefined) {
          if (options.only === undefined || v.invariant === options.only) return result('violated', d - 1, path(node, ev));
          continue;
        }
        codec.encode(x.world, scratch, 0);
        fingerprint(scratch, 0, W, fp);
        if (!seen.add(fp[0] as number, fp[1] as number)) continue;
        o = next.push();
        next.data.set(scratch, o);
        next.data[o + W] = addNode(node, internEvent(ev));
      }
      if (transitions > max) return result('budget', d - 1);
    }
    peakBytes = Math.max(peakBytes, seen.bytes + next.data.byteLength + frontier.data.byteLength + parents.byteLength * 2);
    frontier = next;
    if (options.onLevel?.(d, seen.size, transitions) === false) return result('stopped', d);
    if (frontier.length === 0) return result('held', options.depth);
  }
  return result('held', options.depth);
}

/** The alphabet of a counterexample: its own events, each also with every CPU and vCPU operand value. */
export function traceAlphabet(x: Executor, trace: readonly Float64Array[]): Alphabet {
  const { cpus, vcpus } = x.world.shape;
  const variants = new Map<string, Float64Array>();
  for (const ev of trace) {
    let list = [ev.slice()];
    const kind = x.kinds[ev[0] as number];
    kind?.operands.forEach(([, k], i) => {
      const n = k === 'cpu' ? cpus : k === 'vcpu' ? vcpus : 0;
      if (n === 0) return;
      list = list.flatMap((e) =>
        Array.from({ length: n }, (_, value) => {
          const copy = e.slice();
          copy[i + 1] = value;
          return copy;
        }),
      );
    });
    for (const e of list) variants.set(e.join(','), e);
  }
  const all = [...variants.values()];
  return (xx, emit) => {
    for (const ev of all) if (xx.kinds[ev[0] as number]?.accepts(xx, ev)) emit(ev);
  };
}
