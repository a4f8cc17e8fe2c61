import { EVENT_WIDTH } from '../engine/execute.js';

/**
 * Numbers the distinct concrete events an expander applies (0, 1, 2, … in order of first sight),
 * so that the codec can learn, per event, which packed words it writes (`EventWrites`). An open
 * addressing table keyed by a hash of the event's words; a number is never reused.
 */
export class EventNumbers {
  private slots = new Int32Array(256).fill(-1);
  private words = new Float64Array(64 * EVENT_WIDTH);
  private count = 0;

  /** The number of event `ev` (EVENT_WIDTH words), giving it the next one the first time. */
  id(ev: Float64Array): number {
    let h = 0;
    for (let k = 0; k < EVENT_WIDTH; k++) h = Math.imul(h ^ ((ev[k] as number) | 0), 0x9e3779b1) + k;
    const mask = this.slots.length - 1;
    for (let i = (h ^ (h >>> 15)) & mask; ; i = (i + 1) & mask) {
      const n = this.slots[i] as number;
      if (n < 0) return this.add(ev, i);
      if (this.is(n, ev)) return n;
    }
  }

  private is(n: number, ev: Float64Array): boolean {
    const o = n * EVENT_WIDTH;
    for (let k = 0; k < EVENT_WIDTH; k++) if (this.words[o + k] !== ev[k]) return false;
    return true;
  }

  private add(ev: Float64Array, slot: number): number {
    const n = this.count++;
    if (this.count * EVENT_WIDTH > this.words.length) {
      const bigger = new Float64Array(this.words.length * 2);
      bigger.set(this.words);
      this.words = bigger;
    }
    this.words.set(ev, n * EVENT_WIDTH);
    this.slots[slot] = n;
    if (2 * this.count > this.slots.length) this.rehash();
    return n;
  }

  /** Doubles the table (kept at most half full) and places every number again. */
  private rehash(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2).fill(-1);
    const mask = this.slots.length - 1;
    for (const n of old) {
      if (n < 0) continue;
      const ev = this.words.subarray(n * EVENT_WIDTH, (n + 1) * EVENT_WIDTH);
      let h = 0;
      for (let k = 0; k < EVENT_WIDTH; k++) h = Math.imul(h ^ ((ev[k] as number) | 0), 0x9e3779b1) + k;
      let i = (h ^ (h >>> 15)) & mask;
      while ((this.slots[i] as number) >= 0) i = (i + 1) & mask;
      this.slots[i] = n;
    }
  }
}

/**
 * Per event number: the packed word positions the event has been seen to change, from any state.
 * `WorldCodec.successor` looks at these words first; a whole-world comparison confirms nothing
 * else changed, and when something else did, the positions it finds are learned here. What is
 * learned only decides where the codec looks first, never what it concludes.
 */
export class EventWrites {
  private lists: Int32Array[] = [];
  private counts = new Int32Array(64);

  /** The positions learned for event `n` (the first `countOf(n)` entries). */
  listOf(n: number): Int32Array {
    return (this.lists[n] ?? EMPTY) as Int32Array;
  }

  countOf(n: number): number {
    return n < this.counts.length ? (this.counts[n] as number) : 0;
  }

  /** Learns that event `n` changed packed position `p`. */
  learn(n: number, p: number): void {
    while (n >= this.lists.length) this.lists.push(new Int32Array(8));
    if (n >= this.counts.length) {
      const bigger = new Int32Array(Math.max(n + 1, 2 * this.counts.length));
      bigger.set(this.counts);
      this.counts = bigger;
    }
    let list = this.lists[n] as Int32Array;
    const c = this.counts[n] as number;
    // Learning happens only when the comparison found more (rare), and a list holds a few words.
    for (let i = 0; i < c; i++) if (list[i] === p) return;
    if (c === list.length) {
      const bigger = new Int32Array(2 * c);
      bigger.set(list);
      list = bigger;
      this.lists[n] = list;
    }
    list[c] = p;
    this.counts[n] = c + 1;
  }
}

const EMPTY = new Int32Array(0);
