import type { Executor } from '../src/engine/execute.js';
import { hex } from '../src/engine/hex.js';
import { defineInvariant, type Finding } from '../src/engine/invariant.js';
import { CTX_GUEST } from '../src/engine/world.js';
import { setBy } from './blame.js';

const READERS = { guest: 'the guest', trap: 'trap emulation', hyp: 'the hypervisor', vmm: 'KVM_GET_ONE_REG' } as const;

/** The finding for vcpu `v`'s register `reg` on `cpu`: `say` words it from the register's name and who set the value. */
function stale(
  x: Executor,
  cpu: number,
  v: number,
  reg: number,
  expected: number,
  actual: number,
  say: (register: string, set: string) => string,
): Finding {
  const register = x.model.registers.names[reg] ?? String(reg);
  const setAt = x.world.guestIntentAt[v * x.regs + reg] as number;
  return { message: say(register, setBy(x, setAt)), cpu, vcpu: v, register, expected, actual, setAt };
}

/** Every read returns the guest's architectural value; hardware the guest reads directly holds it. */
export default defineInvariant({
  name: 'no-stale-read',
  claim:
    'every read (guest, trap emulation, hypervisor, userspace) returns the guest-intended value; hardware is never reloaded from a stale copy',
  contexts: 1 << CTX_GUEST,
  state(x, cpu) {
    const { hw, guestIntent, running } = x.world;
    const v = running[cpu] as number;
    const o = cpu * x.regs;
    const visible = x.model.view.guestVisible;
    for (let i = 0; i < visible.length; i++) {
      const reg = visible[i] as number;
      const expected = guestIntent[v * x.regs + reg] as number;
      const actual = hw[o + reg] as number;
      if (actual === expected || x.model.traps(hw, o, reg, false)) continue;
      return stale(
        x,
        cpu,
        v,
        reg,
        expected,
        actual,
        (register, set) =>
          `vcpu${v} reads ${register} untrapped on cpu${cpu} and would see ${hex(actual)}; its value is ${hex(expected)}, set ${set}`,
      );
    }
    // Registers in force that the guest cannot read untrapped (x86 IA32_DEBUGCTL): its own value, less
    // the host-owned bits. A host value there (or a host-owned bit lost) is guest-isolation's finding.
    const inForce = x.model.view.inForce;
    if (inForce === undefined) return undefined;
    for (let i = 0; i < inForce.regs.length; i++) {
      const reg = inForce.regs[i] as number;
      const hostOwned = inForce.hostOwned(reg);
      const own = guestIntent[v * x.regs + reg] as number;
      const expected = ((own & ~hostOwned) | ((x.world.hostIntent[o + reg] as number) & hostOwned)) >>> 0;
      const actual = hw[o + reg] as number;
      if (actual === expected) continue;
      return stale(
        x,
        cpu,
        v,
        reg,
        expected,
        actual,
        (register, set) =>
          `vcpu${v} runs on cpu${cpu} with ${register} = ${hex(actual)} in force, not its own value ${hex(own)}, set ${set}`,
      );
    }
    return undefined;
  },
  read(x, r) {
    const i = r.vcpu * x.regs + r.reg;
    const expected = x.world.guestIntent[i] as number;
    if (r.value === expected) return undefined;
    const register = x.model.registers.names[r.reg] ?? String(r.reg);
    return {
      message: `${READERS[r.by]} read ${register} of vcpu${r.vcpu} as ${hex(r.value)}; its value is ${hex(expected)}, set ${setBy(x, x.world.guestIntentAt[i] as number)}`,
      cpu: r.cpu,
      vcpu: r.vcpu,
      register,
      expected,
      actual: r.value,
      setAt: x.world.guestIntentAt[i] as number,
    };
  },
});
