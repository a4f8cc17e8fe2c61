/**
 * Hostile-policy fixture: the arm64-nvhe eager policy plus a vcpuLoad that throws on CPU 1 (a finding
 * that reproduces) and, from call `spinFromCall(k)` on, spins. A test first counts the calls a check makes, then sets
 * the spin to begin in the last of them: where the in-process check re-executes and minimises the
 * counterexample after its search.
 */
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

let calls = 0;
let spinFrom = Number.POSITIVE_INFINITY;
/** vcpuLoad calls since the last `spinFromCall`. */
export const loads = (): number => calls;
/** Starts counting again; call number `k` and every later one spin. */
export function spinFromCall(k: number): void {
  calls = 0;
  spinFrom = k;
}

export default definePolicy({
  name: 'loop-in-minimise',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a vcpuLoad that throws on CPU 1 and spins from a chosen call on',
  hooks: {
    ...eager.hooks,
    vcpuLoad(k) {
      calls++;
      if (calls >= spinFrom) for (;;) {}
      if (k.cpu === 1) throw new Error('a load on cpu1');
      eager.hooks.vcpuLoad?.(k);
    },
  },
});
