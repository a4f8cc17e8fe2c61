import { EVENT_WIDTH, type Executor } from '../engine/execute.js';
import type { World } from '../engine/world.js';
import { EventNumbers, NumbersByPosition } from './event-writes.js';
import { PassedChecks } from './passed-checks.js';
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

/**
 * Statistics of the state checks events left for the search (Expander.passed), summed over the
 * sequential searches of this thread: checks skipped because their state had passed them, and
 * events run again checking as they went. For tests and measurements; no result depends on them.
 */
export const deferredChecks = { skipped: 0, reruns: 0 };

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
 * ========================= THE PER-STATE EXPANSION (one class: keep it so) =========================
 * `expand` decodes a packed state, enumerates its enabled events, applies each from that state and
 * hands the sink each transition, each counting violation and each changed successor, in event order.
 * The state checks of an event's settles wait until the event has ended (`apply`), and are skipped
 * where the state it ended in passed them before (`checkDeferred`): most events of a breadth-first
 * search end in a state it has reached already. test/deferred-checks.test.ts holds that this
 * changes no verdict, counterexample or count.
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
  /** `numbers` asked by position first (states list mostly the same events in the same order). */
  private readonly byPosition = new NumbersByPosition(this.numbers);
  /** POR: the sequential search's sleep sets (sleep-sets.ts); the sink stores and revisits with them. */
  por: SleepSets | undefined;
  /**
   * (State, CPU) pairs that passed the checks events leave for the search (Observer.deferring);
   * undefined: every settle checks as the event runs (`--coverage`, or a test).
   */
  readonly passed: PassedChecks | undefined;
  /** Events run a second time without deferring (Observer.deferredExact was false). */
  reruns = 0;

  constructor(
    private readonly x: Executor,
    private readonly codec: WorldCodec,
    private readonly alphabet: Alphabet,
    private readonly symmetry: boolean,
    /** Only violations of this invariant count; a path that breaks another one ends there. */
    private readonly only: string | undefined,
    defer = true,
  ) {
    this.template = x.world.clone();
    // Under --coverage a run that is run again would be counted twice.
    this.passed = defer && !x.coverage ? new PassedChecks() : undefined;
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
      if (watch && d * EVENT_WIDTH <= watch.trace.length) {
        watch.trace.set(ev, (d - 1) * EVENT_WIDTH);
        watch.beat[2] = d;
      }
      const before = this.apply(ev, d);
      changed = x.mutations !== before;
      if (!asleep && sink.transition()) return EXPAND_STOPPED;
      // The state checks the event's settles left (none without `passed`): on this state, if nothing changed.
      if (!changed && x.deferredCount !== 0) x.runDeferred();
      if (x.violation !== undefined) {
        const end = this.violated(ev, e, asleep, changed, sink);
        if (end !== EXPAND_DONE) return end;
        // The successor's state is cut short where the invariant broke: restore before the next event.
        changed = true;
        continue;
      }
      // Nothing changed (a read, a hit that raised nothing): the successor is this state, already seen.
      if (!changed) continue;
      const perm = this.symmetry ? codec.order(x.world) : 0;
      // The codec looks at the words this event has written before (and confirms nothing else changed).
      codec.successor(x.world, current, perm, fp, this.byPosition.numberOf(e, ev));
      looked = true;
      if (x.deferredCount !== 0 && this.checkDeferred(perm)) {
        const end = this.violated(ev, e, asleep, changed, sink);
        if (end !== EXPAND_DONE) return end;
        continue;
      }
      // The last level's sleep sets are never stored: a kind caught writing outside its footprint there changes nothing.
      if (por && (por.storing || por.audit)) por.checkWrites(e, x.world, template, codec);
      if (asleep) {
        por?.auditTarget(fp);
        continue;
      }
      if (sink.successor(ev, perm, fp, e)) return EXPAND_STOPPED;
    }
    return EXPAND_DONE;
  }

  /**
   * Applies `ev` (at distance `d - 1` from the root) to the world, leaving the state checks of
   * its settles for `checkDeferred` when `passed` is kept; runs it again from the state, checking
   * at each settle, when deferring would not be exact (Observer.deferredExact). Returns the
   * executor's `mutations` count before the run whose result stands.
   */
  private apply(ev: Float64Array, d: number): number {
    const x = this.x;
    this.forget(d);
    let before = x.mutations;
    if (this.passed === undefined) {
      x.apply(ev);
      return before;
    }
    x.deferring = true;
    let exact: boolean;
    try {
      x.apply(ev);
      exact = x.deferredExact;
    } catch (e) {
      // A checker crash after a deferred check: checking first might have ended the event before it.
      if (x.deferredCount === 0) throw e;
      exact = false;
    } finally {
      x.deferring = false;
    }
    if (exact) return before;
    this.reruns++;
    x.world.copyStateFrom(this.template);
    this.forget(d);
    before = x.mutations;
    x.apply(ev);
    return before;
  }

  /** Clears what the executor kept of the last event, before an event at distance `d - 1` from the root. */
  private forget(d: number): void {
    const x = this.x;
    x.step = d - 1;
    x.violation = undefined;
    if (x.warnings.length !== 0) x.warnings.length = 0;
    x.clearDeferred();
  }

  /**
   * Runs the checks the event left (its world is the successor of fingerprint `fp`, CPUs in order
   * `perm`) unless that state passed them before; true on a violation.
   */
  private checkDeferred(perm: number): boolean {
    const { x, codec, fp } = this;
    const passed = this.passed as PassedChecks;
    const n = x.deferredCount;
    for (let i = 0; i < n; i++) {
      const cpu = codec.canonicalCpu(perm, x.deferredCpus[i] as number);
      if (passed.has(fp, cpu)) continue;
      if (x.checkState(x.deferredCpus[i] as number)) return true;
      passed.add(fp, cpu);
    }
    return false;
  }

  /**
   * The violation the executor recorded for event `ev` (number `e` of the state): EXPAND_DONE when
   * the path ends there and the expansion goes on, EXPAND_VIOLATED when the sink ends the search.
   */
  private violated(ev: Float64Array, e: number, asleep: boolean, changed: boolean, sink: ExpandSink): number {
    const { x, por } = this;
    const v = x.violation as { invariant: string };
    // POR: what an event wrote must lie in its footprint (sleep-sets.ts), also when it broke something.
    if (por && changed) por.checkWrites(e, x.world, this.template);
    if (this.only !== undefined && v.invariant !== this.only) return EXPAND_DONE;
    if (asleep) {
      por?.auditViolation(v.invariant);
      return EXPAND_DONE;
    }
    return sink.violation(ev, v.invariant) ? EXPAND_DONE : EXPAND_VIOLATED;
  }
}
