/**
 * The packed state exploration deduplicates on: a world survives encode/decode, the canonical CPU
 * order makes two worlds that differ only by a swap of CPUs encode identically, and the
 * fingerprint set keeps every member as it grows.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arm64Nvhe } from '../models/arm64-nvhe/model.js';
import arm64Dirty2015 from '../models/arm64-nvhe/policies/arm64-dirty-2015.js';
import { invariantsFor } from '../properties/suites.js';
import type { ModelConfig } from '../src/engine/model.js';
import type { World } from '../src/engine/world.js';
import { makeExecutor } from '../src/searches/check.js';
import { interleavings } from '../src/searches/interleave.js';
import { StateSet } from '../src/searches/state-set.js';
import { WorldCodec } from '../src/searches/world-codec.js';

const invariants = invariantsFor('arm64-nvhe');

/** The worlds at the end of `runs` random interleavings (fixed seed) of the merged policy. */
function reachedWorlds(config: ModelConfig, runs: number): { codec: WorldCodec; initial: World; worlds: World[] } {
  const x = makeExecutor(arm64Dirty2015, arm64Nvhe, invariants, config);
  const worlds = fc.sample(interleavings(30), { seed: 1, numRuns: runs }).map((choices) => {
    x.runChoices(choices);
    return x.world.clone();
  });
  return { codec: new WorldCodec(x.model, x.world.shape), initial: x.initialWorld.clone(), worlds };
}

/**
 * Calls `body` for each pair of consecutive reached worlds, after `codec.begin` took the first
 * (packed as `pre`) as the state before a step; returns how many worlds were reached.
 */
function eachStep(config: ModelConfig, body: (codec: WorldCodec, before: World, after: World, pre: Float64Array) => void): number {
  const { codec, worlds } = reachedWorlds(config, 60);
  for (let i = 1; i < worlds.length; i++) {
    const before = worlds[i - 1] as World;
    const pre = encoded(codec, before).slice();
    codec.begin(pre, before.clone());
    body(codec, before, worlds[i] as World, pre);
  }
  return worlds.length;
}

const encoded = (codec: WorldCodec, w: World, perm = 0, offset = 0): Float64Array => {
  const out = new Float64Array(offset + codec.width);
  codec.encode(w, out, offset, perm);
  return out.subarray(offset);
};

/** Every field the codec packs (all but the intents' step stamps). */
const PACKED = [
  'hw',
  'cpuContext',
  'running',
  'vcpuState',
  'loadedOn',
  'vcpuMem',
  'vcpuScalar',
  'hostMem',
  'hostIntent',
  'guestIntent',
] as const;

type Block = Float64Array | Int32Array;
const swapBlocks = (a: Block, p: number, q: number, size: number): void => {
  const pa = a.slice(p * size, (p + 1) * size);
  a.copyWithin(p * size, q * size, (q + 1) * size);
  a.set(pa, q * size);
};

/** `w` with CPUs `p` and `q` exchanged: their hardware, host intent and memory, context and vCPU. */
function swapCpus(w: World, p: number, q: number): World {
  const s = w.clone();
  const R = w.shape.regs;
  for (const a of [s.hw, s.hostIntent, s.hostIntentAt]) swapBlocks(a, p, q, R);
  swapBlocks(s.hostMem, p, q, w.shape.hostAreas * R);
  [s.cpuContext[p], s.cpuContext[q]] = [w.cpuContext[q] as number, w.cpuContext[p] as number];
  [s.running[p], s.running[q]] = [w.running[q] as number, w.running[p] as number];
  s.loadedOn.forEach((cpu, v) => {
    s.loadedOn[v] = cpu === p ? q : cpu === q ? p : cpu;
  });
  return s;
}

const configs: [string, ModelConfig][] = [
  ['2 CPUs, 1 vCPU', {}],
  ['3 CPUs, 2 vCPUs', { cpus: 3, vcpus: 2 }],
];

describe('WorldCodec', () => {
  it.each(configs)('decodes what it encodes on worlds reached by random runs (%s)', (_label, config) => {
    const { codec, initial, worlds } = reachedWorlds(config, 200);
    for (const w of worlds) {
      const packed = encoded(codec, w, 0, 3);
      const back = initial.clone();
      codec.decode(packed, 0, back);
      expect(encoded(codec, back)).toEqual(packed);
      for (const field of PACKED) expect(back[field], field).toEqual(w[field]);
    }
  });

  it.each(configs)('puts two worlds that differ by a swap of CPUs in the same canonical order (%s)', (_label, config) => {
    const { codec, worlds } = reachedWorlds(config, 200);
    const cpus = worlds[0]?.shape.cpus ?? 0;
    let distinct = 0;
    for (const w of worlds) {
      for (let p = 0; p < cpus; p++) {
        for (let q = p + 1; q < cpus; q++) {
          const s = swapCpus(w, p, q);
          const a = encoded(codec, w);
          const b = encoded(codec, s);
          if (a.some((value, i) => value !== b[i])) distinct++;
          expect(encoded(codec, s, codec.order(s))).toEqual(encoded(codec, w, codec.order(w)));
        }
      }
    }
    // Not vacuous: most swaps give a different world before canonicalisation.
    expect(distinct).toBeGreaterThan(worlds.length / 2);
  });

  it.each(configs)('fingerprints a successor from its changed words as it fingerprints the whole packed world (%s)', (_label, config) => {
    const whole = new Uint32Array(2);
    const step = new Uint32Array(2);
    let distinct = 0;
    const reached = eachStep(config, (codec, before, after, pre) => {
      for (let perm = 0; perm < codec.perms.length; perm++) {
        codec.encode(after, new Float64Array(codec.width), 0, perm, whole);
        codec.successor(after, pre, perm, step);
        expect(Array.from(step)).toEqual(Array.from(whole));
      }
      // The same again once the changed words are known (the first pass compared every word).
      codec.successor(after, pre, codec.order(after), step);
      codec.encode(after, new Float64Array(codec.width), 0, codec.order(after), whole);
      expect(Array.from(step)).toEqual(Array.from(whole));
      const b = new Uint32Array(2);
      codec.encode(before, new Float64Array(codec.width), 0, 0, b);
      if (b[0] !== whole[0] || b[1] !== whole[1]) distinct++;
    });
    expect(distinct).toBeGreaterThan(reached / 2);
  });

  it.each(configs)('fingerprints and restores a successor exactly whatever an event number has learned so far (%s)', (_label, config) => {
    // One event number for steps that write different words: what it learned from the earlier
    // steps is always too little or too much for the next, and only the whole-world check can tell.
    const whole = new Uint32Array(2);
    const step = new Uint32Array(2);
    let fellBack = 0;
    const reached = eachStep(config, (codec, before, after, pre) => {
      const w = after.clone();
      codec.successor(w, pre, 0, step, 7);
      if (codec.changedCount < 0) fellBack++;
      codec.encode(w, new Float64Array(codec.width), 0, 0, whole);
      expect(Array.from(step)).toEqual(Array.from(whole));
      codec.restore(w);
      expect(Array.from(w.words)).toEqual(Array.from(before.words));
      expect(Array.from(w.bytes)).toEqual(Array.from(before.bytes));
    });
    // Not vacuous: the number did not know every word at first, and learned enough to stop falling back every time.
    expect(fellBack).toBeGreaterThan(0);
    expect(fellBack).toBeLessThan(reached - 1);
  });

  it('leaves a world with one CPU in its own order', () => {
    const { codec, worlds } = reachedWorlds({ cpus: 1 }, 20);
    for (const w of worlds) expect(codec.order(w)).toBe(0);
  });
});

describe('StateSet', () => {
  it('adds a fingerprint once: true the first time, false on a repeat', () => {
    const s = new StateSet();
    expect(s.add(0x12345678, 0x9abcdef0)).toBe(true);
    expect(s.add(0x12345678, 0x9abcdef0)).toBe(false);
    expect(s.add(0x12345678, 0x9abcdef1)).toBe(true);
    expect(s.add(0x12345679, 0x9abcdef0)).toBe(true);
    expect(s.size).toBe(3);
  });

  it('keeps (0, 0), its empty-slot marker, as a member', () => {
    const s = new StateSet();
    expect(s.add(0, 0)).toBe(true);
    expect(s.add(0, 0)).toBe(false);
    expect(s.size).toBe(1);
  });

  it('grows past its initial capacity without losing a member', () => {
    const s = new StateSet(4);
    const before = s.bytes;
    const n = 20_000;
    // Half spread out, half sharing their low word so that they probe the same slots.
    const key = (i: number): [number, number] => (i % 2 === 0 ? [Math.imul(i, 0x9e3779b1) >>> 0, i] : [i, 0xffff0000]);
    let added = 0;
    for (let i = 0; i < n; i++) if (s.add(...key(i))) added++;
    expect(added).toBe(n);
    expect(s.size).toBe(n);
    expect(s.bytes).toBeGreaterThan(before);
    let repeated = 0;
    for (let i = 0; i < n; i++) if (!s.add(...key(i))) repeated++;
    expect(repeated).toBe(n);
    expect(s.size).toBe(n);
  });
});
