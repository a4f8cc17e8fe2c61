/** Hostile-policy fixture: arm64-dirty-2015, whose trap handler first points p.reg at a register that does not exist. */
import base from '../../../models/arm64-nvhe/policies/arm64-dirty-2015.js';
import { definePolicy } from '../../../src/engine/policy.js';

type Trap = NonNullable<typeof base.hooks.trap>;

export default definePolicy({
  name: 'trap-change-reg',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a trap handler that changes p.reg',
  hooks: {
    ...base.hooks,
    trap(k: Parameters<Trap>[0], p: Parameters<Trap>[1]) {
      p.reg = 99999;
      base.hooks.trap?.(k, p);
    },
  },
});
