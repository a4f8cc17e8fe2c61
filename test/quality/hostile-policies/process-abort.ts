/** Hostile-policy fixture: the arm64-nvhe eager policy plus a hook that calls process.abort(). */
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

export default definePolicy({
  name: 'process-abort',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a hook that calls process.abort()',
  hooks: {
    ...eager.hooks,
    vcpuLoad() {
      process.abort();
    },
  },
});
