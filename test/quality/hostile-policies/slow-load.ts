/** Hostile-policy fixture: the arm64-nvhe eager policy plus a vcpuLoad that busy-waits 300 ms and returns: slow, not a loop. */
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

let loads = 0;
/** vcpuLoad calls so far in this process, so that a test can tell its runs were long enough. */
export const slowLoads = (): number => loads;

export default definePolicy({
  name: 'slow-load',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a vcpuLoad that takes 300 ms',
  hooks: {
    ...eager.hooks,
    vcpuLoad(k) {
      loads++;
      const until = performance.now() + 300;
      while (performance.now() < until) {}
      eager.hooks.vcpuLoad?.(k);
    },
  },
});
