import type { Executor } from '../src/engine/execute.js';
import { hex } from '../src/engine/hex.js';
import { defineInvariant } from '../src/engine/invariant.js';
import { CTX_GUEST } from '../src/engine/world.js';
import { VMM_DEBUG, VMM_DEBUG_ENABLE, VMM_DEBUG_HW } from '../src/model-kit/debug-status.js';
import { setBy } from './blame.js';
import { culprit, guestSlotIntent, lowestSlot, missingSlots } from './slot-compare.js';

const DEBUG_HW = VMM_DEBUG_ENABLE | VMM_DEBUG_HW;
const flags = (x: Executor, v: number): number => (x.world.vcpuGhost[v * (x.world.shape.vcpuGhost ?? 0) + VMM_DEBUG] as number) ?? 0;

/**
 * While userspace (a gdb stub) debugs a vCPU with hardware breakpoints: its breakpoints are
 * effective while the guest runs, their hits exit to userspace, and the guest still reads its own values.
 */
export default defineInvariant({
  name: 'userspace-debug-honored',
  claim:
    "while userspace debugs a vCPU with hardware breakpoints, its breakpoints are effective, hits exit to userspace, and the guest's own register view is preserved",
  archs: ['ppc-booke', 'arm64-vhe', 'arm64-nvhe', 'x86-vmx', 'x86-svm'],
  onlyWith: { 'arm64-nvhe': 'gdb' },
  contexts: 1 << CTX_GUEST,
  state(x, cpu) {
    const v = x.world.running[cpu] as number;
    const { view } = x.model;
    // Models with vmmIntent say which breakpoints userspace is owed (arm64 --debug-abi: with or without USE_HW).
    if ((flags(x, v) & DEBUG_HW) !== DEBUG_HW && !view.vmmIntent?.(x, v)) return undefined;
    const o = cpu * x.regs;
    const intent = guestSlotIntent(x, v);
    const levels = view.guestLevels;
    for (let l = 0; l < levels.length; l++) {
      const level = levels[l] as number;
      const missing = missingSlots(view, x.world.hw, o, intent.r, intent.o, level);
      if (missing === 0) continue;
      const s = lowestSlot(missing);
      const { text, setAt, ...c } = culprit(x, s, x.world.hw, o, intent.r, x.world.guestIntentAt, intent.o);
      return {
        message: `userspace's breakpoint ${view.slotNames[s]} for vcpu${v} (armed via KVM_SET_GUEST_DEBUG) is not effective on cpu${cpu} (${text})`,
        cpu,
        vcpu: v,
        ...c,
        // A register file of userspace's own has no step stamps.
        ...(intent.vmm ? {} : { setAt }),
      };
    }
    return undefined;
  },
  delivery(x, d) {
    if (d.vcpu < 0 || d.guest === 0 || (flags(x, d.vcpu) & DEBUG_HW) !== DEBUG_HW || d.to === 'vmm') return undefined;
    return {
      message: `vcpu${d.vcpu} hit userspace's breakpoint (${d.describe(d.guest)}), but the exit went to ${d.to === 'host' ? 'the host kernel' : 'the guest'}, not to userspace`,
      cpu: d.cpu,
      vcpu: d.vcpu,
    };
  },
  // Models that take debug interrupts report deliveries (above); arm64 reports hits, routed by MDCR_EL2.TDE.
  hit(x, h) {
    if (h.vcpu < 0 || !x.model.view.vmmIntent?.(x, h.vcpu)) return undefined;
    const slot = (mask: number): string => x.model.view.slotNames[lowestSlot(mask)] ?? '?';
    if ((h.intended & ~h.hw) !== 0) {
      return {
        message: `guest ${h.what} at ${hex(h.addr)} on cpu${h.cpu} should hit userspace's ${slot(h.intended & ~h.hw)} but did not`,
        cpu: h.cpu,
        vcpu: h.vcpu,
      };
    }
    if ((h.intended & h.hw) !== 0 && h.toGuest) {
      return {
        message: `vcpu${h.vcpu} hit userspace's ${slot(h.intended & h.hw)}, but the exception went to the guest, not to userspace`,
        cpu: h.cpu,
        vcpu: h.vcpu,
      };
    }
    return undefined;
  },
  read(x, r) {
    if (r.by === 'vmm' || (flags(x, r.vcpu) & VMM_DEBUG_ENABLE) === 0) return undefined;
    const i = r.vcpu * x.regs + r.reg;
    const own = x.world.guestIntent[i] as number;
    if (r.value === own) return undefined;
    const register = x.model.registers.names[r.reg] ?? String(r.reg);
    return {
      message: `while userspace debugs vcpu${r.vcpu}, the guest read ${register} as ${hex(r.value)}; its own value is ${hex(own)}, set ${setBy(x, x.world.guestIntentAt[i] as number)}`,
      cpu: r.cpu,
      vcpu: r.vcpu,
      register,
      expected: own,
      actual: r.value,
      setAt: x.world.guestIntentAt[i] as number,
    };
  },
});
