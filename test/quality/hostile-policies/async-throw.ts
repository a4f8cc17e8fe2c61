/** Hostile-policy fixture: the arm64-nvhe eager policy plus an async vcpuLoad that rejects. */
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

export default definePolicy({
  name: 'async-throw',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: an async vcpuLoad that rejects',
  hooks: {
    ...eager.hooks,
    async vcpuLoad() {
      throw new Error('async boom');
    },
  },
});
