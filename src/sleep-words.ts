import { EVENT_WIDTH } from './execute.js';
import { SleepSets } from './sleep-sets.js';

/**
 * Sleep sets as event words, for threads that intern events apart (the parallel search): per
 * state of a level, `counts[s]` events of EVENT_WIDTH words from `starts[s]` in `data`.
 */
export interface SleepWords {
  readonly data: Float64Array;
  readonly starts: Int32Array;
  readonly counts: Int32Array;
}

/**
 * Sleep sets (sleep-sets.ts) for the parallel search (parallel-bfs.ts): threads number events
 * apart, so sleep sets cross between them as event words. The search's thread hands the workers
 * the sleep sets of a level's states (`levelWords`); a worker writes each successor's sleep set
 * into its record (`ship`); the search's thread, merging the records in frontier order, stores or
 * intersects them (`storedWords`, `revisitWords`) exactly as `stored` and `revisit` do in one thread.
 */
export class ShippedSleepSets extends SleepSets {
  /**
   * A worker: writes the sleep set of the successor by event `e` (CPU order `perm`) at `o` of
   * `out` (its length, then its events' words; empty when not `storing`); returns the end.
   * `out` must have room for `shipBound(e)` words from `o`.
   */
  ship(e: number, perm: number, out: Float64Array, o: number): number {
    const n = this.storing ? this.build(e, perm) : 0;
    out[o] = n;
    const data = this.events.data();
    for (let i = 0; i < n; i++) {
      const id = this.scratch[i] as number;
      out.set(data.subarray(id * EVENT_WIDTH, (id + 1) * EVENT_WIDTH), o + 1 + i * EVENT_WIDTH);
    }
    return o + 1 + n * EVENT_WIDTH;
  }

  /** The most words `ship(e, …)` writes for the current state. */
  shipBound(e: number): number {
    return 1 + (this.sleepCount + e) * EVENT_WIDTH;
  }

  /** The merge of a parallel level: `stored` with the `n` events' words a worker shipped at `o` of `data`. */
  storedWords(at: number, data: Float64Array, o: number, n: number, fp: Uint32Array): void {
    if (!this.storing) return;
    this.scratchFrom(data, o, n);
    this.next.add(at, this.scratch, n);
    if (n > 0) this.index.set(fp, at);
  }

  /** The merge of a parallel level: `revisit` with the `n` events' words a worker shipped at `o` of `data`. */
  revisitWords(data: Float64Array, o: number, n: number, fp: Uint32Array): void {
    if (!this.storing) return;
    const at = this.index.get(fp);
    if (at < 0) return;
    this.scratchFrom(data, o, n);
    this.next.intersect(at, this.scratch, n);
  }

  /** The sleep sets of the current level's first `width` states as words, in shared memory (for the workers). */
  levelWords(width: number): SleepWords {
    const counts = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, width)));
    const starts = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, width)));
    let total = 0;
    for (let s = 0; s < width; s++) {
      const n = this.cur.lengthOf(s);
      counts[s] = n;
      starts[s] = total * EVENT_WIDTH;
      total += n;
    }
    const data = new Float64Array(new SharedArrayBuffer(8 * EVENT_WIDTH * Math.max(1, total)));
    const words = this.events.data();
    for (let s = 0; s < width; s++) {
      const start = this.cur.startOf(s);
      for (let i = 0; i < (counts[s] as number); i++) {
        const id = this.cur.data[start + i] as number;
        data.set(words.subarray(id * EVENT_WIDTH, (id + 1) * EVENT_WIDTH), (starts[s] as number) + i * EVENT_WIDTH);
      }
    }
    return { data, starts, counts };
  }

  /** Interns the `n` events' words at `o` of `data` into `scratch`. */
  private scratchFrom(data: Float64Array, o: number, n: number): void {
    if (n > this.scratch.length) this.scratch = new Int32Array(n * 2);
    for (let i = 0; i < n; i++) this.scratch[i] = this.internAt(data, o + i * EVENT_WIDTH);
  }
}
