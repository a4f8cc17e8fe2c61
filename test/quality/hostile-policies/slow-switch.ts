/**
 * Hostile-policy fixture: the arm64-nvhe eager policy whose first guestEnter and first guestExit
 * each busy-wait 600 ms and return: one slow guest round (1.2 s), not a loop.
 */
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

let slowCalls = 0;
const slowAtFirst = (): void => {
  if (slowCalls++ >= 2) return;
  const until = performance.now() + 600;
  while (performance.now() < until) {}
};

export default definePolicy({
  name: 'slow-switch',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a first guest round whose entry and exit take 600 ms each',
  hooks: {
    ...eager.hooks,
    guestEnter(k) {
      slowAtFirst();
      eager.hooks.guestEnter?.(k);
    },
    guestExit(k, reason) {
      slowAtFirst();
      eager.hooks.guestExit?.(k, reason);
    },
  },
});
