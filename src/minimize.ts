import { EVENT_WIDTH, type Executor } from './execute.js';

/** Re-executes packed events from the initial world; returns the steps up to the violation of `invariant`, or -1 if it does not break. */
export function breaksAt(x: Executor, events: readonly Float64Array[], invariant: string): number {
  x.reset();
  for (const [i, ev] of events.entries()) {
    if (!(x.kinds[ev[0] as number]?.accepts(x, ev) ?? false)) return -1;
    x.apply(ev);
    if (x.violation) return x.violation.invariant === invariant ? i + 1 : -1;
  }
  return -1;
}

/**
 * Shortens a counterexample after fast-check's shrinking: repeatedly drops single events, then
 * adjacent pairs, while the same invariant still breaks (fast-check shrinks choices, which can
 * leave events that only mattered before a shrink step). Deterministic; cheap for short traces.
 */
export function minimizeTrace(
  x: Executor,
  buffer: Float64Array,
  steps: number,
  invariant: string,
): { buffer: Float64Array; steps: number } {
  let events = Array.from({ length: steps }, (_, i) => buffer.slice(i * EVENT_WIDTH, (i + 1) * EVENT_WIDTH));
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
  const out = new Float64Array(Math.max(events.length, 1) * EVENT_WIDTH);
  events.forEach((ev, i) => {
    out.set(ev, i * EVENT_WIDTH);
  });
  breaksAt(x, events, invariant); // leave the executor in the final trace's state
  return { buffer: out, steps: events.length };
}
