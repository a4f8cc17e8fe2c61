import type { Executor, HookAccess } from '../engine/execute.js';
import type { Violation } from '../engine/invariant.js';
import { describeTraceEvent, eventFromJSON, type TraceEvent } from '../engine/trace.js';
import type { World } from '../engine/world.js';
import { GUARDED_CHUNK_MS, guardRun } from './guard.js';
import { runToEnd, type Sliced } from './slices.js';

/** A trace re-executed step by step: the world after each step (index 0 is the initial world). */
export interface Replay {
  readonly states: readonly World[];
  readonly violation: Violation | undefined;
  /** Steps executed (stops at the first violation). */
  readonly steps: number;
  /** The hooks' hardware accesses of each step (index 0 is step 1), in order; empty unless asked for. */
  readonly accesses: readonly (readonly HookAccess[])[];
  /** True when the watchdog (`x.guardMs`) cut off a hook that did not return: the violation says which. */
  readonly cutOff: boolean;
}

/** A saved trace names an event or operand the model does not have, or an event that is not enabled. */
export class TraceError extends Error {
  readonly code = 'ERR_TRACE';
}

/**
 * Re-executes a saved trace from the initial world, keeping a snapshot after every step, and with
 * `logAccesses` each step's hook accesses (for reports: the checking path never logs).
 */
export function replay(x: Executor, trace: readonly TraceEvent[], logAccesses = false): Replay {
  return runToEnd(replayInSlices(x, trace, logAccesses));
}

/**
 * `replay`, yielding every 256 steps (see slices.ts). With `x.guardMs` (a policy file's hooks), each
 * slice (no event started after `GUARDED_CHUNK_MS`) runs under the watchdog: a hook that does not
 * return ends the replay at its step with a policy-total finding on `x`, as in a search.
 */
export function* replayInSlices(x: Executor, trace: readonly TraceEvent[], logAccesses = false): Sliced<Replay> {
  x.reset();
  const states: World[] = [x.world.clone()];
  const accesses: HookAccess[][] = [];
  let i = 0;
  let stopped = false;
  let cutOff = false;
  const slice = (): void => {
    const end = Math.min(trace.length, i + 256);
    const started = performance.now();
    for (; i < end; i++) {
      if (x.guardMs !== undefined && performance.now() - started > GUARDED_CHUNK_MS) return;
      const e = trace[i] as TraceEvent;
      const ev = eventFromJSON(x, e);
      if (typeof ev === 'string') throw new TraceError(`step ${i + 1}: ${ev}`);
      const kind = x.kinds[ev[0] as number];
      if (!kind?.accepts(x, ev)) {
        // Not enabled here, or operands outside the event's domain (VHE's HYP_READ_REG of a register no kernel path reads).
        throw new TraceError(`step ${i + 1}: ${describeTraceEvent(e)} is not enabled in this state or not in the model's alphabet`);
      }
      if (logAccesses) x.accessLog = [];
      x.apply(ev);
      if (x.accessLog) accesses.push(x.accessLog);
      states.push(x.world.clone());
      if (x.violation) {
        stopped = true;
        return;
      }
    }
  };
  try {
    while (!stopped && i < trace.length) {
      if (x.guardMs === undefined) slice();
      else if (!guardRun(x, x.guardMs, slice)) {
        // The hook was cut off part-way: its step shows the accesses it made, not a world after it.
        if (x.accessLog) accesses.push(x.accessLog);
        cutOff = true;
        break;
      }
      if (!stopped && i < trace.length) yield;
    }
  } finally {
    x.accessLog = undefined;
  }
  return { states, violation: x.violation, steps: states.length - 1, accesses, cutOff };
}
