import type { World } from '../engine/world.js';
import type { WorldCodec } from './world-codec.js';

/**
 * A frontier of packed states, each stored as the words where it differs from the root state
 * (a node id, a count, then index/value pairs): most of a world is still at reset, so this holds
 * a state in a fraction of the codec's width (VHE: ~500 words).
 */
export class SparseFrontier {
  private data: Float64Array;
  private used = 0;
  private starts: Int32Array;
  length = 0;
  /**
   * With `shared`, the states live in SharedArrayBuffers, so that a parallel level's workers read
   * them where they are (`shared()`) instead of from a copy as large as the frontier.
   */
  constructor(
    private readonly root: Float64Array,
    capacity = 1024,
    private readonly sharedMemory = false,
    wordsPerState = 16,
    private readonly parentLength = 1,
  ) {
    this.data = allocate(Float64Array, Math.max(1024, Math.ceil(capacity * wordsPerState)), sharedMemory);
    this.starts = allocate(Int32Array, Math.max(1024, capacity), sharedMemory);
  }
  /** Appends the packed state `dense` (the codec's width) reached as node `node`. */
  push(dense: Float64Array, node: number): void {
    const root = this.root;
    const W = root.length;
    if (this.used + 2 + 2 * W > this.data.length) this.data = grow(this.data, this.used + 2 + 2 * W, this.sharedMemory);
    if (this.length === this.starts.length) this.starts = grow(this.starts, this.length + 1, this.sharedMemory);
    const d = this.data;
    const start = this.used;
    let o = start + 2;
    for (let i = 0; i < W; i++) {
      const v = dense[i] as number;
      if (v !== root[i]) {
        d[o++] = i;
        d[o++] = v;
      }
    }
    d[start] = node;
    d[start + 1] = (o - start - 2) / 2;
    this.starts[this.length++] = start;
    this.used = o;
  }
  /** Appends world `w` packed by `codec` with its CPUs in order `perm`, reached as node `node`. */
  pushWorld(codec: WorldCodec, w: World, perm: number, node: number): void {
    const W = this.root.length;
    if (this.used + 2 + 2 * W > this.data.length) this.data = grow(this.data, this.used + 2 + 2 * W, this.sharedMemory);
    if (this.length === this.starts.length) this.starts = grow(this.starts, this.length + 1, this.sharedMemory);
    const start = this.used;
    const end = codec.encodeDifferences(w, perm, this.root, this.data, start + 2);
    this.data[start] = node;
    this.data[start + 1] = (end - start - 2) / 2;
    this.starts[this.length++] = start;
    this.used = end;
  }
  /** Appends a state given as `pairs` index/value pairs at `at` of `src` (as `encodeDifferences` writes them), reached as node `node`. */
  pushDifferences(src: Float64Array, at: number, pairs: number, node: number): void {
    const W = this.root.length;
    if (this.used + 2 + 2 * W > this.data.length) this.data = grow(this.data, this.used + 2 + 2 * W, this.sharedMemory);
    if (this.length === this.starts.length) this.starts = grow(this.starts, this.length + 1, this.sharedMemory);
    const start = this.used;
    this.data[start] = node;
    this.data[start + 1] = pairs;
    this.data.set(src.subarray(at, at + 2 * pairs), start + 2);
    this.starts[this.length++] = start;
    this.used = start + 2 + 2 * pairs;
  }
  /** The node id of state `s`. */
  node(s: number): number {
    return this.data[this.starts[s] as number] as number;
  }
  /** The states in shared memory (a copy unless they live there), for the workers of a parallel level (read with `unpackState`). */
  shared(): { readonly data: Float64Array; readonly starts: Int32Array } {
    if (this.sharedMemory) return { data: this.data, starts: this.starts };
    const data = new Float64Array(new SharedArrayBuffer(8 * Math.max(1, this.used)));
    data.set(this.data.subarray(0, this.used));
    const starts = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, this.length)));
    starts.set(this.starts.subarray(0, this.length));
    return { data, starts };
  }
  /** Writes state `s` into `dense`; returns its node id. With `learn`, tells that codec the words where `s` differs from the root. */
  get(s: number, dense: Float64Array, learn?: WorldCodec): number {
    return unpackState(this.data, this.starts, s, this.root, dense, learn);
  }
  get bytes(): number {
    return this.data.byteLength + this.starts.byteLength;
  }
  /**
   * An empty frontier for the next level, sized from this level's growth over its parent level and
   * its words per state, so that it is not grown (copied) as it fills; pages it never fills are never touched.
   */
  nextLevel(shared: boolean): SparseFrontier {
    const growth = Math.max(1, this.length / Math.max(1, this.parentLength));
    const words = this.length === 0 ? 2 : this.used / this.length;
    return new SparseFrontier(this.root, Math.ceil(this.length * growth * 1.25), shared, words + 8, this.length);
  }
}

/**
 * The last level's frontier, which is never expanded: it counts its states and holds none, so
 * the last level, the widest, costs no memory beyond the visited table and the node arrays.
 */
export class SizedFrontier {
  length = 0;
  /** Counts world `w` (see SparseFrontier.pushWorld). */
  pushWorld(_codec: WorldCodec, _w: World, _perm: number, _node: number): void {
    this.length++;
  }
  /** Counts a state given as pairs (see SparseFrontier.pushDifferences). */
  pushDifferences(_src: Float64Array, _at: number, _pairs: number, _node: number): void {
    this.length++;
  }
  /** It holds no states. */
  get bytes(): number {
    return 0;
  }
}

/** Writes state `s` of a frontier's `data`/`starts` (see SparseFrontier) into `dense`, from `root`; returns its node id. */
export function unpackState(
  data: Float64Array,
  starts: Int32Array,
  s: number,
  root: Float64Array,
  dense: Float64Array,
  learn?: WorldCodec,
): number {
  dense.set(root);
  const start = starts[s] as number;
  const end = start + 2 + 2 * (data[start + 1] as number);
  for (let o = start + 2; o < end; o += 2) dense[data[o] as number] = data[o + 1] as number;
  // A state stored from another thread's codec: this one must look at every word where it differs from the root.
  if (learn) for (let o = start + 2; o < end; o += 2) learn.noteVarying(data[o] as number);
  return data[start] as number;
}

/** A copy of `a` with room for at least `need` elements (doubling), in shared memory with `shared`. */
function grow<T extends Float64Array | Int32Array>(a: T, need: number, shared = false): T {
  const bigger = allocate(a.constructor as TypedArrayOf<T>, Math.max(need, a.length * 2), shared);
  bigger.set(a);
  return bigger;
}

type TypedArrayOf<T> = { new (n: number): T; new (buffer: SharedArrayBuffer): T; readonly BYTES_PER_ELEMENT: number };

/** A typed array of `n` elements, over a SharedArrayBuffer with `shared`. */
function allocate<T extends Float64Array | Int32Array>(kind: TypedArrayOf<T>, n: number, shared: boolean): T {
  return shared ? new kind(new SharedArrayBuffer(n * kind.BYTES_PER_ELEMENT)) : new kind(n);
}
