/** What a breadth-first search takes and what it returns. */
import type { Alphabet } from './expand-state.js';
import type { ParallelOptions } from './parallel-bfs.js';

/** What a breadth-first search takes. */
export interface BfsOptions {
  readonly depth: number;
  readonly alphabet: Alphabet;
  /** Only violations of this invariant count; a path that breaks another one ends there. */
  readonly only?: string;
  /** Transitions to try before giving up (the result says `budget`). */
  readonly maxTransitions?: number;
  /** Called after each completed depth; returning false stops the search. */
  readonly onLevel?: (depth: number, states: number, transitions: number) => boolean | undefined;
  /** Identify states that differ only by a permutation of CPUs (see WorldCodec.canonicalizeCpus). */
  readonly symmetry?: boolean;
  /** Polled every 1024 transitions (e.g. Ctrl-C); true stops the search with the depth completed so far. */
  readonly shouldStop?: () => boolean;
  /** Called every 1024 transitions with the depth under way, states and transitions so far. */
  readonly onProgress?: (depth: number, states: number, transitions: number, peakBytes: number) => void;
  /** `--max-states`: stop (with the depth completed) once this many distinct states are stored. */
  readonly maxStates?: number;
  /**
   * Expand only this share of the states at `depth` (state s of that depth, in discovery order,
   * belongs to share s mod total): `explore --shard`. The search up to that depth is the same in
   * every share, so together the shares expand every state a whole search would (see `explore`).
   */
  readonly partition?: { readonly index: number; readonly total: number; readonly depth: number };
  /**
   * Called on each violation that counts (see `only`) with the event that broke it and a function
   * giving the path; returning true goes on searching (the path ends there), false stops (the default).
   */
  readonly onViolation?: (ev: Float64Array, path: () => Float64Array[]) => boolean;
  /**
   * Expand large levels in this many worker threads, each with its own executor for the policy
   * `policy` names (see `parallel-bfs`): the same states, numbering, counts and counterexample as
   * one thread. Not with `onViolation`, `maxTransitions`, a watchdog, `porAudit` or `eagerChecks` (those stay sequential).
   */
  readonly parallel?: ParallelOptions;
  /** Partial-order reduction with sleep sets (sleep-sets.ts): the same states, fewer transitions. */
  readonly por?: boolean;
  /** With `por`: execute every pruned transition anyway and check it (sleep-sets.ts audit mode; tests). */
  readonly porAudit?: boolean;
  /**
   * Run each settle's state checks as the event runs, never after it nor skipped for a state that
   * passed them (Expander.passed): tests compare the two; one thread.
   */
  readonly eagerChecks?: boolean;
}

/** The outcome of a breadth-first search. */
export interface BfsResult {
  readonly outcome: 'held' | 'violated' | 'budget' | 'stopped';
  /** Depths fully explored (every state at that distance expanded). */
  readonly depthCompleted: number;
  readonly states: number;
  readonly transitions: number;
  /** Bytes held at the widest point: the visited-state table, the node arrays and the frontiers stored (the last level's states are counted, not stored). */
  readonly peakBytes: number;
  /** The shortest violating path, when one was found. */
  readonly trace?: readonly Float64Array[];
  /** The invariant the violating path broke. */
  readonly invariant?: string;
  /** Why a `stopped` search stopped on its own: the states budget, or an allocation that failed. */
  readonly stoppedBy?: 'max-states' | 'out-of-memory';
  /** Where a partitioned search split: the depth, how many states it had, how many this share expanded. */
  readonly split?: { readonly depth: number; readonly width: number; readonly owned: number };
  /** With `por`: transitions not executed because their event was asleep. */
  readonly pruned?: number;
}
