/** Hostile-policy fixture: the arm64-nvhe eager policy plus a register read by a Symbol id. */
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

export default definePolicy({
  name: 'read-symbol-reg',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a register read by a Symbol id',
  hooks: {
    ...eager.hooks,
    vcpuLoad(k: { hw: { read(r: unknown): number } }) {
      k.hw.read(Symbol('r'));
    },
  },
});
