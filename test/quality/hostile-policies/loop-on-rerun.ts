/**
 * Hostile-policy fixture: the arm64-nvhe eager policy plus a vcpuLoad that counts its calls in a
 * module variable and spins from the second on. The search meets the spin in its worker, after a
 * first load in the same run; the report re-executes that run on the main thread, whose copy of the
 * module counts its own calls, and meets the spin from its second rendering on (the text report,
 * then `--json`): each must be cut off by the watchdog, not hang the process.
 */
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

let loads = 0;
export default definePolicy({
  name: 'loop-on-rerun',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a vcpuLoad that spins from its second call',
  hooks: {
    ...eager.hooks,
    vcpuLoad(k) {
      loads++;
      if (loads >= 2) for (;;) {}
      eager.hooks.vcpuLoad?.(k);
    },
  },
});
