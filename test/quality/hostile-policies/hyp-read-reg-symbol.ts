/** Hostile-policy fixture: the arm64-vhe eager policy plus a hypReadReg (vcpu_read_sys_reg) that returns a Symbol. */
import eager from '../../../models/arm64-vhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

export default definePolicy({
  name: 'hyp-read-reg-symbol',
  arch: 'arm64-vhe',
  summary: 'hostile fixture: a hypReadReg that returns a Symbol',
  hooks: {
    ...eager.hooks,
    hypReadReg() {
      return Symbol('h') as unknown as number;
    },
  },
});
