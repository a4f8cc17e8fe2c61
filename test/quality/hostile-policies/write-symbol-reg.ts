/** Hostile-policy fixture: the arm64-nvhe eager policy plus a register id given as a Symbol. */
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

export default definePolicy({
  name: 'write-symbol-reg',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a register id given as a Symbol',
  hooks: {
    ...eager.hooks,
    vcpuLoad(k: { hw: { write(r: unknown, v: number): void } }) {
      k.hw.write(Symbol('r'), 1);
    },
  },
});
