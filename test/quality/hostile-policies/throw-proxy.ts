/** Hostile-policy fixture: the arm64-nvhe eager policy plus a hook that throws a Proxy whose every trap throws (unprintable even by Object.prototype.toString). */
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

export default definePolicy({
  name: 'throw-proxy',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a hook that throws a Proxy that cannot be printed',
  hooks: {
    ...eager.hooks,
    vcpuLoad() {
      throw new Proxy(
        {},
        {
          get() {
            throw new Error('trap');
          },
        },
      );
    },
  },
});
