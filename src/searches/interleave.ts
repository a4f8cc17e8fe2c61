import fc from 'fast-check';

/**
 * Interleavings as lists of raw choices: each number is decoded by the executor into "the k-th
 * enabled event" (weighted by kind), so every generated list is a legal trace, no step is wasted on
 * a disabled event, and shrinking (shorter lists, smaller numbers) keeps traces legal.
 */
export function interleavings(maxSteps: number): fc.Arbitrary<number[]> {
  return fc.array(fc.nat({ max: 0x7fffffff }), { minLength: 1, maxLength: maxSteps, size: 'max' });
}
