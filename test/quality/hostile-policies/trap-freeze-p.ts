/**
 * Hostile-policy fixture: arm64-dirty-2015 with a trap handler that freezes its `p`. Before the
 * handler (default export), which then cannot set p.regval: a finding. After it (`after`): the
 * policy behaves as arm64-dirty-2015 does (the next trap gets a new `p`), and holds.
 */
import base from '../../../models/arm64-nvhe/policies/arm64-dirty-2015.js';
import { definePolicy } from '../../../src/engine/policy.js';

type Trap = NonNullable<typeof base.hooks.trap>;

export default definePolicy({
  name: 'trap-freeze-p',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a trap handler that freezes p, then handles the access',
  hooks: {
    ...base.hooks,
    trap(k: Parameters<Trap>[0], p: Parameters<Trap>[1]) {
      Object.freeze(p);
      base.hooks.trap?.(k, p);
    },
  },
});

export const after = definePolicy({
  name: 'trap-freeze-p-after',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a trap handler that handles the access, then freezes p',
  hooks: {
    ...base.hooks,
    trap(k: Parameters<Trap>[0], p: Parameters<Trap>[1]) {
      base.hooks.trap?.(k, p);
      Object.freeze(p);
    },
  },
});
