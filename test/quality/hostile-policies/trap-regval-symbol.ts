/** Hostile-policy fixture: arm64-dirty-2015, whose trap handler answers a read with a Symbol. */
import base from '../../../models/arm64-nvhe/policies/arm64-dirty-2015.js';
import { definePolicy } from '../../../src/engine/policy.js';

type Trap = NonNullable<typeof base.hooks.trap>;

export default definePolicy({
  name: 'trap-regval-symbol',
  arch: 'arm64-nvhe',
  summary: 'hostile fixture: a trap handler that answers a read with a Symbol',
  hooks: {
    ...base.hooks,
    trap(k: Parameters<Trap>[0], p: Parameters<Trap>[1]) {
      base.hooks.trap?.(k, p);
      if (!p.isWrite) p.regval = Symbol('rv') as unknown as number;
    },
  },
});
