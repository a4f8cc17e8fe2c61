/** Hostile-policy fixture: the arm64-nvhe eager policy plus a vcpuLoad that freezes the hook context k. */
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

export default definePolicy({
  name: 'freeze-k',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a vcpuLoad that freezes k',
  hooks: {
    ...eager.hooks,
    vcpuLoad(k: object) {
      Object.freeze(k);
    },
  },
});
