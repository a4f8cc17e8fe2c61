import { EVENT_WIDTH } from '../engine/execute.js';
import { EventNumbers } from './event-writes.js';
import { SleepSets } from './sleep-sets.js';

/**
 * The sleep sets of a level's states for the workers of the parallel search: per state `counts[s]`
 * event numbers from `starts[s]` in `ids`, numbered as the search's thread numbers events, whose
 * first `known` events' words are `events` (shared memory).
 */
export interface SleepWords {
  readonly ids: Int32Array;
  readonly starts: Int32Array;
  readonly counts: Int32Array;
  readonly events: Float64Array;
  readonly known: number;
}

/**
 * Sleep sets (sleep-sets.ts) for the parallel search (parallel-bfs.ts). The search's thread hands
 * the workers the sleep sets of a level's states and its event table (`levelSleep`); a worker
 * numbers events as that table does (`adopt`) and writes each successor's sleep set into its
 * record (`ship`): an event the table has by its number, one it lacks by its words. The search's
 * thread, merging the records in frontier order, stores or intersects them (`storedShipped`,
 * `revisitShipped`) exactly as `stored` and `revisit` do in one thread.
 */
export class ShippedSleepSets extends SleepSets {
  private known = 0;

  /** A worker: takes a level's sleep sets and numbers events as the search's thread did at its start. */
  adopt(level: SleepWords): void {
    if (this.events instanceof EventNumbers) this.events.seed(level.events, level.known);
    this.known = level.known;
    this.parents = level;
    this.forgetIds();
  }

  /**
   * A worker: writes the sleep set of the successor by event `e` (CPU order `perm`) at `o` of
   * `out`: its length, the words after that, then per event its number, or -1 and its words
   * (empty when not `storing`); returns the end. `out` must have room for `shipBound(e)` words.
   */
  ship(e: number, perm: number, out: Float64Array, o: number): number {
    const n = this.storing ? this.build(e, perm) : 0;
    out[o] = n;
    const data = this.events.data();
    let w = o + 2;
    for (let i = 0; i < n; i++) {
      const id = this.scratch[i] as number;
      if (id < this.known) out[w++] = id;
      else {
        out[w] = -1;
        out.set(data.subarray(id * EVENT_WIDTH, (id + 1) * EVENT_WIDTH), w + 1);
        w += 1 + EVENT_WIDTH;
      }
    }
    out[o + 1] = w - o - 2;
    return w;
  }

  /** The most words `ship(e, …)` writes for the current state. */
  shipBound(e: number): number {
    return 2 + (this.sleepCount + e) * (1 + EVENT_WIDTH);
  }

  /** The merge of a parallel level: `stored` with the sleep set a worker shipped at `o` of `data`. */
  storedShipped(at: number, data: Float64Array, o: number, fp: Uint32Array): void {
    if (!this.storing) return;
    const n = this.scratchFrom(data, o);
    this.next.add(at, this.scratch, n);
    if (n > 0) this.index.set(fp, at);
  }

  /** The merge of a parallel level: `revisit` with the sleep set a worker shipped at `o` of `data`. */
  revisitShipped(data: Float64Array, o: number, fp: Uint32Array): void {
    if (!this.storing) return;
    const at = this.index.get(fp);
    if (at < 0) return;
    this.next.intersect(at, this.scratch, this.scratchFrom(data, o));
  }

  /** The sleep sets of the current level's first `width` states and the event table, in shared memory (for the workers). */
  levelSleep(width: number): SleepWords {
    const counts = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, width)));
    const starts = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, width)));
    let total = 0;
    for (let s = 0; s < width; s++) {
      const n = this.cur.lengthOf(s);
      counts[s] = n;
      starts[s] = total;
      total += n;
    }
    const ids = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, total)));
    for (let s = 0; s < width; s++) {
      const n = counts[s] as number;
      if (n > 0) ids.set(this.cur.data.subarray(this.cur.startOf(s), this.cur.startOf(s) + n), starts[s] as number);
    }
    const known = this.events.count();
    const events = new Float64Array(new SharedArrayBuffer(8 * EVENT_WIDTH * Math.max(1, known)));
    events.set(this.events.data().subarray(0, known * EVENT_WIDTH));
    return { ids, starts, counts, events, known };
  }

  /** Reads the sleep set a worker shipped at `o` of `data` into `scratch` (this thread's numbers); returns its length. */
  private scratchFrom(data: Float64Array, o: number): number {
    const n = data[o] as number;
    if (n > this.scratch.length) this.scratch = new Int32Array(n * 2);
    let r = o + 2;
    for (let i = 0; i < n; i++) {
      const id = data[r] as number;
      if (id >= 0) {
        this.scratch[i] = id;
        r++;
      } else {
        this.scratch[i] = this.internAt(data, r + 1);
        r += 1 + EVENT_WIDTH;
      }
    }
    return n;
  }
}
