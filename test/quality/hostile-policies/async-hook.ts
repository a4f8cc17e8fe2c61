/** Hostile-policy fixture: the arm64-nvhe eager policy plus an async vcpuLoad whose bug is after its await. */
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

export default definePolicy({
  name: 'async-hook',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: an async vcpuLoad whose bug is after its await',
  hooks: {
    ...eager.hooks,
    async vcpuLoad(k: { hw: { write(r: number, v: number): void } }) {
      await null;
      k.hw.write(99999, 1);
    },
  },
});
