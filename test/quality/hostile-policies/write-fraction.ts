/** Hostile-policy fixture: the arm64-nvhe eager policy plus a fractional register value. */

import { MDSCR_EL1 } from '../../../models/arm64-nvhe/api.js';
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';
export default definePolicy({
  name: 'write-fraction',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a fractional register value',
  hooks: {
    ...eager.hooks,
    vcpuLoad(k: { hw: { write(r: number, v: number): void } }) {
      k.hw.write(MDSCR_EL1, 1.5);
    },
  },
});
