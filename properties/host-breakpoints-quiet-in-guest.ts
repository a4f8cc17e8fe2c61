import { hex } from '../src/hex.js';
import { defineInvariant } from '../src/invariant.js';
import { CTX_GUEST } from '../src/world.js';
import { culprit, foreignSlots, lowestSlot } from './slot-compare.js';

/** While a guest runs, no breakpoint or watchpoint it did not arm itself is effective. */
export default defineInvariant({
  name: 'host-breakpoints-quiet-in-guest',
  claim: 'while a guest runs, no host bp/wp is effective (armed and enabled under the live control bits)',
  contexts: 1 << CTX_GUEST,
  state(x, cpu) {
    const { view } = x.model;
    const { hw, guestIntent, guestIntentAt, running } = x.world;
    const v = running[cpu] as number;
    const o = cpu * x.regs;
    // While userspace debugs the vCPU with the debug registers, its breakpoints are the vCPU's.
    const vmm = view.vmmIntent?.(x, v);
    const intent = vmm ?? guestIntent;
    const io = vmm ? 0 : v * x.regs;
    for (const level of view.guestLevels) {
      const foreign = foreignSlots(view, hw, o, intent, io, level);
      if (foreign === 0) continue;
      const s = lowestSlot(foreign);
      const { text, setAt, ...c } = culprit(x, s, hw, o, intent, guestIntentAt, io);
      return {
        message: `${view.slotNames[s]} is effective for guest level-${level} code of vcpu${v} on cpu${cpu}, but ${vmm ? 'userspace' : 'the guest'} did not arm it (${text})`,
        cpu,
        vcpu: v,
        ...c,
        ...(vmm ? {} : { setAt }),
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
