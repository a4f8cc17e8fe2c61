/**
 * The last level's frontier (`SizedFrontier`) counts its states and holds none: `peakBytes` is the
 * memory the search held, not what storing the never-expanded last level would have taken.
 */
import { describe, expect, it } from 'vitest';
import { SizedFrontier, SparseFrontier } from '../src/searches/sparse-frontier.js';

describe('SizedFrontier', () => {
  it('counts the states pushed and holds no bytes', () => {
    const root = new Float64Array(40);
    const stored = new SparseFrontier(root, 10);
    const sized = new SizedFrontier();
    const pairs = new Float64Array(2 * root.length);
    for (let n = 0; n < 5000; n++) {
      const count = n % (root.length + 1);
      for (let i = 0; i < count; i++) {
        pairs[2 * i] = i;
        pairs[2 * i + 1] = n + 1;
      }
      stored.pushDifferences(pairs, 0, count, n);
      sized.pushDifferences(pairs, 0, count, n);
      expect(sized.length).toBe(stored.length);
    }
    expect(sized.bytes).toBe(0);
    expect(stored.bytes).toBeGreaterThan(5000 * 8);
  });
});
