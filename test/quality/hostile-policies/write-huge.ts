/** Hostile-policy fixture: the arm64-nvhe eager policy plus a value beyond what a register value can be exactly. */

import { MDSCR_EL1 } from '../../../models/arm64-nvhe/api.js';
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';
export default definePolicy({
  name: 'write-huge',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a value beyond what a register value can be exactly',
  hooks: {
    ...eager.hooks,
    vcpuLoad(k: { hw: { write(r: number, v: number): void } }) {
      k.hw.write(MDSCR_EL1, 2 ** 60);
    },
  },
});
