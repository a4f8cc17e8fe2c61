/**
 * Multi-bug triage (DESIGN §10): one counterexample per broken invariant (`--continue`), and known
 * failures (`--assume-fixed trace.json`) recognised by where they break, so a search goes past them.
 */
import type { Warning } from '../engine/execute.js';
import type { Violation } from '../engine/invariant.js';
import type { TraceEvent } from '../engine/trace.js';
import type { TraceFile } from '../persistence/trace-file.js';

/** One counterexample of a multi-bug search: the invariant it is for, the violation at its last step, its trace. */
export interface Counterexample {
  /** The invariant this counterexample is for. */
  readonly invariant: string;
  /**
   * What broke at the trace's last step. Its `invariant` is another one when both broke at the same
   * observation point and the other comes first in the checking order (this one is then in `also`).
   */
  readonly violation: Violation;
  readonly trace: readonly TraceEvent[];
  readonly warnings: readonly Warning[];
  /** fast-check's replay path, shrink count, and the runs made until this one failed (check only). */
  readonly path?: string;
  readonly shrinks?: number;
  readonly runs?: number;
}

/** Where a violation broke: the invariant, the failing step's event, the observation point (hook or after the event) and the register. */
export interface Signature {
  readonly invariant: string;
  readonly event: string;
  readonly at: string;
  readonly register?: string;
}

/** A failure the user already knows (a saved trace given to `--assume-fixed`). */
export interface KnownFailure extends Partial<Pick<Signature, 'at' | 'register'>> {
  readonly arch: string;
  readonly invariant: string;
  readonly event: string;
  /** The trace file it came from. */
  readonly source: string;
}

/** A counterexample recognised as a known failure: reported as known, and the search went on. */
export interface KnownHit extends Signature {
  readonly source: string;
  readonly steps: number;
}

/**
 * The observation point without the write's number and value: `in guestEnter` or `after the
 * event`. The number of writes before the failing one depends on the state (slot loops), the hook does not.
 */
export const observationPoint = (at: string): string => at.replace(/, after hardware write #\d+ .*$/, '');

/** The signature of `v`, which broke during an event of type `event`. */
export function signatureOf(v: Violation, event: string): Signature {
  return { invariant: v.invariant, event, at: observationPoint(v.at), ...(v.register !== undefined ? { register: v.register } : {}) };
}

/** The key `--continue --per-point` keeps one counterexample for. */
export const pointKey = (s: Signature): string => `${s.invariant}|${s.event}|${s.at}|${s.register ?? ''}`;

/** The known failure `s` matches on `arch`: same invariant, event, observation point and register (fields the saved trace has). */
export function matchKnown(known: readonly KnownFailure[], arch: string, s: Signature): KnownFailure | undefined {
  return known.find(
    (k) =>
      k.arch === arch &&
      k.invariant === s.invariant &&
      k.event === s.event &&
      (k.at === undefined || k.at === s.at) &&
      (k.register === undefined || k.register === s.register),
  );
}

/** The known failure a saved trace describes (traces saved before `at`/`register` were recorded match on invariant and event). */
export function knownFromTrace(t: TraceFile, source: string): KnownFailure {
  const last = t.events[t.step - 1];
  return {
    arch: t.arch,
    invariant: t.invariant,
    event: String(last?.event ?? ''),
    ...(t.at !== undefined ? { at: observationPoint(t.at) } : {}),
    ...(t.register !== undefined ? { register: t.register } : {}),
    source,
  };
}

/** Sorts counterexamples shortest first, then by the checking order of their invariants. */
export function byLengthThenOrder(order: readonly string[]): (a: Counterexample, b: Counterexample) => number {
  return (a, b) => a.trace.length - b.trace.length || order.indexOf(a.invariant) - order.indexOf(b.invariant);
}
