/**
 * The last level's frontier (`SizedFrontier`) only counts its states: it must report the bytes a
 * stored frontier (`SparseFrontier`) would hold after the same pushes, or `peakBytes` would change.
 */
import { describe, expect, it } from 'vitest';
import { SizedFrontier, SparseFrontier } from '../src/searches/sparse-frontier.js';

describe('SizedFrontier', () => {
  it('reports the bytes and length of a SparseFrontier given the same states, through every growth', () => {
    const root = new Float64Array(40);
    const stored = new SparseFrontier(root, 10);
    const sized = new SizedFrontier(root, 10);
    const pairs = new Float64Array(2 * root.length);
    let seed = 7;
    for (let n = 0; n < 5000; n++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const count = seed % (root.length + 1);
      for (let i = 0; i < count; i++) {
        pairs[2 * i] = i;
        pairs[2 * i + 1] = n + 1;
      }
      stored.pushDifferences(pairs, 0, count, n);
      sized.pushDifferences(pairs, 0, count, n);
      expect(sized.bytes).toBe(stored.bytes);
      expect(sized.length).toBe(stored.length);
    }
  });
});
