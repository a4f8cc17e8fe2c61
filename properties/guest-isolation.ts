import type { Executor } from '../src/engine/execute.js';
import { hex } from '../src/engine/hex.js';
import { defineInvariant, type Finding } from '../src/engine/invariant.js';
import { CTX_GUEST } from '../src/engine/world.js';
import { setBy } from './blame.js';

/** Whether `value` is what userspace's debugger set in `reg` of vCPU `v` (KVM_SET_GUEST_DEBUG), while it debugs. */
function isDebuggers(x: Executor, v: number, reg: number, value: number): boolean {
  const { slotIntent, vmmIntent } = x.model.view;
  const slots = slotIntent?.(x, v);
  if (slots && slots.r !== x.world.guestIntent && slots.r[slots.o + reg] === value) return true;
  const vmm = vmmIntent?.(x, v);
  return vmm !== undefined && vmm[reg] === value;
}

/** A guest-visible value that is the host's, not the guest's: a leak. */
function hostValue(x: Executor, v: number, cpu: number, reg: number, value: number, how: string): Finding | undefined {
  const own = x.world.guestIntent[v * x.regs + reg] as number;
  const host = x.world.hostIntent[cpu * x.regs + reg] as number;
  if (value === own || value !== host || host === x.model.registers.reset[reg]) return undefined;
  // Userspace's debugger may have armed the same value (host and guest addresses coincide): then the
  // value on the CPU is not evidence of a host leak; what the guest sees is left to the claims about
  // userspace's registers and the guest's own view (userspace-debug-honored, no-stale-read).
  if (isDebuggers(x, v, reg, value)) return undefined;
  const register = x.model.registers.names[reg] ?? String(reg);
  return {
    message: `vcpu${v} ${how} ${register} = ${hex(value)}, the host's value on cpu${cpu} (programmed ${setBy(x, x.world.hostIntentAt[cpu * x.regs + reg] as number)}); its own is ${hex(own)}`,
    cpu,
    vcpu: v,
    register,
    expected: own,
    actual: value,
    setAt: x.world.hostIntentAt[cpu * x.regs + reg] as number,
  };
}

/**
 * A register in force while the guest runs (DebugView.inForce) holds the host's value instead of the
 * guest's, or lost a bit the host owns.
 */
function runsWithHost(x: Executor, v: number, cpu: number, reg: number, hostOwned: number): Finding | undefined {
  const value = x.world.hw[cpu * x.regs + reg] as number;
  const own = x.world.guestIntent[v * x.regs + reg] as number;
  const host = x.world.hostIntent[cpu * x.regs + reg] as number;
  const expected = ((own & ~hostOwned) | (host & hostOwned)) >>> 0;
  if (value === expected) return undefined;
  const register = x.model.registers.names[reg] ?? String(reg);
  const guestBits = (value & ~hostOwned) >>> 0;
  const leak = guestBits === (host & ~hostOwned) >>> 0 && guestBits !== (own & ~hostOwned) >>> 0;
  const lost = (value & hostOwned) !== (host & hostOwned);
  if (!leak && !lost) return undefined;
  return {
    message: leak
      ? `vcpu${v} runs on cpu${cpu} with ${register} = ${hex(value)}, the host's value; its own is ${hex(own)}`
      : `vcpu${v} runs on cpu${cpu} with ${register} = ${hex(value)}; the host-owned bits ${hex(hostOwned)} must stay as the host set them (${hex(host)})`,
    cpu,
    vcpu: v,
    register,
    expected,
    actual: value,
    setAt: x.world.hostIntentAt[cpu * x.regs + reg] as number,
  };
}

/**
 * The guest never sees a host value, nor runs with one in a register it cannot read (DebugView.inForce). (Its writes reaching host state show up as
 * host-breakpoints-preserved when the host runs again.)
 */
export default defineInvariant({
  name: 'guest-isolation',
  claim: 'the guest never reads a host value and never changes host state',
  contexts: 1 << CTX_GUEST,
  state(x, cpu) {
    const v = x.world.running[cpu] as number;
    const o = cpu * x.regs;
    const { hw, guestIntent } = x.world;
    const visible = x.model.view.guestVisible;
    for (let i = 0; i < visible.length; i++) {
      const reg = visible[i] as number;
      const value = hw[o + reg] as number;
      if (value === guestIntent[v * x.regs + reg] || x.model.traps(hw, o, reg, false)) continue;
      const f = hostValue(x, v, cpu, reg, value, 'can read untrapped');
      if (f) return f;
    }
    const inForce = x.model.view.inForce;
    if (inForce) {
      const regs = inForce.regs;
      for (let i = 0; i < regs.length; i++) {
        const reg = regs[i] as number;
        const f = runsWithHost(x, v, cpu, reg, inForce.hostOwned(reg));
        if (f) return f;
      }
    }
    return undefined;
  },
  read: (x, r) => (r.by === 'vmm' || r.by === 'hyp' ? undefined : hostValue(x, r.vcpu, r.cpu, r.reg, r.value, 'read')),
});
