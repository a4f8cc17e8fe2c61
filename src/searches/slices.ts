/**
 * Long synchronous work cut into slices: a generator that yields between units of work (a chunk of
 * replayed events, a guest round) runs to its end at once (`runToEnd`), or with the event loop
 * let in between slices (`runInSlices`) so that a signal handler can run and stop it. The CLI's
 * in-thread commands (`replay`, `cost`) use the second; library callers keep the first.
 */

/** A computation that yields between units of work and returns its result. */
export type Sliced<T> = Generator<unknown, T, undefined>;

/** Runs a sliced computation to its end, synchronously. */
export function runToEnd<T>(work: Sliced<T>): T {
  for (;;) {
    const r = work.next();
    if (r.done) return r.value;
  }
}

/** How long a slice runs before the event loop is let in (signals are answered within about this). */
const SLICE_MS = 25;

/**
 * Runs a sliced computation, letting the event loop run about every `SLICE_MS` milliseconds and
 * asking `stop` before the first slice and after each time; undefined when `stop` said so (the
 * work is abandoned there).
 */
export async function runInSlices<T>(work: Sliced<T>, stop: () => boolean): Promise<T | undefined> {
  // A signal that came before the work (while a policy file loaded): its first slice may never end.
  if (stop()) return undefined;
  let sliceStart = performance.now();
  for (;;) {
    const r = work.next();
    if (r.done) return r.value;
    if (performance.now() - sliceStart < SLICE_MS) continue;
    await new Promise((resolve) => setImmediate(resolve));
    if (stop()) {
      work.return(undefined as T);
      return undefined;
    }
    sliceStart = performance.now();
  }
}
