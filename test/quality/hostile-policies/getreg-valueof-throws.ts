/** Hostile-policy fixture: the arm64-nvhe eager policy plus a getReg that returns an object whose valueOf throws. */
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

export default definePolicy({
  name: 'getreg-valueof-throws',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a getReg that returns an object whose valueOf throws',
  hooks: {
    ...eager.hooks,
    getReg() {
      return {
        valueOf(): number {
          throw new Error('vo');
        },
      } as unknown as number;
    },
  },
});
