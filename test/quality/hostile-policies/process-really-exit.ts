/** Hostile-policy fixture: the arm64-nvhe eager policy plus a hook that calls process.reallyExit(0), Node's internal exit. */
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

export default definePolicy({
  name: 'process-really-exit',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a hook that calls process.reallyExit(0), the exit under process.exit',
  hooks: {
    ...eager.hooks,
    vcpuLoad() {
      (process as unknown as { reallyExit(code: number): void }).reallyExit(0);
    },
  },
});
