import type { Executor } from '../src/engine/execute.js';
import { defineInvariant, type Finding } from '../src/engine/invariant.js';
import { CONTEXT_NAMES } from '../src/engine/world.js';
import { STATUS_DELIVERED, STATUS_SPURIOUS } from '../src/model-kit/debug-status.js';

const WHO = { host: 'the host kernel', guest: 'the guest', vmm: 'userspace as KVM_EXIT_DEBUG' } as const;

/** Latched status bits that must not stay latched once the event that ran is over. */
function stale(x: Executor, cpu: number): Finding | undefined {
  const status = x.model.view.status;
  if (status === undefined || x.inHook) return undefined;
  const value = x.world.hw[cpu * x.regs + status.reg] as number;
  const g = x.world.cpuGhost;
  // The model's per-CPU ghost words start with STATUS_GHOST; a model may append its own (Book E's statusVmm).
  const G = x.world.shape.cpuGhost ?? 0;
  const delivered = value & (g[cpu * G + STATUS_DELIVERED] as number);
  // A spurious bit is judged where it is delivered (delivery below), and here only once the CPU
  // leaves the hypervisor with it pending (no vCPU loaded: vcpu_put ran). While a vCPU is loaded,
  // KVM's own code decides its fate: Book E clears DBSR at every entry (lightweight_exit) and at
  // vcpu_put, and discards a debug interrupt taken in its enter/exit path (KVM_DBG_HANDLER).
  const spurious = x.world.running[cpu] === -1 ? value & (g[cpu * G + STATUS_SPURIOUS] as number) : 0;
  if (delivered === 0 && spurious === 0) return undefined;
  const register = x.model.registers.names[status.reg] ?? String(status.reg);
  const where = `cpu${cpu} (${CONTEXT_NAMES[x.world.cpuContext[cpu] as number]})`;
  return {
    message:
      delivered !== 0
        ? `${status.describe(delivered)} stays set on ${where} after its debug interrupt was handled: it fires again as soon as debug interrupts are enabled`
        : `${status.describe(spurious)} was latched on ${where} by code that did not arm that comparator, and is still pending: it will be delivered to the wrong world`,
    cpu,
    register,
    expected: (value & ~(delivered | spurious)) >>> 0,
    actual: value >>> 0,
  };
}

/** Every debug event is delivered exactly once, to the world that raised it; handled status never lingers. */
export default defineInvariant({
  name: 'debug-status-consumed',
  claim:
    'every debug event (including each software step) is delivered exactly once to the right world; after it is handled no stale status bits (e.g. DBSR) remain, so it cannot fire again',
  archs: ['ppc-booke', 'arm64-vhe', 'arm64-nvhe', 'x86-vmx', 'x86-svm'],
  onlyWith: { 'arm64-nvhe': 'gdb' },
  // Reads the CPU's status register and ghost status words: never memory. Quiet inside hooks.
  memoryBlind: true,
  readsInHook: true,
  // Only models that latch debug status have any (arm64-vhe is here for the deliveries of software step).
  stateApplies: (model) => model.view.status !== undefined,
  state: stale,
  delivery(_x, d) {
    if (d.lost) {
      const owner = d.to === 'vmm' ? 'userspace (KVM_SET_GUEST_DEBUG)' : 'the guest';
      return {
        message: `${d.describe(d.lost)} latched on cpu${d.cpu}${d.vcpu >= 0 ? ` for vcpu${d.vcpu}` : ''} and owed to ${owner} was cleared before any debug interrupt took it: the event is lost`,
        cpu: d.cpu,
        ...(d.vcpu >= 0 ? { vcpu: d.vcpu } : {}),
      };
    }
    if (d.missed) {
      return {
        message: `${d.describe(d.missed)} on cpu${d.cpu} never reached ${d.missedOwner === 'guest' ? 'the guest' : 'userspace'}: ${d.why ?? `vcpu${d.vcpu} ran its next instruction first`}`,
        cpu: d.cpu,
        vcpu: d.vcpu,
      };
    }
    const to = WHO[d.to];
    if (d.again !== 0) {
      return {
        message: `${d.describe(d.again)} on cpu${d.cpu} was delivered to ${to} a second time: its status was never cleared`,
        cpu: d.cpu,
      };
    }
    if (d.spurious !== 0 && d.why !== undefined) {
      return { message: `${d.describe(d.spurious)} on cpu${d.cpu} was delivered to ${to}: ${d.why}`, cpu: d.cpu, vcpu: d.vcpu };
    }
    if (d.spurious !== 0) {
      return {
        message: `${d.describe(d.spurious)} was raised on cpu${d.cpu} by code whose world did not arm that comparator (e.g. the world-switch code on a guest breakpoint), and delivered to ${to}`,
        cpu: d.cpu,
        ...(d.vcpu >= 0 ? { vcpu: d.vcpu } : {}),
      };
    }
    const owed = d.to === 'vmm' ? 0 : (d.vmm ?? 0);
    if (owed !== 0) {
      return {
        message: `${d.describe(owed)} on cpu${d.cpu} is owed to userspace (KVM_SET_GUEST_DEBUG) but was delivered to ${to}: KVM_RUN never returned KVM_EXIT_DEBUG for it`,
        cpu: d.cpu,
        vcpu: d.vcpu,
      };
    }
    const foreign = d.to === 'host' ? d.guest : d.host;
    if (foreign !== 0) {
      return {
        message: `${d.describe(foreign)} raised by ${d.to === 'host' ? 'the guest' : 'the host'} on cpu${d.cpu} was delivered to ${to}`,
        cpu: d.cpu,
      };
    }
    return undefined;
  },
});
