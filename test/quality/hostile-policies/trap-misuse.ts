/**
 * Hostile-policy fixtures: arm64-dirty-2015 with a trap handler that misuses its `p`, one export
 * each. After handling the access it leaves p.regval a string, a BigInt, or (reads) a Symbol; or it
 * freezes p before handling it (it then cannot set p.regval: a finding), or after (the next trap gets
 * a new `p`: the policy behaves as arm64-dirty-2015 does, and holds).
 */
import base from '../../../models/arm64-nvhe/policies/arm64-dirty-2015.js';
import { definePolicy } from '../../../src/engine/policy.js';

type Trap = NonNullable<typeof base.hooks.trap>;
const handle = base.hooks.trap as Trap;

/** arm64-dirty-2015 with `trap` as its trap handler. */
const withTrap = (name: string, summary: string, trap: Trap) =>
  definePolicy({ name, arch: 'arm64-nvhe', summary: `hostile fixture: a trap handler that ${summary}`, hooks: { ...base.hooks, trap } });

export const regvalString = withTrap('trap-regval-string', 'leaves p.regval a string', (k, p) => {
  handle(k, p);
  p.regval = String(p.regval) as unknown as number;
});

export const regvalBigint = withTrap('trap-regval-bigint', 'leaves p.regval a BigInt', (k, p) => {
  handle(k, p);
  p.regval = BigInt(p.regval) as unknown as number;
});

export const regvalSymbol = withTrap('trap-regval-symbol', 'answers a read with a Symbol', (k, p) => {
  handle(k, p);
  if (!p.isWrite) p.regval = Symbol('rv') as unknown as number;
});

export const freezeBefore = withTrap('trap-freeze-p', 'freezes p, then handles the access', (k, p) => {
  Object.freeze(p);
  handle(k, p);
});

export const freezeAfter = withTrap('trap-freeze-p-after', 'handles the access, then freezes p', (k, p) => {
  handle(k, p);
  Object.freeze(p);
});
