/** Hostile-policy fixture: the arm64-nvhe eager policy plus a hook that allocates without end. */
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

export default definePolicy({
  name: 'huge-alloc',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a hook that allocates without end',
  hooks: {
    ...eager.hooks,
    vcpuLoad() {
      const a: number[][] = [];
      for (;;) a.push(new Array(1e6).fill(1));
    },
  },
});
