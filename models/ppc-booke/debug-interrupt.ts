/**
 * When a Book E core latches a debug event and when it takes the debug interrupt, and the ghost
 * bookkeeping of who each latched DBSR bit is owed to. The world-switch code is host kernel text at
 * SWITCH_CODE: after each of its register writes its next instruction executes there, at supervisor
 * level, against whatever IACs are live (the review's "IAC[0] = 0xc0001080 ... IAC1 matched").
 */

import { type Executor, SCRATCH_WORDS } from '../../src/engine/execute.js';
import type { DeliveryObservation } from '../../src/engine/invariant.js';
import { CTX_GUEST } from '../../src/engine/world.js';
import {
  STATUS_DELIVERED,
  STATUS_GHOST,
  STATUS_GUEST,
  STATUS_HOST,
  STATUS_SPURIOUS,
  VMM_DEBUG,
  VMM_DEBUG_ENABLE,
  VMM_GHOST,
} from '../../src/model-kit/debug-status.js';
import { debugInterruptPending, iacHits, SUPERVISOR, statusBits } from './hardware.js';
import { CSRR0, DBSR, DBSR_EVENTS, DBSR_IDE, describeDbsr, MSR, MSR_DE } from './registers.js';

/** The abstract address domain: host and guest kernels use the same effective addresses. */
export const ADDRESSES: readonly number[] = [0x1000, 0x2000];
/** Where the world-switch code (kvm_arch_vcpu_ioctl_run and the exit handler) lives in host text. */
export const SWITCH_CODE = 0x2000;
/** run->exit_reason KVM_EXIT_DEBUG (uapi/linux/kvm.h): what a ppc guestExit hook returns for a debug exit. */
export const KVM_EXIT_DEBUG = 4;

/** vcpuScalars of the ppc model, in order (see model.ts BookeVcpu). */
export const VCPU_SCALARS = ['guestDebug', 'shadowMsr', 'hostMsr', 'dbsr', 'bp0', 'bp1', 'bp2', 'bp3', 'debugQueued'] as const;
const SHADOW_MSR = VCPU_SCALARS.indexOf('shadowMsr');
const DEBUG_QUEUED = VCPU_SCALARS.indexOf('debugQueued');

/**
 * The Book E per-CPU ghost words: STATUS_GHOST, then `statusVmm`, the bits of `statusGuest` that
 * were owed to userspace (KVM_SET_GUEST_DEBUG on for the vCPU) when they latched. Who an event is
 * owed to is decided when it latches, not when software clears it: an event of userspace's
 * breakpoint stays userspace's after it stops debugging.
 */
export const BOOKE_STATUS_GHOST = [...STATUS_GHOST, 'statusVmm'] as const;
export const STATUS_VMM = STATUS_GHOST.length;
const G = BOOKE_STATUS_GHOST.length;
const words = VCPU_SCALARS.length + SCRATCH_WORDS;

/** The vCPU's userspace debug flags (ghost). */
export const vmmDebug = (x: Executor, v: number): number => x.world.vcpuGhost[v * VMM_GHOST.length + VMM_DEBUG] as number;

/** MSR[DE] of the code running on `cpu`: the guest runs with its shadow MSR, the host with the MSR register. */
export function debugEnabled(x: Executor, cpu: number): boolean {
  const w = x.world;
  if (w.cpuContext[cpu] === CTX_GUEST) return ((w.vcpuScalar[(w.running[cpu] as number) * words + SHADOW_MSR] as number) & MSR_DE) !== 0;
  return ((w.hw[cpu * x.regs + MSR] as number) & MSR_DE) !== 0;
}

/**
 * Latches the DBSR bits of slot hits `hits` raised by code of `vcpu` (-1: host code); `intended`
 * are the hits the world of that code armed. Bits it did not arm are spurious.
 */
export function latch(x: Executor, cpu: number, vcpu: number, hits: number, intended: number, store: boolean): void {
  if (hits === 0) return;
  const bits = statusBits(hits, store);
  const own = statusBits(hits & intended, store);
  const g = x.world.cpuGhost;
  const b = cpu * G;
  const owner = b + (vcpu < 0 ? STATUS_HOST : STATUS_GUEST);
  g[owner] = ((g[owner] as number) | own) >>> 0;
  if (vcpu >= 0) {
    const vmm = (vmmDebug(x, vcpu) & VMM_DEBUG_ENABLE) !== 0 ? own : 0;
    g[b + STATUS_VMM] = (((g[b + STATUS_VMM] as number) & ~own) | vmm) >>> 0;
  }
  g[b + STATUS_SPURIOUS] = ((g[b + STATUS_SPURIOUS] as number) | (bits & ~own)) >>> 0;
  g[b + STATUS_DELIVERED] = ((g[b + STATUS_DELIVERED] as number) & ~bits) >>> 0;
  const o = cpu * x.regs + DBSR;
  x.world.hw[o] = ((x.world.hw[o] as number) | bits | (debugEnabled(x, cpu) ? 0 : DBSR_IDE)) >>> 0;
  x.mutations++;
}

const delivery: DeliveryObservation = {
  cpu: 0,
  vcpu: -1,
  to: 'host',
  status: 0,
  host: 0,
  guest: 0,
  spurious: 0,
  again: 0,
  describe: describeDbsr,
};

/** Classifies the event bits the interrupt delivers and moves them to "delivered" (ghost). */
function take(x: Executor, cpu: number): number {
  const events = ((x.world.hw[cpu * x.regs + DBSR] as number) & DBSR_EVENTS) >>> 0;
  const g = x.world.cpuGhost;
  const b = cpu * G;
  delivery.cpu = cpu;
  delivery.vcpu = x.world.running[cpu] as number;
  delivery.status = events;
  delivery.host = (g[b + STATUS_HOST] as number) & events;
  delivery.guest = (g[b + STATUS_GUEST] as number) & events;
  delivery.spurious = (g[b + STATUS_SPURIOUS] as number) & events;
  delivery.again = (g[b + STATUS_DELIVERED] as number) & events;
  for (const k of [STATUS_HOST, STATUS_GUEST, STATUS_SPURIOUS, STATUS_VMM]) g[b + k] = ((g[b + k] as number) & ~events) >>> 0;
  g[b + STATUS_DELIVERED] = ((g[b + STATUS_DELIVERED] as number) | events) >>> 0;
  x.mutations++;
  return events;
}

/**
 * A debug interrupt in the guest: an exit to KVM (BOOKE_INTERRUPT_DEBUG) with CSRR0 = `pc`. The
 * policy's guestExit returns KVM_EXIT_DEBUG when the exit goes on to userspace, and KVM_RUN returns;
 * otherwise the guest's events reach it only if the handler queued a debug interrupt for it
 * (`debugQueued`: kvmppc_core_queue_debug), which counts as delivered at this exit.
 */
export function guestDebugInterrupt(x: Executor, v: number, cpu: number, pc: number): void {
  const owedVmm = ((x.world.cpuGhost[cpu * G + STATUS_VMM] as number) & (x.world.hw[cpu * x.regs + DBSR] as number)) >>> 0;
  take(x, cpu);
  const seen: DeliveryObservation = { ...delivery };
  x.world.hw[cpu * x.regs + CSRR0] = pc;
  const reason = x.fire(v, x.lifecycleEvent('GUEST_EXIT'), 'debug');
  if (x.violation) return;
  x.fire(v, x.lifecycleEvent('EXITED'));
  if (x.violation) return;
  // RESUME_HOST with KVM_EXIT_DEBUG: the run loop ends and KVM_RUN returns to userspace.
  if (reason === KVM_EXIT_DEBUG) x.fire(v, x.lifecycleEvent('RUN_RETURN'));
  if (reason === KVM_EXIT_DEBUG && !x.violation) x.fire(v, x.lifecycleEvent('RETURNED'));
  if (x.violation) return;
  if (reason === KVM_EXIT_DEBUG) {
    x.observeDelivery({ ...seen, to: 'vmm' });
    return;
  }
  // Resumed into the guest: userspace's events went to the guest's side (userspace-debug-honored
  // judges that); the guest's own reach it only if queued, else DBSR was cleared and they are gone.
  const queued = ((x.world.vcpuScalar[v * words + DEBUG_QUEUED] as number) & 1) !== 0;
  const own = (seen.guest & ~owedVmm) >>> 0;
  if (queued || own === 0) {
    x.observeDelivery({ ...seen, to: 'guest' });
    return;
  }
  x.observeDelivery({
    ...seen,
    to: 'guest',
    missed: own,
    missedOwner: 'guest',
    why: `KVM handled the debug exit and resumed vcpu${v} without queueing a debug interrupt for the guest (kvmppc_core_queue_debug)`,
  });
}

/** A debug interrupt in the host: the host kernel's DebugException handles and clears the events. */
function hostDebugInterrupt(x: Executor, cpu: number): void {
  const events = take(x, cpu);
  const o = cpu * x.regs + DBSR;
  x.world.hw[o] = ((x.world.hw[o] as number) & ~(events | DBSR_IDE)) >>> 0;
  const g = x.world.cpuGhost;
  g[cpu * G + STATUS_DELIVERED] = ((g[cpu * G + STATUS_DELIVERED] as number) & ~events) >>> 0;
  delivery.to = 'host';
  x.observeDelivery(delivery);
}

const lost: DeliveryObservation = { ...delivery, to: 'guest', lost: 0 };

/**
 * Owed events software cleared before any debug interrupt took them. DBSR is write-1-to-clear
 * (ISA III-E 8.5.2): once a bit is cleared nothing can set it again, so an event of the guest's
 * world latched while MSR[DE]=0 (DBSR[IDE], the interrupt deferred until DE is set: ISA III-E 8.4)
 * and then cleared never reaches the guest or userspace. The host's own events are not judged:
 * the only ones are the switch code's, which no host debugger arms (ptrace is user-only).
 */
function observeLost(x: Executor, cpu: number, dbsr: number): void {
  const gone = ((x.world.cpuGhost[cpu * G + STATUS_GUEST] as number) & ~dbsr) >>> 0;
  if (gone === 0) return;
  // Whom each bit was owed to when it latched (statusVmm): userspace's first, then the guest's.
  const vmm = ((x.world.cpuGhost[cpu * G + STATUS_VMM] as number) & gone) >>> 0;
  lost.cpu = cpu;
  lost.vcpu = x.world.running[cpu] as number;
  lost.to = vmm !== 0 ? 'vmm' : 'guest';
  lost.status = vmm !== 0 ? vmm : gone;
  lost.lost = lost.status;
  x.observeDelivery(lost);
}

/** ModelInstance.observe: the hardware between two instructions on `cpu`. */
export function observe(x: Executor, cpu: number, inHook: boolean): void {
  const w = x.world;
  const o = cpu * x.regs;
  const dbsr = w.hw[o + DBSR] as number;
  observeLost(x, cpu, dbsr);
  if (x.violation) return;
  // Status bits software cleared are no longer owed to anyone.
  for (let k = 0; k < G; k++) {
    const before = w.cpuGhost[cpu * G + k] as number;
    const after = (before & dbsr) >>> 0;
    if (after !== before) {
      w.cpuGhost[cpu * G + k] = after;
      x.mutations++;
    }
  }
  const inGuest = w.cpuContext[cpu] === CTX_GUEST;
  if (inHook && !inGuest) {
    // The switch code's next instruction, at supervisor level, against the live comparators.
    latch(x, cpu, -1, iacHits(w.hw, o, SUPERVISOR, SWITCH_CODE), iacHits(w.hostIntent, o, SUPERVISOR, SWITCH_CODE), false);
  }
  if (!debugInterruptPending(w.hw, o, debugEnabled(x, cpu))) return;
  if (!inGuest) hostDebugInterrupt(x, cpu);
  else if (!inHook) guestDebugInterrupt(x, w.running[cpu] as number, cpu, 0);
}
