/** Hostile-policy fixture: the arm64-nvhe eager policy plus a Symbol written to a register. */
import { MDSCR_EL1 } from '../../../models/arm64-nvhe/api.js';
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

export default definePolicy({
  name: 'write-symbol-value',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a Symbol written to a register',
  hooks: {
    ...eager.hooks,
    vcpuLoad(k: { hw: { write(r: number, v: unknown): void } }) {
      k.hw.write(MDSCR_EL1, Symbol('v'));
    },
  },
});
