/** Hostile-policy fixture: the arm64-nvhe eager policy plus a getReg (KVM_GET_ONE_REG) that returns a Symbol. */
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

export default definePolicy({
  name: 'getreg-symbol',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a getReg that returns a Symbol',
  hooks: {
    ...eager.hooks,
    getReg() {
      return Symbol('x') as unknown as number;
    },
  },
});
