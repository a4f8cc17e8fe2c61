/**
 * Hostile-policy fixture: the arm64-nvhe eager policy plus a save to vCPU memory under a register
 * name looked up with a typo (`undefined`, no index): a value no state holds, unless it throws.
 */

import { MDSCR_EL1 } from '../../../models/arm64-nvhe/api.js';
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

const SAVED: Record<string, number> = { MDSCR_EL1 };

export default definePolicy({
  name: 'write-unknown-key',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a vCPU memory write under a key that is no register index',
  hooks: {
    ...eager.hooks,
    vcpuLoad(k: { vcpu: { ctxt: Float64Array } }) {
      const reg = SAVED.MDSCR_EL as number; // the typo: undefined
      k.vcpu.ctxt[reg] = 1;
    },
  },
});
