import type { Executor } from '../src/engine/execute.js';
import { hex } from '../src/engine/hex.js';
import { defineInvariant } from '../src/engine/invariant.js';
import { CTX_HOST } from '../src/engine/world.js';
import { setBy } from './blame.js';
import { culprit, foreignSlots, lowestSlot, sameSlot } from './slot-compare.js';

/**
 * Where a slot live on `cpu` came from: a vCPU's armed slot, a vCPU's address left under the host's
 * control bits, or a stale value.
 */
function origin(x: Executor, cpu: number, s: number): string {
  const { view } = x.model;
  const { hw, hostIntent, guestIntent, guestIntentAt } = x.world;
  const o = cpu * x.regs;
  const value = view.slotRegs[2 * s] as number;
  const ctrl = view.slotRegs[2 * s + 1] as number;
  for (let v = 0; v < x.world.shape.vcpus; v++) {
    const io = v * x.regs;
    if (sameSlot(view, hw, o, guestIntent, io, s) && guestIntent[io + ctrl] !== x.model.registers.reset[ctrl]) {
      return `vcpu${v}'s, armed ${setBy(x, guestIntentAt[io + ctrl] as number)}`;
    }
  }
  for (let v = 0; v < x.world.shape.vcpus; v++) {
    const io = v * x.regs;
    if (hw[o + value] === guestIntent[io + value] && hw[o + value] !== hostIntent[o + value]) {
      const name = x.model.registers.names[value] ?? String(value);
      return `holding vcpu${v}'s ${name} (${hex(hw[o + value] as number)}, set ${setBy(x, guestIntentAt[io + value] as number)})`;
    }
  }
  return 'a stale value no guest has armed now';
}

/** While a CPU runs host code, no breakpoint the host did not arm is effective (host and guest addresses coincide). */
export default defineInvariant({
  name: 'guest-breakpoints-quiet-in-host',
  claim: 'while a CPU runs host code with debug exceptions enabled, no guest bp/wp is effective',
  contexts: 1 << CTX_HOST,
  // A clean verdict reads the CPU's hardware and host intent only (guest intent only in a finding's message).
  memoryBlind: true,
  state(x, cpu) {
    const { view } = x.model;
    const { hw, hostIntent, hostIntentAt } = x.world;
    const o = cpu * x.regs;
    const levels = view.hostLevels;
    for (let l = 0; l < levels.length; l++) {
      const level = levels[l] as number;
      const foreign = foreignSlots(view, hw, o, hostIntent, o, level);
      if (foreign === 0) continue;
      const s = lowestSlot(foreign);
      const { text, ...c } = culprit(x, s, hw, o, hostIntent, hostIntentAt, o);
      return {
        message: `${view.slotNames[s]} is effective for host level-${level} code on cpu${cpu}, ${origin(x, cpu, s)}; the host did not arm it (${text})`,
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
    return {
      message: `host ${h.what} at ${hex(h.addr)} on cpu${h.cpu} hit ${slot}, ${origin(x, h.cpu, lowestSlot(foreign))}; the host did not arm it`,
      cpu: h.cpu,
    };
  },
});
