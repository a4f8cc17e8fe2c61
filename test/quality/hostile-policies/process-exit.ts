/** Hostile-policy fixture: the arm64-nvhe eager policy plus a hook that calls process.exit(7). */
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

export default definePolicy({
  name: 'process-exit',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a hook that calls process.exit(7)',
  hooks: {
    ...eager.hooks,
    vcpuLoad() {
      process.exit(7);
    },
  },
});
