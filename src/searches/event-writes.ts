import { EVENT_WIDTH } from '../engine/execute.js';
import type { EventTable } from './sleep-sets.js';

/**
 * Numbers distinct concrete events (0, 1, 2, … in order of first sight) and keeps their words: the
 * event table of the search (parent pointers, sleep sets), of each parallel worker (`seed`), and
 * of each expander (the codec learns, per number, which packed words the event writes:
 * `EventWrites`). An open addressing table keyed by a hash of the event's words; a number is never reused.
 */
export class EventNumbers implements EventTable {
  private slots = new Int32Array(256).fill(-1);
  private words = new Float64Array(64 * EVENT_WIDTH);
  private size = 0;

  /** The number of event `ev` (EVENT_WIDTH words), giving it the next one the first time. */
  intern(ev: Float64Array): number {
    const mask = this.slots.length - 1;
    for (let i = hashEvent(ev, 0) & mask; ; i = (i + 1) & mask) {
      const n = this.slots[i] as number;
      if (n < 0) return this.add(ev, i);
      if (this.is(n, ev)) return n;
    }
  }

  /** The words of every numbered event, EVENT_WIDTH each (replaced as the table grows). */
  data(): Float64Array {
    return this.words;
  }

  count(): number {
    return this.size;
  }

  /** Starts again from the first `known` events of `events`, numbered as there (a worker, from the search thread's table). */
  seed(events: Float64Array, known: number): void {
    this.slots.fill(-1);
    this.size = 0;
    for (let i = 0; i < known; i++) this.intern(events.subarray(i * EVENT_WIDTH, (i + 1) * EVENT_WIDTH));
  }

  private is(n: number, ev: Float64Array): boolean {
    const o = n * EVENT_WIDTH;
    for (let k = 0; k < EVENT_WIDTH; k++) if (this.words[o + k] !== ev[k]) return false;
    return true;
  }

  private add(ev: Float64Array, slot: number): number {
    const n = this.size++;
    if (this.size * EVENT_WIDTH > this.words.length) {
      const bigger = new Float64Array(this.words.length * 2);
      bigger.set(this.words);
      this.words = bigger;
    }
    this.words.set(ev, n * EVENT_WIDTH);
    this.slots[slot] = n;
    if (2 * this.size > this.slots.length) this.rehash();
    return n;
  }

  /** Doubles the table (kept at most half full) and places every number again. */
  private rehash(): void {
    this.slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = this.slots.length - 1;
    for (let n = 0; n < this.size; n++) {
      let i = hashEvent(this.words, n * EVENT_WIDTH) & mask;
      while ((this.slots[i] as number) >= 0) i = (i + 1) & mask;
      this.slots[i] = n;
    }
  }
}

/**
 * Numbers the enabled events of a state by their position first: states list mostly the same
 * events in the same order, so the event numbered last at position `e` is compared word by word
 * before `table` hashes it. Used by the expander (the codec's numbers) and the sleep sets (the
 * search's numbers).
 */
export class NumbersByPosition {
  private ids = new Int32Array(64).fill(-1);
  private words = new Float64Array(64 * EVENT_WIDTH);

  constructor(private readonly table: { intern(ev: Float64Array): number }) {}

  /** The number `table` gives `ev`, enabled event `e` of the current state. */
  numberOf(e: number, ev: Float64Array): number {
    if (e >= this.ids.length) this.grow(e + 1);
    const known = this.ids[e] as number;
    const o = e * EVENT_WIDTH;
    if (known >= 0) {
      let k = 0;
      while (k < EVENT_WIDTH && this.words[o + k] === ev[k]) k++;
      if (k === EVENT_WIDTH) return known;
    }
    const n = this.table.intern(ev);
    this.ids[e] = n;
    this.words.set(ev, o);
    return n;
  }

  /** Forgets every position's event (the table was renumbered). */
  forget(): void {
    this.ids.fill(-1);
  }

  private grow(need: number): void {
    const ids = new Int32Array(need * 2).fill(-1);
    ids.set(this.ids);
    this.ids = ids;
    const words = new Float64Array(need * 2 * EVENT_WIDTH);
    words.set(this.words);
    this.words = words;
  }
}

/** A hash of the event whose EVENT_WIDTH words start at `o` of `data`. */
function hashEvent(data: Float64Array, o: number): number {
  let h = 0;
  for (let k = 0; k < EVENT_WIDTH; k++) h = Math.imul(h ^ ((data[o + k] as number) | 0), 0x9e3779b1) + k;
  return h ^ (h >>> 15);
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
