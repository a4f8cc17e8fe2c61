import type { Executor } from '../src/engine/execute.js';
import { hex } from '../src/engine/hex.js';
import { defineInvariant } from '../src/engine/invariant.js';
import { CTX_GUEST } from '../src/engine/world.js';
import { setBy } from './blame.js';
import { culprit, foreignSlots, guestSlotIntent, lowestSlot, type SlotIntent, sameSlot, slotOwner } from './slot-compare.js';

/**
 * While a guest runs, no breakpoint or watchpoint it (or userspace debugging it) did not arm is
 * effective. The message says where the slot came from: the host's debug user, or a stale value
 * nobody armed now. A stale guest value the guest can read untrapped is left to `no-stale-read`,
 * checked after this one at the same observation point: no host breakpoint is involved there.
 */
export default defineInvariant({
  name: 'host-breakpoints-quiet-in-guest',
  claim: 'while a guest runs, no host bp/wp is effective (armed and enabled under the live control bits)',
  contexts: 1 << CTX_GUEST,
  state(x, cpu) {
    const { view } = x.model;
    const { hw, hostIntent, hostIntentAt, guestIntent, guestIntentAt, running } = x.world;
    const v = running[cpu] as number;
    const o = cpu * x.regs;
    const intent = guestSlotIntent(x, v);
    const levels = view.guestLevels;
    for (let l = 0; l < levels.length; l++) {
      const level = levels[l] as number;
      const foreign = foreignSlots(view, hw, o, intent.r, intent.o, level);
      if (foreign === 0) continue;
      const s = lowestSlot(foreign);
      const { text, setAt, ...c } = culprit(x, s, hw, o, intent.r, guestIntentAt, intent.o);
      const ctrl = view.slotRegs[2 * s + 1] as number;
      const hosts = sameSlot(view, hw, o, hostIntent, o, s) && hostIntent[o + ctrl] !== x.model.registers.reset[ctrl];
      if (!hosts && !intent.vmm && x.checking.has('no-stale-read')) {
        // Not the host's: a stale guest value. Readable untrapped, it is no-stale-read's finding.
        const reg = view.guestVisible.find((r) => hw[o + r] !== guestIntent[v * x.regs + r] && !x.model.traps(hw, o, r, false));
        if (reg !== undefined) continue;
      }
      const origin = whose(x, s, o, hosts ? (hostIntentAt[o + ctrl] as number) : -1, intent, v);
      return {
        message: `${view.slotNames[s]} is effective for guest level-${level} code of vcpu${v} on cpu${cpu}, ${origin} (${text})`,
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
    const s = lowestSlot(foreign);
    const { view } = x.model;
    const o = h.cpu * x.regs;
    const ctrl = view.slotRegs[2 * s + 1] as number;
    const hosts = sameSlot(view, x.world.hw, o, x.world.hostIntent, o, s) && x.world.hostIntent[o + ctrl] !== x.model.registers.reset[ctrl];
    const origin = whose(x, s, o, hosts ? (x.world.hostIntentAt[o + ctrl] as number) : -1, guestSlotIntent(x, h.vcpu), h.vcpu);
    return {
      message: `guest ${h.what} at ${hex(h.addr)} on cpu${h.cpu} hit ${view.slotNames[s]}, ${origin}`,
      cpu: h.cpu,
      vcpu: h.vcpu,
    };
  },
});

/**
 * Where slot `s` on the CPU at `o` came from, for the message: the host's debug user (armed at
 * step `hostAt`, -1 when the slot is not the host's); the guest's (or userspace's) own value,
 * effective only because a control the guest set to keep it quiet (its OS Lock, MDSCR_EL1) is not
 * in force; or a stale value nobody armed now.
 */
function whose(x: Executor, s: number, o: number, hostAt: number, intent: SlotIntent, v: number): string {
  const { view } = x.model;
  const owner = slotOwner(intent.vmm);
  if (hostAt >= 0) return `armed ${setBy(x, hostAt)}; ${owner} did not arm it`;
  if (sameSlot(view, x.world.hw, o, intent.r, intent.o, s)) {
    const ctrl = view.slotRegs[2 * s + 1] as number;
    const armed = intent.vmm ? '' : ` ${setBy(x, x.world.guestIntentAt[v * x.regs + ctrl] as number)}`;
    return `${owner}'s own value (armed${armed}), but ${owner}'s own controls keep it quiet and the hardware's do not`;
  }
  return `a stale value the host did not arm either; ${owner} did not arm it`;
}
