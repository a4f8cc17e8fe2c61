/**
 * Sleep sets between threads (src/searches/sleep-words.ts, `explore --por --workers N`): a successor's
 * sleep set shipped by a worker reads back, in the search's thread, as the same events whether
 * the worker named them by the search thread's numbers or, for events that thread did not know
 * yet, by their words.
 */
import { describe, expect, it } from 'vitest';
import { architectures, policies } from '../models/catalog.js';
import { invariantsFor } from '../properties/suites.js';
import { EVENT_WIDTH } from '../src/engine/execute.js';
import type { ArchModel } from '../src/engine/model.js';
import type { Policy } from '../src/engine/policy.js';
import { EventNumbers } from '../src/searches/event-writes.js';
import { fullAlphabet, makeExploreExecutor } from '../src/searches/explore.js';
import { ShippedSleepSets } from '../src/searches/sleep-words.js';
import { WorldCodec } from '../src/searches/world-codec.js';

const arch = architectures.find((a) => a.id === 'arm64-nvhe') as ArchModel;
const policy = policies.find((p) => p.arch === 'arm64-nvhe' && p.name === 'arm64-dirty-2015') as Policy;

/**
 * Ships the sleep set of the successor by every enabled event of the initial state and reads each
 * back in the search's thread: per event, the sorted words of its sleep set's events, and how
 * many sets went (at least partly) by words.
 */
function shipAll(mainKnowsEvents: boolean): { sets: string[][]; byWords: number } {
  const x = makeExploreExecutor(policy, arch, invariantsFor(arch.id));
  x.reset();
  const perms = new WorldCodec(x.model, x.world.shape).perms;
  const pending: Float64Array[] = [];
  fullAlphabet()(x, (ev) => pending.push(ev.slice()));
  const table = new EventNumbers();
  const main = new ShippedSleepSets(x, table, false, perms);
  if (mainKnowsEvents) for (const ev of pending) table.intern(ev);
  const level = main.levelSleep(1);
  const worker = new ShippedSleepSets(x, new EventNumbers(), false, perms);
  worker.adopt(mainKnowsEvents ? level : { ...level, known: 0 });
  worker.enterState(0, pending, pending.length);
  const out = new Float64Array(1 << 16);
  let byWords = 0;
  for (let e = 0; e < pending.length; e++) {
    worker.ship(e, 0, out, 0);
    if (out[2] === -1) byWords++;
    main.storedShipped(e, out, 0, Uint32Array.of(e + 1, 7));
  }
  main.beginLevel();
  const back = main.levelSleep(pending.length);
  const words = table.data();
  const sets = pending.map((_, s) => {
    const ids = Array.from(back.ids.subarray(back.starts[s], (back.starts[s] as number) + (back.counts[s] as number)));
    return ids.map((id) => Array.from(words.subarray(id * EVENT_WIDTH, (id + 1) * EVENT_WIDTH)).join(',')).sort();
  });
  return { sets, byWords };
}

describe('a sleep set shipped between threads', () => {
  it('reads back as the same events whether sent by number or by words', () => {
    const byNumber = shipAll(true);
    const byWords = shipAll(false);
    expect(byNumber.byWords).toBe(0);
    expect(byWords.byWords).toBeGreaterThan(0);
    expect(byNumber.sets.some((set) => set.length > 1)).toBe(true);
    expect(byWords.sets).toEqual(byNumber.sets);
  });
});
