/** Hostile-policy fixture: the arm64-nvhe eager policy plus a hook that calls process.kill of the checker's own process. */
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

export default definePolicy({
  name: 'process-kill',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a hook that sends SIGTERM to the checker',
  hooks: {
    ...eager.hooks,
    vcpuLoad() {
      process.kill(process.pid, 'SIGTERM');
    },
  },
});
