/**
 * The executor's vocabulary: the errors it throws, the records it keeps for reports and watchdogs,
 * the width of a packed event, exit reasons, scratch sizes, and how a thrown value prints.
 */
import { describeThrown, inherits } from './describe-thrown.js';
import type { Invariant } from './invariant.js';
import type { HookContext } from './policy.js';

/** Thrown through a policy hook to stop it at an observation point where an invariant broke. */
export const STOP: unknown = Object.freeze({ worldswitch: 'stop' });

/** The checker itself, or an invariant, threw: not a finding about the policy (exit code 3). */
export class CheckerCrash extends Error {
  readonly code = 'ERR_CHECKER_CRASH';
}

/** Register accesses one hook may make before it counts as looping. */
export const HOOK_ACCESS_BUDGET = 10_000;

/** The name of the invariant the executor reports a policy's own failures under. */
export const POLICY_TOTAL = 'policy-total';

/** A WARN() a policy hook raised, kept for the report. */
export interface Warning {
  readonly step: number;
  readonly hook: string;
  readonly message: string;
}

/**
 * Shared memory a watchdog thread reads while a check runs in a worker: `beat` [heartbeat, hook
 * index + 1 of the hook running (0 none), steps of the current run, runs started]; `trace` the
 * current run's events. A hook that stops beating is a hook that does not return.
 */
export interface Watch {
  readonly beat: Int32Array;
  readonly trace: Float64Array;
}

/**
 * One entry of a hook's hardware accesses, logged only while a report is rendered (`accessLog`):
 * a hook starting (or resuming after a hook nested in it), a read, or a write. A read or write
 * whose `value`/`write` is undefined faulted before it happened (UNDEFINED register, budget); its
 * `reg` and a write's `value` are what the hook passed, which may be no number at all.
 */
export interface HookAccess {
  readonly kind: 'hook' | 'resume' | 'read' | 'write' | 'deliver' | 'missed';
  /** The hook; for `deliver`, who received the debug exception (`host`, `guest`, `vmm`). */
  readonly hook: string;
  readonly cpu: number;
  /** How many hooks this one runs inside (0: called by the event itself). */
  readonly depth: number;
  readonly reg: unknown;
  /** The value read, or the value the hook wrote. */
  value: unknown;
  /** A write's number within its hook, as observation points count them ("after hardware write #2"). */
  write: number | undefined;
  /** What the register holds after the write, when that differs from the value written (w1c, fixed-1 bits). */
  result: number | undefined;
}

/** Number of Float64 words one event occupies in a trace buffer: the kind and up to five operands. */
export const EVENT_WIDTH = 6;

/** A policy hook as the executor calls it. */
export type HookFn = (k: HookContext<unknown, unknown>, a?: unknown, b?: unknown) => unknown;

/** Exit reasons a guest exit hook receives; `trap`, `debug` and `step` (a software-step exception) are raised by the hardware model. */
export const EXIT_REASONS = ['irq', 'hvc', 'mmio', 'trap', 'debug', 'step'] as const;

/** One of EXIT_REASONS: what a policy's guestExit hook receives. */
export type ExitReason = (typeof EXIT_REASONS)[number];

/** Policy-private words every vCPU has beyond the model's named scalars (`k.vcpu.scratch`). */
export const SCRATCH_WORDS = 32;

/** Policy-private words every CPU's host data has beyond the model's named scalars (`k.host.scratch`: per-CPU state). */
export const HOST_SCRATCH_WORDS = 16;

/** An invariant that threw: a crash of the checker, not a finding. */
export function crash(inv: Invariant, e: unknown): CheckerCrash {
  return new CheckerCrash(`Invariant ${inv.name} threw: ${describeError(e)}`);
}

/**
 * A thrown value as text (`describe-thrown.ts`); never throws, and runs none of the policy's code (a
 * `toString` or `message` getter that loops would hang the checker): `Error: boom`, `{ code: 3 }`,
 * a Proxy as `<unprintable value>`.
 */
export function describeError(e: unknown): string {
  return describeThrown(e);
}

/** Whether `e` is a CheckerCrash; runs no policy code (no Proxy trap, no `Symbol.hasInstance`). */
export function isCheckerCrash(e: unknown): boolean {
  return typeof e === 'object' && e !== null && inherits(e, CheckerCrash.prototype);
}

/** A value a hook passed or returned, as the call would show it: `"5"`, `1.5`, `-1`, `5n`, `Symbol(r)`, `undefined`. */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) >= 2 ** 32) return `0x${v.toString(16)}`;
  if (typeof v === 'bigint') return `${v}n`;
  return describeError(v);
}

/** Whether `r` has a callable `then` (reading it may run a getter: a thrown error counts as no). */
export function isThenable(r: object): boolean {
  try {
    return typeof (r as { then?: unknown }).then === 'function';
  } catch {
    return false;
  }
}
