import { EVENT_WIDTH, type Executor } from './execute.js';
import { Footprints, GLOBAL } from './footprint.js';
import type { StateSet } from './state-set.js';
import type { World } from './world.js';
import type { WorldCodec } from './world-codec.js';

/** How the search interns events: a number per distinct event, and the table of their words. */
export interface EventTable {
  intern(ev: Float64Array): number;
  /** The words of every interned event, EVENT_WIDTH each (may be replaced as the table grows). */
  data(): Float64Array;
}

/** A declared footprint was too small (audit mode), or a pruned transition reached something new. */
export class PorAuditError extends Error {
  readonly code = 'ERR_POR_AUDIT';
}

/**
 * Sleep sets (Godefroid) for the breadth-first search, `explore --por`. After expanding event t
 * from state s, each later successor s.u with u independent of t at s (disjoint footprints,
 * footprint.ts) inherits t in its sleep set, with the events of s's own sleep set independent of
 * u; a sleeping event is not executed: s.u.t = s.t.u is reached from s.t. With state caching, a
 * state of the next level reached again in the same level keeps the intersection of its sleep
 * sets (it is expanded only once the level is complete); a state of an earlier level is not
 * expanded again. Sleep sets prune transitions, never states: every state, and the shortest path
 * to it, is still found. A successor stored under another CPU order (symmetry) sleeps on nothing.
 *
 * Sleep sets are lists of interned event numbers in one pool per level. Audit mode executes every
 * pruned transition anyway and checks at the end of the level that it led to a stored state and
 * broke no invariant the search has not reported; a write outside a declared footprint is then an
 * error (without audit, that event kind is treated as global from then on).
 */
export class SleepSets {
  /** Transitions not executed because their event was asleep. */
  pruned = 0;
  /** Whether successors' sleep sets are kept (false on the last level: nobody expands them). */
  storing = true;
  readonly footprints: Footprints;
  private cur = new Pool();
  private next = new Pool();
  /** Next-level states with a non-empty sleep set, by a 53-bit key of their fingerprint. */
  private readonly index = new Map<number, number>();
  private ids = new Int32Array(64);
  private masks = new Int32Array(64);
  private asleepAt = new Uint8Array(64);
  private sleepIds = new Int32Array(16);
  private sleepMasks = new Int32Array(16);
  private sleepCount = 0;
  private pending: readonly Float64Array[] = [];
  private scratch: Int32Array = new Int32Array(64);
  private auditFps: number[] = [];
  private auditViolations: string[] = [];

  constructor(
    private readonly x: Executor,
    private readonly events: EventTable,
    readonly audit: boolean,
  ) {
    this.footprints = new Footprints(x);
  }

  /** Starts a level: the sleep sets stored for it become the current ones. */
  beginLevel(): void {
    const t = this.cur;
    this.cur = this.next;
    this.next = t;
    this.next.clear();
    this.index.clear();
  }

  /** Enters state `s` of the current level (world restored to it) with its `count` enabled events `pending`. */
  enterState(s: number, pending: readonly Float64Array[], count: number): void {
    this.pending = pending;
    if (count > this.ids.length) this.resize(count);
    const { x, footprints } = this;
    for (let e = 0; e < count; e++) {
      this.ids[e] = -1;
      this.asleepAt[e] = 0;
      this.masks[e] = footprints.mask(x, pending[e] as Float64Array, 0);
    }
    const n = this.cur.lengthOf(s);
    if (n > this.sleepIds.length) {
      this.sleepIds = new Int32Array(n * 2);
      this.sleepMasks = new Int32Array(n * 2);
    }
    this.sleepCount = n;
    if (n === 0) return;
    const pool = this.cur.data;
    const start = this.cur.startOf(s);
    const data = this.events.data();
    for (let i = 0; i < n; i++) {
      const id = pool[start + i] as number;
      this.sleepIds[i] = id;
      this.sleepMasks[i] = footprints.mask(x, data, id * EVENT_WIDTH);
    }
    for (let e = 0; e < count; e++) {
      const id = this.idOf(e);
      for (let i = 0; i < n; i++) if (this.sleepIds[i] === id) this.asleepAt[e] = 1;
    }
  }

  /** Whether enabled event `e` of the current state is asleep (its successor is reached elsewhere). */
  asleep(e: number): boolean {
    if (this.asleepAt[e] === 0) return false;
    this.pruned++;
    return true;
  }

  /**
   * After event `e` ran from `pre` to `w` (and, when given, `codec.successor` looked at `w`): a
   * write outside its footprint makes it global (an error in audit mode).
   */
  checkWrites(e: number, w: World, pre: World, codec?: WorldCodec): void {
    const m = this.masks[e] as number;
    if (m === GLOBAL) return;
    const f = this.footprints;
    if (!(codec ? f.wroteOutsideSeen(codec, w, pre, m) : f.wroteOutside(w, pre, m))) return;
    const kind = (this.pending[e] as Float64Array)[0] as number;
    if (this.audit) {
      throw new PorAuditError(`${this.x.kinds[kind]?.type} wrote outside its declared footprint (footprint.ts)`);
    }
    this.masks[e] = GLOBAL;
    this.footprints.demote(kind);
  }

  /** Event `e` led to a new state, number `at` of the next level (fingerprint `fp`), stored in CPU order `perm`. */
  stored(at: number, e: number, perm: number, fp: Uint32Array): void {
    if (!this.storing) return;
    const n = perm === 0 ? this.build(e) : 0;
    this.next.add(at, this.scratch, n);
    if (n === 0) return;
    const key = keyOf(fp);
    const other = this.index.get(key);
    if (other === undefined) {
      this.index.set(key, at);
      return;
    }
    // Two states under one key: neither may keep a sleep set another path would have cut.
    this.next.empty(other);
    this.next.empty(at);
  }

  /** Event `e` led again to a known state (fingerprint `fp`): if it is in the next level, its sleep set shrinks. */
  revisit(e: number, perm: number, fp: Uint32Array): void {
    if (!this.storing) return;
    const key = keyOf(fp);
    const at = this.index.get(key);
    if (at === undefined) return;
    const n = perm === 0 ? this.build(e) : 0;
    if (this.next.intersect(at, this.scratch, n) === 0) this.index.delete(key);
  }

  /** Audit: a pruned transition led to the state with fingerprint `fp`. */
  auditTarget(fp: Uint32Array): void {
    this.auditFps.push(fp[0] as number, fp[1] as number);
  }

  /** Audit: a pruned transition broke `invariant`. */
  auditViolation(invariant: string): void {
    this.auditViolations.push(invariant);
  }

  /**
   * Audit, at the end of a level: every pruned transition's state is stored by now, and every
   * invariant a pruned transition broke was reported (`reported`).
   */
  endLevel(seen: StateSet, reported: ReadonlySet<string>): void {
    const fps = this.auditFps;
    for (let i = 0; i < fps.length; i += 2) {
      if (seen.add(fps[i] as number, fps[i + 1] as number)) {
        throw new PorAuditError('a transition the sleep sets pruned leads to a state the search never stored');
      }
    }
    for (const inv of this.auditViolations) {
      if (!reported.has(inv)) throw new PorAuditError(`a transition the sleep sets pruned breaks ${inv}, which the search did not report`);
    }
    fps.length = 0;
    this.auditViolations.length = 0;
  }

  /** The sleep set of the successor by event `e` into `scratch`; returns its length. */
  private build(e: number): number {
    const m = this.masks[e] as number;
    if (m === GLOBAL) return 0;
    let n = 0;
    for (let i = 0; i < this.sleepCount; i++) if (((this.sleepMasks[i] as number) & m) === 0) n = this.put(n, this.sleepIds[i] as number);
    for (let j = 0; j < e; j++) {
      if (this.asleepAt[j] === 1 || ((this.masks[j] as number) & m) !== 0) continue;
      n = this.put(n, this.idOf(j));
    }
    return n;
  }

  private put(n: number, id: number): number {
    if (n === this.scratch.length) {
      const bigger = new Int32Array(n * 2);
      bigger.set(this.scratch);
      this.scratch = bigger;
    }
    this.scratch[n] = id;
    return n + 1;
  }

  private idOf(e: number): number {
    let id = this.ids[e] as number;
    if (id < 0) {
      id = this.events.intern(this.pending[e] as Float64Array);
      this.ids[e] = id;
    }
    return id;
  }

  private resize(count: number): void {
    this.ids = new Int32Array(count * 2);
    this.masks = new Int32Array(count * 2);
    this.asleepAt = new Uint8Array(count * 2);
  }
}

/** A 53-bit key of a 64-bit fingerprint (a clash only empties sleep sets: sound, see `stored`). */
function keyOf(fp: Uint32Array): number {
  return ((fp[1] as number) & 0x1fffff) * 4294967296 + (fp[0] as number);
}

/** The sleep sets of one level: per state a start and length in one pool of event numbers. */
class Pool {
  data: Int32Array = new Int32Array(1024);
  private used = 0;
  private starts: Int32Array = new Int32Array(1024);
  private lengths: Int32Array = new Int32Array(1024);
  private count = 0;

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
