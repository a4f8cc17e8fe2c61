/** Hostile-policy fixture: arm64-dirty-2015, whose trap handler then turns p.regval into a string. */
import base from '../../../models/arm64-nvhe/policies/arm64-dirty-2015.js';
import { definePolicy } from '../../../src/engine/policy.js';

type Trap = NonNullable<typeof base.hooks.trap>;

export default definePolicy({
  name: 'trap-regval-string',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a trap handler that leaves p.regval a string',
  hooks: {
    ...base.hooks,
    trap(k: Parameters<Trap>[0], p: Parameters<Trap>[1]) {
      base.hooks.trap?.(k, p);
      p.regval = String(p.regval) as unknown as number;
    },
  },
});
