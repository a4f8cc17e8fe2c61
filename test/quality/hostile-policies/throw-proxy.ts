/** Hostile-policy fixture: the arm64-nvhe eager policy plus a hook that throws a Proxy whose traps throw (unprintable, not even its prototype readable). */
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

export default definePolicy({
  name: 'throw-proxy',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a hook that throws a Proxy whose traps throw',
  hooks: {
    ...eager.hooks,
    vcpuLoad() {
      throw new Proxy(
        {},
        {
          get() {
            throw new Error('prox');
          },
          getPrototypeOf() {
            throw new Error('proto');
          },
        },
      );
    },
  },
});
