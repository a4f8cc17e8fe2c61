import { hex } from '../src/engine/hex.js';
import { defineInvariant } from '../src/engine/invariant.js';
import { CTX_GUEST } from '../src/engine/world.js';
import { VMM_DEBUG, VMM_DEBUG_ENABLE } from '../src/model-kit/debug-status.js';
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
  // Where the hypervisor, not the hardware, routes a guest's debug event (x86's #DB exit handler, Book E's
  // debug exit): one raised by the guest's own breakpoint belongs to the guest unless userspace debugs the vCPU.
  delivery(x, d) {
    if (d.vcpu < 0 || d.to !== 'vmm') return undefined;
    const own = d.guest & ~(d.vmm ?? 0);
    if (own === 0) return undefined;
    const flags = (x.world.vcpuGhost[d.vcpu * (x.world.shape.vcpuGhost ?? 0) + VMM_DEBUG] as number | undefined) ?? 0;
    if ((flags & VMM_DEBUG_ENABLE) !== 0) return undefined;
    return {
      message: `${d.describe(own)} on cpu${d.cpu}, a debug event of vcpu${d.vcpu}'s own, went to userspace as KVM_EXIT_DEBUG, but userspace does not debug vcpu${d.vcpu}: the guest never receives it`,
      cpu: d.cpu,
      vcpu: d.vcpu,
    };
  },
});
