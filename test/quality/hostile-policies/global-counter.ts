/** Hostile-policy fixture: the arm64-nvhe eager policy plus a vcpuLoad that counts its calls in a module variable. */
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

let loads = 0;
export default definePolicy({
  name: 'global-counter',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a vcpuLoad that counts its calls in a module variable',
  hooks: {
    ...eager.hooks,
    vcpuLoad() {
      loads++;
      if (loads === 200) throw new Error('the 200th load');
    },
  },
});
