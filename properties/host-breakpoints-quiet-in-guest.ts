import { hex } from '../src/hex.js';
import { defineInvariant } from '../src/invariant.js';
import { CTX_GUEST } from '../src/world.js';
import { culprit, foreignSlots, guestSlotIntent, lowestSlot } from './slot-compare.js';

/** While a guest runs, no breakpoint or watchpoint it did not arm itself is effective. */
export default defineInvariant({
  name: 'host-breakpoints-quiet-in-guest',
  claim: 'while a guest runs, no host bp/wp is effective (armed and enabled under the live control bits)',
  contexts: 1 << CTX_GUEST,
  state(x, cpu) {
    const { view } = x.model;
    const { hw, guestIntentAt, running } = x.world;
    const v = running[cpu] as number;
    const o = cpu * x.regs;
    const intent = guestSlotIntent(x, v);
    for (const level of view.guestLevels) {
      const foreign = foreignSlots(view, hw, o, intent.r, intent.o, level);
      if (foreign === 0) continue;
      const s = lowestSlot(foreign);
      const { text, setAt, ...c } = culprit(x, s, hw, o, intent.r, guestIntentAt, intent.o);
      return {
        message: `${view.slotNames[s]} is effective for guest level-${level} code of vcpu${v} on cpu${cpu}, but ${intent.vmm ? 'userspace' : 'the guest'} did not arm it (${text})`,
        cpu,
        vcpu: v,
        ...c,
        ...(intent.vmm ? {} : { setAt }),
      };
    }
    return undefined;
  },
  hit(x, h) {
    const foreign = h.vcpu >= 0 ? h.hw & ~h.intended : 0;
    if (foreign === 0) return undefined;
    const slot = x.model.view.slotNames[lowestSlot(foreign)];
    return {
      message: `guest ${h.what} at ${hex(h.addr)} on cpu${h.cpu} hit ${slot}, which the guest did not arm`,
      cpu: h.cpu,
      vcpu: h.vcpu,
    };
  },
});
