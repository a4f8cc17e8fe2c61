/** Hostile-policy fixture: the arm64-nvhe eager policy plus a hook that spins without touching a register. */
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

export default definePolicy({
  name: 'spin',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a hook that spins without touching a register',
  hooks: {
    ...eager.hooks,
    vcpuLoad() {
      for (;;) {}
    },
  },
});
