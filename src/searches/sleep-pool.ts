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
 * Next-level states with a non-empty sleep set, by 64-bit fingerprint: open addressing over one
 * Int32Array of triples (state number + 1, 0 for empty; the fingerprint's low and high halves),
 * so that a probe reads one cache line, grown at half load, emptied per level. Replaces a Map on
 * the hot path (every transition that reaches a known state asks).
 */
export class LevelIndex {
  private slots = new Int32Array(3 * 1024);
  private mask = 1023;
  private size = 0;

  get bytes(): number {
    return this.slots.byteLength;
  }

  clear(): void {
    if (this.size === 0) return;
    this.slots.fill(0);
    this.size = 0;
  }

  /** The state number stored under `fp`, or -1. */
  get(fp: Uint32Array): number {
    const lo = (fp[0] as number) | 0;
    const hi = (fp[1] as number) | 0;
    const slots = this.slots;
    for (let i = slot(lo, hi) & this.mask; ; i = (i + 1) & this.mask) {
      const a = slots[3 * i] as number;
      if (a === 0) return -1;
      if (slots[3 * i + 1] === lo && slots[3 * i + 2] === hi) return a - 1;
    }
  }

  /** Stores state number `state` under `fp` (not yet present). */
  set(fp: Uint32Array, state: number): void {
    this.put((fp[0] as number) | 0, (fp[1] as number) | 0, state + 1);
    if (++this.size * 2 > this.mask) this.grow();
  }

  private put(lo: number, hi: number, a: number): void {
    const slots = this.slots;
    let i = slot(lo, hi) & this.mask;
    while (slots[3 * i] !== 0) i = (i + 1) & this.mask;
    slots[3 * i] = a;
    slots[3 * i + 1] = lo;
    slots[3 * i + 2] = hi;
  }

  private grow(): void {
    const old = this.slots;
    const n = (old.length / 3) * 2;
    this.slots = new Int32Array(3 * n);
    this.mask = n - 1;
    for (let i = 0; i < old.length; i += 3) if (old[i] !== 0) this.put(old[i + 1] as number, old[i + 2] as number, old[i] as number);
  }
}

function slot(lo: number, hi: number): number {
  return lo ^ Math.imul(hi, 0x9e3779b1);
}
