/** Hostile-policy fixture: the arm64-nvhe eager policy plus a getReg that returns a string. */
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

export default definePolicy({
  name: 'getreg-string',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a getReg that returns a string',
  hooks: {
    ...eager.hooks,
    getReg() {
      return 'garbage' as unknown as number;
    },
  },
});
