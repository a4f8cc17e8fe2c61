/**
 * Storage for sleep-sets.ts: the sleep sets of one level of the search (`SleepPool`), and the
 * index from a next-level state's fingerprint to its number there (`LevelIndex`).
 */

/** The sleep sets of one level: per state a start and length in one pool of event numbers. */
export class SleepPool {
  data: Int32Array = new Int32Array(1024);
  private used = 0;
  private starts: Int32Array = new Int32Array(1024);
  private lengths: Int32Array = new Int32Array(1024);
  private count = 0;

  get bytes(): number {
    return this.data.byteLength + this.starts.byteLength + this.lengths.byteLength;
  }

  clear(): void {
    this.used = 0;
    this.count = 0;
  }

  startOf(s: number): number {
    return this.starts[s] as number;
  }

  lengthOf(s: number): number {
    return s < this.count ? (this.lengths[s] as number) : 0;
  }

  /** Stores the sleep set of state `at` (states are added in order): the first `n` of `ids`. */
  add(at: number, ids: Int32Array, n: number): void {
    if (at >= this.starts.length) {
      this.starts = growTo(this.starts, at + 1);
      this.lengths = growTo(this.lengths, at + 1);
    }
    for (let s = this.count; s < at; s++) this.lengths[s] = 0;
    if (this.used + n > this.data.length) this.data = growTo(this.data, this.used + n);
    this.data.set(ids.subarray(0, n), this.used);
    this.starts[at] = this.used;
    this.lengths[at] = n;
    this.used += n;
    this.count = at + 1;
  }

  empty(at: number): void {
    this.lengths[at] = 0;
  }

  /** Keeps in state `at`'s sleep set only the events among the first `n` of `ids`; returns what is left. */
  intersect(at: number, ids: Int32Array, n: number): number {
    const start = this.starts[at] as number;
    const len = this.lengths[at] as number;
    let kept = 0;
    for (let i = 0; i < len; i++) {
      const id = this.data[start + i] as number;
      let found = false;
      for (let k = 0; k < n && !found; k++) found = ids[k] === id;
      if (found) this.data[start + kept++] = id;
    }
    this.lengths[at] = kept;
    return kept;
  }
}

function growTo(a: Int32Array, need: number): Int32Array {
  const bigger = new Int32Array(Math.max(need, a.length * 2));
  bigger.set(a);
  return bigger;
}

/**
 * Next-level states with a non-empty sleep set, by 64-bit fingerprint: open addressing over two
 * Uint32Arrays with an Int32Array of state numbers (+1; 0 is empty), grown at half load, emptied
 * per level. Replaces a Map on the hot path (every transition that reaches a known state asks).
 */
export class LevelIndex {
  private lo = new Uint32Array(1024);
  private hi = new Uint32Array(1024);
  private at = new Int32Array(1024);
  private mask = 1023;
  private size = 0;

  get bytes(): number {
    return this.lo.byteLength + this.hi.byteLength + this.at.byteLength;
  }

  clear(): void {
    if (this.size === 0) return;
    this.at.fill(0);
    this.size = 0;
  }

  /** The state number stored under `fp`, or -1. */
  get(fp: Uint32Array): number {
    const lo = fp[0] as number;
    const hi = fp[1] as number;
    for (let i = slot(lo, hi) & this.mask; ; i = (i + 1) & this.mask) {
      const a = this.at[i] as number;
      if (a === 0) return -1;
      if (this.lo[i] === lo && this.hi[i] === hi) return a - 1;
    }
  }

  /** Stores state number `state` under `fp` (not yet present). */
  set(fp: Uint32Array, state: number): void {
    this.put(fp[0] as number, fp[1] as number, state + 1);
    if (++this.size * 2 > this.mask) this.grow();
  }

  private put(lo: number, hi: number, a: number): void {
    let i = slot(lo, hi) & this.mask;
    while (this.at[i] !== 0) i = (i + 1) & this.mask;
    this.lo[i] = lo;
    this.hi[i] = hi;
    this.at[i] = a;
  }

  private grow(): void {
    const { lo, hi, at } = this;
    const n = at.length * 2;
    this.lo = new Uint32Array(n);
    this.hi = new Uint32Array(n);
    this.at = new Int32Array(n);
    this.mask = n - 1;
    for (let i = 0; i < at.length; i++) if (at[i] !== 0) this.put(lo[i] as number, hi[i] as number, at[i] as number);
  }
}

function slot(lo: number, hi: number): number {
  return lo ^ Math.imul(hi, 0x9e3779b1);
}
