/** Hostile-policy fixture: the arm64-nvhe eager policy plus a vcpuLoad that redefines k.vcpu as a getter. */
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

export default definePolicy({
  name: 'redefine-k',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a vcpuLoad that redefines k.vcpu as a getter',
  hooks: {
    ...eager.hooks,
    vcpuLoad(k: { vcpu: unknown }) {
      const v = k.vcpu;
      Object.defineProperty(k, 'vcpu', { get: () => v });
    },
  },
});
