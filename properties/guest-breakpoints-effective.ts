import { hex } from '../src/engine/hex.js';
import { defineInvariant } from '../src/engine/invariant.js';
import { CTX_GUEST } from '../src/engine/world.js';
import { setBy } from './blame.js';
import { culprit, guestSlotIntent, lowestSlot, missingSlots } from './slot-compare.js';

/** While a guest runs, every breakpoint and watchpoint it armed is effective and delivered to it. */
export default defineInvariant({
  name: 'guest-breakpoints-effective',
  claim: 'while a guest runs, every bp/wp it arms is effective on hardware and, when hit, delivered to the guest',
  contexts: 1 << CTX_GUEST,
  state(x, cpu) {
    const { view } = x.model;
    const { hw, guestIntentAt, running } = x.world;
    const v = running[cpu] as number;
    const o = cpu * x.regs;
    const { r: intent, o: io, vmm } = guestSlotIntent(x, v);
    // While userspace debugs the vCPU with the debug registers, they are userspace's (userspace-debug-honored).
    if (vmm) return undefined;
    const levels = view.guestLevels;
    for (let l = 0; l < levels.length; l++) {
      const level = levels[l] as number;
      const missing = missingSlots(view, hw, o, intent, io, level);
      if (missing !== 0) {
        const s = lowestSlot(missing);
        const { text, ...c } = culprit(x, s, hw, o, intent, guestIntentAt, io);
        const armedAt = guestIntentAt[io + (view.slotRegs[2 * s + 1] as number)] as number;
        return {
          message: `${view.slotNames[s]} of vcpu${v} for level-${level} code, armed ${setBy(x, armedAt)}, is not effective on cpu${cpu} (${text})`,
          cpu,
          vcpu: v,
          ...c,
        };
      }
      if (view.effective(intent, io, level) !== 0 && !view.deliversToGuest(hw, o, level)) {
        return { message: `vcpu${v} has breakpoints armed, but cpu${cpu} routes its debug exceptions away from the guest`, cpu, vcpu: v };
      }
    }
    return undefined;
  },
  hit(x, h) {
    if (h.vcpu < 0 || guestSlotIntent(x, h.vcpu).vmm) return undefined;
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
