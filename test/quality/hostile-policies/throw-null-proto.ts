/** Hostile-policy fixture: the arm64-nvhe eager policy plus a hook that throws an object with no prototype (unprintable). */
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

export default definePolicy({
  name: 'throw-null-proto',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a hook that throws an object with no prototype (unprintable)',
  hooks: {
    ...eager.hooks,
    vcpuLoad() {
      throw Object.create(null);
    },
  },
});
