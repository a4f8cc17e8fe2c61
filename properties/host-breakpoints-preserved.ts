import type { Executor } from '../src/engine/execute.js';
import { hex } from '../src/engine/hex.js';
import { defineInvariant, type Finding } from '../src/engine/invariant.js';
import type { HostField } from '../src/engine/model.js';
import { CTX_HOST } from '../src/engine/world.js';
import { setBy } from './blame.js';
import { lowestSlot } from './slot-compare.js';

/**
 * The finding for the first register of `regs` from index `from` on that differs from the host's
 * value and is not inert (a master enable left off on both sides): the slow path of `state`.
 */
function differs(x: Executor, cpu: number, regs: Int32Array, from: number): Finding | undefined {
  const o = cpu * x.regs;
  const { hw, hostIntent, hostIntentAt } = x.world;
  const { hostInert } = x.model.view;
  const inert = hostInert?.off(hw, o) && hostInert.off(hostIntent, o) ? hostInert.regs : undefined;
  for (let i = from; i < regs.length; i++) {
    const reg = regs[i] as number;
    const actual = hw[o + reg] as number;
    const expected = hostIntent[o + reg] as number;
    if (actual === expected || inert?.includes(reg)) continue;
    const register = x.model.registers.names[reg] ?? String(reg);
    return {
      message: `cpu${cpu} runs host code with ${register} = ${hex(actual)}; the host's value is ${hex(expected)}, set ${setBy(x, hostIntentAt[o + reg] as number)}`,
      cpu,
      register,
      expected,
      actual,
      setAt: hostIntentAt[o + reg] as number,
    };
  }
  return undefined;
}

/** The finding for `field` of a register that holds another value than the host's. */
function fieldDiffers(x: Executor, cpu: number, field: HostField, actual: number, expected: number): Finding {
  const o = cpu * x.regs;
  const register = x.model.registers.names[field.reg] ?? String(field.reg);
  const part = (v: number): string => hex((v & field.mask) / (field.mask & -field.mask));
  const setAt = x.world.hostIntentAt[o + field.reg] as number;
  return {
    message: `cpu${cpu} runs host code with ${register}.${field.name} = ${part(actual)} (${register} = ${hex(actual)}); the host's is ${part(expected)}, set ${setBy(x, setAt)}`,
    cpu,
    register,
    // The field alone: the rest of the register is not the host's while this field is judged.
    expected: expected & field.mask,
    actual: actual & field.mask,
    setAt,
  };
}

/**
 * Whenever a CPU runs host code, its debug registers hold what the host's debug users programmed:
 * the model's `hostState` (narrowed by `hostStateOn` to what the host code that can run there depends
 * on, with the fields `hostFieldsOn` adds), which includes the host's own trace filter where the model
 * has one (less the registers a master enable left off on both sides makes inert, `hostInert`).
 */
export default defineInvariant({
  name: 'host-breakpoints-preserved',
  claim: 'whenever a CPU runs host code, its bp/wp/control registers equal what the host programmed',
  contexts: 1 << CTX_HOST,
  // Reads the CPU's hardware and host intent (and, through hostStateOn, World.running): never memory.
  memoryBlind: true,
  state(x, cpu) {
    const o = cpu * x.regs;
    const { hw, hostIntent } = x.world;
    const { view } = x.model;
    const regs = view.hostStateOn ? view.hostStateOn(x, cpu) : view.hostState;
    for (let i = 0; i < regs.length; i++) {
      const reg = regs[i] as number;
      if (hw[o + reg] !== hostIntent[o + reg]) return differs(x, cpu, regs, i);
    }
    const fields = view.hostFieldsOn?.(x, cpu);
    if (fields === undefined) return undefined;
    for (const field of fields) {
      const actual = hw[o + field.reg] as number;
      const expected = hostIntent[o + field.reg] as number;
      if (((actual ^ expected) & field.mask) !== 0) return fieldDiffers(x, cpu, field, actual, expected);
    }
    return undefined;
  },
  hit(x, h) {
    const lost = h.vcpu < 0 ? h.intended & ~h.hw : 0;
    if (lost === 0) return undefined;
    const slot = x.model.view.slotNames[lowestSlot(lost)];
    return { message: `host ${h.what} at ${hex(h.addr)} on cpu${h.cpu} should hit the host's ${slot} but did not`, cpu: h.cpu };
  },
});
