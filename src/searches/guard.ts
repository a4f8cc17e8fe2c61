/**
 * A watchdog for policy hooks run on the calling thread (`replay`, `cost`, the vitest helper): the
 * work runs inside a `vm` script with a timeout, whose expiry terminates whatever JavaScript runs,
 * the policy's own functions included. Each call costs tens of microseconds, so callers guard a
 * chunk of work that starts no hook after GUARDED_CHUNK_MS, not every hook. Ctrl-C ends the
 * work at once too (`breakOnSigint`): the signal is passed on to the CLI's handlers and the work
 * ends with `Interrupted`, which the CLI reports as a stop by SIGINT (exit 130), no verdict.
 */
import vm from 'node:vm';
import type { Executor } from '../engine/execute.js';
import { runToEnd, type Sliced } from './slices.js';

const context = vm.createContext({ work: undefined as (() => unknown) | undefined });
const script = new vm.Script('work()');

/** Ctrl-C arrived while a policy's hook ran on this thread: the work was ended part-way, so nothing it did is a verdict. */
export class Interrupted extends Error {
  readonly code = 'ERR_INTERRUPTED';
  constructor() {
    super('stopped by SIGINT while a policy hook ran: no verdict');
  }
}

/**
 * A guarded chunk of events starts no new event once it has run this long: the watchdog's time is
 * then the last event's, to within this, so a slow hook that returns is never taken for a loop.
 */
export const GUARDED_CHUNK_MS = 20;

/** Default seconds a hook may run before it counts as looping (`--hook-timeout`). */
export const DEFAULT_HOOK_TIMEOUT_S = 10;

/**
 * Runs `fn` on executor `x` with at most `ms` milliseconds for the whole call. Returns false when
 * the time ran out: the hook then running is recorded as a policy-total finding (it does not
 * terminate) and the executor is left at that step.
 */
export function guardRun(x: Executor, ms: number, fn: () => void): boolean {
  const outer = context.work;
  context.work = fn;
  try {
    script.runInContext(context, { timeout: ms, breakOnSigint: true });
    return true;
  } catch (e) {
    const code = (e as { code?: unknown })?.code;
    if (code === 'ERR_SCRIPT_EXECUTION_INTERRUPTED') {
      // Node held the signal back from process.on('SIGINT') while the script ran: hand it on.
      process.emit('SIGINT', 'SIGINT');
      throw new Interrupted();
    }
    if (code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw e;
    x.hookTimedOut(`did not return within ${ms / 1000} s: it does not terminate`);
    x.cutOff = true;
    return false;
  } finally {
    context.work = outer;
  }
}

/**
 * Re-executes packed events from the initial world in chunks, under the watchdog when `x.guardMs`
 * is set, stopping at a violation, an event that is not enabled, or a hook that does not return;
 * yields after every chunk and returns the events executed (a hung hook's event included). `rerun`
 * (minimize.ts) runs it at once.
 */
export function* rerunInChunks(x: Executor, events: readonly Float64Array[]): Sliced<number> {
  const ms = x.guardMs;
  x.reset();
  let i = 0;
  let stopped = false;
  const chunk = (): void => {
    const end = Math.min(events.length, i + 64);
    const started = performance.now();
    for (; i < end; i++) {
      if (ms !== undefined && performance.now() - started > GUARDED_CHUNK_MS) return;
      const ev = events[i] as Float64Array;
      if (!(x.kinds[ev[0] as number]?.accepts(x, ev) ?? false)) {
        stopped = true;
        return;
      }
      x.apply(ev);
      if (x.violation) {
        i++;
        stopped = true;
        return;
      }
    }
  };
  while (!stopped && i < events.length) {
    if (ms === undefined) chunk();
    else if (!guardRun(x, ms, chunk)) return x.step;
    yield;
  }
  return i;
}

/** `rerunInChunks` at once. */
export const rerunGuarded = (x: Executor, events: readonly Float64Array[]): number => runToEnd(rerunInChunks(x, events));

/** The watchdog cut off a hook while a search re-executed a trace for its own use (minimising it): the policy did not run as it had. */
export class HookCutOff extends Error {}
