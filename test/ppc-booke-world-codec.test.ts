/**
 * Exploration packs the ghost words too: a ppc-booke world (whose CPUs carry DBSR ownership and
 * whose vCPUs carry userspace debug flags) survives encode/decode, and worlds that differ only in
 * a ghost word are different states.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ppcBooke } from '../models/ppc-booke/model.js';
import gdb2008 from '../models/ppc-booke/policies/ppc-booke-gdb-2008.js';
import { makeExecutor } from '../src/searches/check.js';
import { interleavings } from '../src/searches/interleave.js';
import { WorldCodec } from '../src/searches/world-codec.js';

describe('WorldCodec on ppc-booke', () => {
  const x = makeExecutor(gdb2008, ppcBooke, []);
  const codec = new WorldCodec(x.model, x.world.shape);
  const worlds = fc.sample(interleavings(30), { seed: 3, numRuns: 200 }).map((choices) => {
    x.runChoices(choices);
    return x.world.clone();
  });

  it('decodes what it encodes, ghost words included, on worlds reached by random runs', () => {
    expect(worlds.some((w) => w.cpuGhost.some((g) => g !== 0))).toBe(true);
    expect(worlds.some((w) => w.vcpuGhost.some((g) => g !== 0))).toBe(true);
    for (const w of worlds) {
      const packed = new Float64Array(codec.width);
      codec.encode(w, packed, 0);
      const back = x.initialWorld.clone();
      codec.decode(packed, 0, back);
      expect(Array.from(back.cpuGhost)).toEqual(Array.from(w.cpuGhost));
      expect(Array.from(back.vcpuGhost)).toEqual(Array.from(w.vcpuGhost));
      expect(Array.from(back.hw)).toEqual(Array.from(w.hw));
    }
  });

  it('tells apart two worlds that differ only in a ghost word', () => {
    const a = x.initialWorld.clone();
    const b = a.clone();
    b.cpuGhost[2] = 0x00800000;
    const pa = new Float64Array(codec.width);
    const pb = new Float64Array(codec.width);
    codec.encode(a, pa, 0);
    codec.encode(b, pb, 0);
    expect(Array.from(pa)).not.toEqual(Array.from(pb));
  });
});
