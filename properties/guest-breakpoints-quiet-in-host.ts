import { hex } from '../src/hex.js';
import { defineInvariant } from '../src/invariant.js';
import { CTX_HOST } from '../src/world.js';
import { culprit, foreignSlots, lowestSlot } from './slot-compare.js';

/** While a CPU runs host code, no breakpoint the host did not arm is effective (host and guest addresses coincide). */
export default defineInvariant({
  name: 'guest-breakpoints-quiet-in-host',
  claim: 'while a CPU runs host code with debug exceptions enabled, no guest bp/wp is effective',
  contexts: 1 << CTX_HOST,
  state(x, cpu) {
    const { view } = x.model;
    const { hw, hostIntent, hostIntentAt } = x.world;
    const o = cpu * x.regs;
    for (const level of view.hostLevels) {
      const foreign = foreignSlots(view, hw, o, hostIntent, o, level);
      if (foreign === 0) continue;
      const s = lowestSlot(foreign);
      const { text, ...c } = culprit(x, s, hw, o, hostIntent, hostIntentAt, o);
      return {
        message: `${view.slotNames[s]} is effective for host level-${level} code on cpu${cpu}, but the host did not arm it (${text})`,
        cpu,
        ...c,
      };
    }
    return undefined;
  },
  hit(x, h) {
    const foreign = h.vcpu < 0 ? h.hw & ~h.intended : 0;
    if (foreign === 0) return undefined;
    const slot = x.model.view.slotNames[lowestSlot(foreign)];
    return { message: `host ${h.what} at ${hex(h.addr)} on cpu${h.cpu} hit ${slot}, which the host did not arm`, cpu: h.cpu };
  },
});
