/** Hostile-policy fixture: the arm64-nvhe eager policy plus a getReg that returns an object whose toString never returns. */
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

export default definePolicy({
  name: 'getreg-tostring-loops',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a getReg that returns an object whose toString never returns',
  hooks: {
    ...eager.hooks,
    getReg() {
      return {
        toString(): string {
          for (;;) {}
        },
      } as unknown as number;
    },
  },
});
