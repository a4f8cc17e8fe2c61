import { hex } from '../src/hex.js';
import { defineInvariant } from '../src/invariant.js';
import { CTX_GUEST } from '../src/world.js';
import { culprit, lowestSlot, missingSlots } from './slot-compare.js';

/** While a guest runs, every breakpoint and watchpoint it armed is effective and delivered to it. */
export default defineInvariant({
  name: 'guest-breakpoints-effective',
  claim: 'while a guest runs, every bp/wp it arms is effective on hardware and, when hit, delivered to the guest',
  contexts: 1 << CTX_GUEST,
  state(x, cpu) {
    const { view } = x.model;
    const { hw, guestIntent, guestIntentAt, running } = x.world;
    const v = running[cpu] as number;
    // While userspace debugs the vCPU with the debug registers, they are userspace's (userspace-debug-honored).
    if (view.vmmIntent?.(x, v)) return undefined;
    const o = cpu * x.regs;
    const io = v * x.regs;
    for (const level of view.guestLevels) {
      const missing = missingSlots(view, hw, o, guestIntent, io, level);
      if (missing !== 0) {
        const s = lowestSlot(missing);
        const { text, ...c } = culprit(x, s, hw, o, guestIntent, guestIntentAt, io);
        return {
          message: `vcpu${v} armed ${view.slotNames[s]} for level-${level} code, but it is not effective on cpu${cpu} (${text})`,
          cpu,
          vcpu: v,
          ...c,
        };
      }
      if (view.effective(guestIntent, io, level) !== 0 && !view.deliversToGuest(hw, o, level)) {
        return { message: `vcpu${v} has breakpoints armed, but cpu${cpu} routes its debug exceptions away from the guest`, cpu, vcpu: v };
      }
    }
    return undefined;
  },
  hit(x, h) {
    if (h.vcpu < 0 || x.model.view.vmmIntent?.(x, h.vcpu)) return undefined;
    const missed = h.intended & ~h.hw;
    if (missed !== 0) {
      const slot = x.model.view.slotNames[lowestSlot(missed)];
      return {
        message: `guest ${h.what} at ${hex(h.addr)} on cpu${h.cpu} should hit the guest's ${slot} but did not`,
        cpu: h.cpu,
        vcpu: h.vcpu,
      };
    }
    if ((h.intended & h.hw) !== 0 && !h.toGuest) {
      return {
        message: `guest ${h.what} at ${hex(h.addr)} hit the guest's breakpoint, but the exception went to the hypervisor`,
        cpu: h.cpu,
        vcpu: h.vcpu,
      };
    }
    return undefined;
  },
});
