import { EVENT_WIDTH, type Executor } from '../engine/execute.js';
import { HookCutOff, rerunGuarded } from './guard.js';

/**
 * Re-executes packed events from the initial world, stopping at a violation or at an event that
 * is not enabled; returns the events executed. The executor is left in the trace's final state
 * (its `violation` says what broke), which is how reports get the real violation and step stamps.
 * With `x.guardMs`, under the watchdog: a hook it cuts off throws `HookCutOff`.
 */
export function rerun(x: Executor, events: readonly Float64Array[]): number {
  x.cutOff = false;
  const n = rerunGuarded(x, events);
  // Only with `x.guardMs` (a policy file's hooks on this thread: the in-process check).
  if (x.cutOff) throw new HookCutOff();
  return n;
}

/** Re-executes packed events; returns the steps up to the violation of `invariant`, or -1 if it does not break. */
export function breaksAt(x: Executor, events: readonly Float64Array[], invariant: string): number {
  const n = rerun(x, events);
  return x.violation?.invariant === invariant ? n : -1;
}

/** The `steps` events of a trace buffer (EVENT_WIDTH words each), as separate packed events. */
export function splitEvents(buffer: Float64Array, steps: number): Float64Array[] {
  return Array.from({ length: steps }, (_, i) => buffer.slice(i * EVENT_WIDTH, (i + 1) * EVENT_WIDTH));
}

/**
 * Shortens a counterexample after fast-check's shrinking: repeatedly drops single events, then
 * adjacent pairs, while the same invariant still breaks (fast-check shrinks choices, which can
 * leave events that only mattered before a shrink step). Deterministic; cheap for short traces.
 */
export function minimizeTrace(x: Executor, trace: readonly Float64Array[], invariant: string): Float64Array[] {
  let events = [...trace];
  let improved = true;
  while (improved) {
    improved = false;
    for (const width of [1, 2]) {
      for (let i = 0; i + width <= events.length && !improved; i++) {
        const candidate = [...events.slice(0, i), ...events.slice(i + width)];
        const n = breaksAt(x, candidate, invariant);
        if (n > 0) {
          events = candidate.slice(0, n);
          improved = true;
        }
      }
      if (improved) break;
    }
  }
  return events;
}
