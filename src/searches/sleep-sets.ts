import { EVENT_WIDTH, type Executor } from '../engine/execute.js';
import type { World } from '../engine/world.js';
import { NumbersByPosition } from './event-writes.js';
import { Footprints, GLOBAL } from './footprint.js';
import { LevelIndex, SleepPool } from './sleep-pool.js';
import type { SleepWords } from './sleep-words.js';
import type { StateSet } from './state-set.js';
import type { WorldCodec } from './world-codec.js';

/** How the search interns events: a number per distinct event, and the table of their words. */
export interface EventTable {
  intern(ev: Float64Array): number;
  /** The words of every interned event, EVENT_WIDTH each (may be replaced as the table grows). */
  data(): Float64Array;
  /** How many events are interned. */
  count(): number;
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
 * to it, is still found. A successor stored under another CPU order (symmetry) sleeps on the same
 * events with their CPU operands renumbered alike.
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
  protected cur = new SleepPool();
  protected next = new SleepPool();
  /** Next-level states with a non-empty sleep set, by fingerprint. */
  protected readonly index = new LevelIndex();
  private ids = new Int32Array(64);
  /** `events` asked by position first (states list mostly the same events in the same order). */
  private readonly byPosition: NumbersByPosition;
  private masks = new Int32Array(64);
  private asleepAt = new Uint8Array(64);
  private sleepIds = new Int32Array(16);
  private sleepMasks = new Int32Array(16);
  protected sleepCount = 0;
  private pending: readonly Float64Array[] = [];
  protected scratch: Int32Array = new Int32Array(64);
  private auditFps: number[] = [];
  private auditViolations: string[] = [];
  /** A worker of the parallel search: the sleep sets of the level's states (else the current pool). */
  protected parents: SleepWords | undefined;

  /** Per CPU order (`WorldCodec.perms`): the new number of each CPU. */
  private readonly renumber: Int8Array[];
  private readonly moved = new Float64Array(EVENT_WIDTH);

  constructor(
    private readonly x: Executor,
    protected readonly events: EventTable,
    readonly audit: boolean,
    perms: readonly Int8Array[],
  ) {
    this.footprints = new Footprints(x);
    this.byPosition = new NumbersByPosition(events);
    this.renumber = perms.map((p) => {
      const inverse = new Int8Array(p.length);
      p.forEach((old, i) => {
        inverse[old] = i;
      });
      return inverse;
    });
  }

  /** Bytes held by the sleep sets of two levels and the next level's index. */
  get bytes(): number {
    return this.cur.bytes + this.next.bytes + this.index.bytes;
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
    const { footprints } = this;
    footprints.enter(this.x.world);
    for (let e = 0; e < count; e++) {
      this.ids[e] = -1;
      this.asleepAt[e] = 0;
      this.masks[e] = footprints.mask(pending[e] as Float64Array, 0);
    }
    const parents = this.parents;
    const n = parents ? (parents.counts[s] as number) : this.cur.lengthOf(s);
    if (n > this.sleepIds.length) {
      this.sleepIds = new Int32Array(n * 2);
      this.sleepMasks = new Int32Array(n * 2);
    }
    this.sleepCount = n;
    if (n === 0) return;
    if (parents) {
      // Numbered as the search's thread numbers them: this thread's table starts with its events.
      const start = parents.starts[s] as number;
      for (let i = 0; i < n; i++) this.sleepIds[i] = parents.ids[start + i] as number;
    } else {
      const start = this.cur.startOf(s);
      for (let i = 0; i < n; i++) this.sleepIds[i] = this.cur.data[start + i] as number;
    }
    const data = this.events.data();
    for (let i = 0; i < n; i++) this.sleepMasks[i] = footprints.mask(data, (this.sleepIds[i] as number) * EVENT_WIDTH);
    for (let e = 0; e < count; e++) {
      const ev = pending[e] as Float64Array;
      for (let i = 0; i < n; i++) {
        const id = this.sleepIds[i] as number;
        if (!sameEvent(data, id * EVENT_WIDTH, ev)) continue;
        this.asleepAt[e] = 1;
        this.ids[e] = id;
        break;
      }
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
    const n = this.build(e, perm);
    this.next.add(at, this.scratch, n);
    if (n > 0) this.index.set(fp, at);
  }

  /** Event `e` led again to a known state (fingerprint `fp`): if it is in the next level, its sleep set shrinks. */
  revisit(e: number, perm: number, fp: Uint32Array): void {
    if (!this.storing) return;
    const at = this.index.get(fp);
    if (at < 0) return;
    this.next.intersect(at, this.scratch, this.build(e, perm));
  }

  /** The interned number of the event whose words are at `o` of `data`. */
  protected internAt(data: Float64Array, o: number): number {
    return this.events.intern(data.subarray(o, o + EVENT_WIDTH));
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

  /** The sleep set of the successor by event `e`, stored in CPU order `perm`, into `scratch`; returns its length. */
  protected build(e: number, perm: number): number {
    const m = this.masks[e] as number;
    if (m === GLOBAL) return 0;
    let n = 0;
    for (let i = 0; i < this.sleepCount; i++) if (((this.sleepMasks[i] as number) & m) === 0) n = this.put(n, this.sleepIds[i] as number);
    for (let j = 0; j < e; j++) {
      if (this.asleepAt[j] === 1 || ((this.masks[j] as number) & m) !== 0) continue;
      n = this.put(n, this.idOf(j));
    }
    if (perm !== 0) for (let i = 0; i < n; i++) this.scratch[i] = this.renumbered(this.scratch[i] as number, perm);
    return n;
  }

  /** Event `id` with its CPU operands renumbered as CPU order `perm` does. */
  private renumbered(id: number, perm: number): number {
    const ev = this.moved;
    ev.set(this.events.data().subarray(id * EVENT_WIDTH, (id + 1) * EVENT_WIDTH));
    const cpuAt = this.footprints.cpuOperands(ev[0] as number);
    if (cpuAt.length === 0) return id;
    const to = this.renumber[perm] as Int8Array;
    for (let i = 0; i < cpuAt.length; i++) {
      const at = cpuAt[i] as number;
      ev[at] = to[ev[at] as number] as number;
    }
    return this.events.intern(ev);
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

  /** The interned number of enabled event `e` of the current state (asked by position first). */
  private idOf(e: number): number {
    let id = this.ids[e] as number;
    if (id >= 0) return id;
    id = this.byPosition.numberOf(e, this.pending[e] as Float64Array);
    this.ids[e] = id;
    return id;
  }

  /** Forgets the event numbers remembered per position (the event table was renumbered). */
  protected forgetIds(): void {
    this.byPosition.forget();
  }

  private resize(count: number): void {
    this.ids = new Int32Array(count * 2);
    this.masks = new Int32Array(count * 2);
    this.asleepAt = new Uint8Array(count * 2);
  }
}

/** Whether the event at `o` of `data` has the words of `ev`. */
function sameEvent(data: Float64Array, o: number, ev: Float64Array): boolean {
  for (let k = 0; k < EVENT_WIDTH; k++) if (data[o + k] !== ev[k]) return false;
  return true;
}
