import { EVENT_WIDTH, type Executor } from '../engine/execute.js';
import type { World } from '../engine/world.js';
import { EventNumbers } from './event-writes.js';
import type { SleepSets } from './sleep-sets.js';
import type { WorldCodec } from './world-codec.js';

/** Enumerates the concrete events enabled in the executor's current world; `emit` may reuse nothing it is given. */
export type Alphabet = (x: Executor, emit: (ev: Float64Array) => void) => void;

/** What `Expander.expand` reports to its caller, event by event (the sequential search, or a worker of the parallel one). */
export interface ExpandSink {
  /** After each transition; true stops the expansion (`EXPAND_STOPPED`). */
  transition(): boolean;
  /** A violation that counts (see `only`) by event `ev`; true: the path ends there and the expansion goes on; false: `EXPAND_VIOLATED`. */
  violation(ev: Float64Array, invariant: string): boolean;
  /**
   * A successor that differs from the state, by enabled event number `e`: fingerprint `fp`, CPU
   * order `perm` (the executor's world holds it); true stops (`EXPAND_STOPPED`).
   */
  successor(ev: Float64Array, perm: number, fp: Uint32Array, e: number): boolean;
}

/** Every enabled event of the state was tried. */
export const EXPAND_DONE = 0;
/** The sink refused a violation: the search ends with it. */
export const EXPAND_VIOLATED = 1;
/** The sink asked to stop (a signal, a budget, `--max-states`). */
export const EXPAND_STOPPED = 2;

/**
 * The inner loop of the breadth-first search, shared by the sequential search (`bfs`) and every
 * worker of the parallel one (`bfs-worker`): it exists once, here.
 *
 * ======================== THE PER-STATE EXPANSION (one function: keep it so) ========================
 * `expand` decodes a packed state, enumerates its enabled events, applies each from that state and
 * hands the sink each transition, each counting violation and each changed successor, in event order.
 */
export class Expander {
  private readonly template: World;
  private readonly pending: Float64Array[] = [];
  private pendingCount = 0;
  private readonly collect = (ev: Float64Array): void => {
    if (this.pendingCount === this.pending.length) this.pending.push(new Float64Array(EVENT_WIDTH));
    (this.pending[this.pendingCount++] as Float64Array).set(ev);
  };
  private readonly fp = new Uint32Array(2);
  /** Numbers for the events applied, under which the codec learns what each one writes. */
  private readonly numbers = new EventNumbers();
  /** POR: the sequential search's sleep sets (sleep-sets.ts); the sink stores and revisits with them. */
  por: SleepSets | undefined;

  constructor(
    private readonly x: Executor,
    private readonly codec: WorldCodec,
    private readonly alphabet: Alphabet,
    private readonly symmetry: boolean,
    /** Only violations of this invariant count; a path that breaks another one ends there. */
    private readonly only: string | undefined,
  ) {
    this.template = x.world.clone();
  }

  /**
   * Expands packed state `current` (`current` is kept as it is), number `s` of its level, at
   * distance `d - 1` from the root: EXPAND_DONE, _VIOLATED or _STOPPED.
   */
  expand(current: Float64Array, d: number, sink: ExpandSink, s = 0): number {
    const { x, codec, template, pending, fp, por } = this;
    const watch = x.watch;
    codec.begin(current, template);
    x.world.copyStateFrom(template);
    this.pendingCount = 0;
    this.alphabet(x, this.collect);
    const count = this.pendingCount;
    por?.enterState(s, pending, count);
    let changed = false;
    // Whether the codec saw the world after the last event and can put back just what changed.
    let looked = false;
    for (let e = 0; e < count; e++) {
      const ev = pending[e] as Float64Array;
      // POR: an asleep event's successor is reached by another path; the audit runs it anyway.
      const asleep = por?.asleep(e) === true;
      if (asleep && !por?.audit) continue;
      if (changed) {
        if (looked) codec.restore(x.world);
        else x.world.copyStateFrom(template);
      }
      looked = false;
      x.step = d - 1;
      x.violation = undefined;
      if (x.warnings.length !== 0) x.warnings.length = 0;
      const mutations = x.mutations;
      if (watch && d * EVENT_WIDTH <= watch.trace.length) {
        watch.trace.set(ev, (d - 1) * EVENT_WIDTH);
        watch.beat[2] = d;
      }
      x.apply(ev);
      changed = x.mutations !== mutations;
      if (!asleep && sink.transition()) return EXPAND_STOPPED;
      const v = x.violation as { invariant: string } | undefined;
      if (v !== undefined) {
        // POR: what an event wrote must lie in its footprint (sleep-sets.ts), also when it broke something.
        if (por && changed) por.checkWrites(e, x.world, template);
        if (this.only !== undefined && v.invariant !== this.only) continue;
        if (asleep) {
          por?.auditViolation(v.invariant);
          changed = true;
          continue;
        }
        if (!sink.violation(ev, v.invariant)) return EXPAND_VIOLATED;
        // The successor's state is cut short where the invariant broke: restore before the next event.
        changed = true;
        continue;
      }
      // Nothing changed (a read, a hit that raised nothing): the successor is this state, already seen.
      if (!changed) continue;
      const perm = this.symmetry ? codec.order(x.world) : 0;
      // The codec looks at the words this event has written before (and confirms nothing else changed).
      codec.successor(x.world, current, perm, fp, this.numbers.intern(ev));
      looked = true;
      por?.checkWrites(e, x.world, template, codec);
      if (asleep) {
        por?.auditTarget(fp);
        continue;
      }
      if (sink.successor(ev, perm, fp, e)) return EXPAND_STOPPED;
    }
    return EXPAND_DONE;
  }
}
