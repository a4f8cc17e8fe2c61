/**
 * Book E events outside the vCPU lifecycle: a host debugger (ptrace on the current thread, as
 * upstream Book E: ptrace-adv.c) arming IACs and DACs qualified for user code only (DBCR1/DBCR2
 * Sup/User = 0b11, MSR[PR]=1, the set_debug_reg_defaults() value) on a CPU, userspace's
 * KVM_SET_GUEST_DEBUG, and guest code executing and accessing data where comparators may match.
 * The host kernel arms no comparator for itself, so host comparators never match the (supervisor)
 * switch code; but a KVM Book E guest runs with MSR[PR]=1, so a host comparator left armed while a
 * guest runs matches guest code. Userspace's guest breakpoints may land anywhere.
 */

import type { Executor } from '../../src/engine/execute.js';
import type { HitObservation } from '../../src/engine/invariant.js';
import type { EventKind } from '../../src/engine/model.js';
import type { GuestDebug } from '../../src/engine/policy.js';
import { CTX_HOST } from '../../src/engine/world.js';
import { VMM_DEBUG, VMM_DEBUG_ENABLE, VMM_DEBUG_HW, VMM_GHOST } from '../../src/model-kit/debug-status.js';
import { cpusWhere, operandEvent as event, guestCodeEvents, hostCpus, hostProgram, vcpusIn } from '../../src/model-kit/operand-event.js';
import { debugEnabled, guestDebugInterrupt, latch, vmmDebug } from './debug-interrupt.js';
import { dacHits, debugInterruptPending, iacHits, USER } from './hardware.js';
import { DAC, DBCR0, DBCR0_DAC, DBCR0_EDM, DBCR0_IAC, DBCR0_IDM, DBCR1, DBCR1_IACUS, DBCR2, DBCR2_DACUS, IAC, IACS } from './registers.js';

/** Operand domains of the Book E events (the full or the small exploration domain). */
export interface BookeDomain {
  /** Addresses guest code executes and accesses. */
  readonly addresses: readonly number[];
  /** Addresses the host's (ptrace) breakpoints arm. */
  readonly hostAddresses: readonly number[];
  /** Host slots: [IAC numbers, DAC numbers] (0-based). */
  readonly slots: readonly [readonly number[], readonly number[]];
  /** Userspace breakpoint lists, as indices into BP_LISTS. */
  readonly bpLists: readonly number[];
}

/** The breakpoint lists userspace passes (hardware breakpoints, packed from the first). */
export const BP_LISTS: readonly (readonly number[])[] = [[], [0x1000], [0x2000], [0x1000, 0x2000]];
const BP_NAMES = BP_LISTS.map((l) => (l.length === 0 ? 'none' : l.map((a) => `0x${a.toString(16)}`).join('+')));
const KINDS = ['iac', 'dac'] as const;
const OFF_ON = ['off', 'on'] as const;

/** The host programs a register on its own CPU; host area 0 is current->thread.debug. */
const hostWrite = hostProgram;

const THREAD_DEBUG = [IAC(0), IAC(1), IAC(2), IAC(3), DAC(0), DAC(1), DBCR0, DBCR1, DBCR2];

/**
 * ptrace changes a stopped tracee's thread.debug; it runs again through __switch_to, whose
 * switch_booke_debug_regs() primes every debug register from it (process.c prime_debug_regs).
 */
function primeFromThread(x: Executor, cpu: number): void {
  const thread = cpu * x.model.memory.hostAreas.length * x.regs;
  for (const reg of THREAD_DEBUG) hostWrite(x, cpu, reg, x.world.hostMem[thread + reg] as number);
}

const ENABLES = (DBCR0_IAC.reduce((a, b) => a | b, 0) | 0x000f0000) >>> 0;

/**
 * Builds the Book E debug events over `domain`; `adv`: the host has ptrace's advanced debug
 * interface (2.6.34+). Before it (2008, 2.6.26) the host kernel armed no IAC or DAC on a 440: ptrace
 * had only PTRACE_SET_DEBUGREG, which the 2.6.2x process.c writes to the classic DABR (set_dabr)
 * and __switch_to switches under CONFIG_PPC64 only, so there are no host breakpoint events.
 */
export function bookeDebugEvents(domain: BookeDomain, adv = true): EventKind[] {
  const armed = (x: Executor, c: number): boolean =>
    x.world.cpuContext[c] === CTX_HOST && ((x.world.hostIntent[c * x.regs + DBCR0] as number) & ENABLES) !== 0;
  const armedHostCpus = cpusWhere(armed);
  const slotsOf = (_x: Executor, ev: Float64Array): readonly number[] => domain.slots[ev[2] as number] as readonly number[];
  const armedSlots = (x: Executor, ev: Float64Array, kind = ev[2] as number): readonly number[] => {
    const dbcr0 = x.world.hostIntent[(ev[1] as number) * x.regs + DBCR0] as number;
    return (domain.slots[kind] as readonly number[]).filter((n) =>
      kind === 0 ? (dbcr0 & (DBCR0_IAC[n] as number)) !== 0 : (dbcr0 & ((DBCR0_DAC[n] as readonly number[])[0] as number)) !== 0,
    );
  };
  const hit: HitObservation = { cpu: 0, vcpu: 0, level: USER, what: 'execute', addr: 0, hw: 0, intended: 0, toGuest: true };

  /** Guest code at `addr` (user level): comparators latch, and a debug interrupt is taken if enabled. */
  const guestRuns = (x: Executor, v: number, what: HitObservation['what'], addr: number): void => {
    const cpu = x.world.loadedOn[v] as number;
    const o = cpu * x.regs;
    const io = v * x.regs;
    const store = what === 'store';
    const hw = what === 'execute' ? iacHits(x.world.hw, o, USER, addr) : dacHits(x.world.hw, o, USER, addr, store);
    const intended =
      what === 'execute' ? iacHits(x.world.guestIntent, io, USER, addr) : dacHits(x.world.guestIntent, io, USER, addr, store);
    hit.cpu = cpu;
    hit.vcpu = v;
    hit.what = what;
    hit.addr = addr;
    hit.hw = hw;
    hit.intended = intended;
    // Every debug interrupt exits to KVM; what is checked per hit is whether userspace's go on to it (delivery).
    hit.toGuest = (vmmDebug(x, v) & VMM_DEBUG_ENABLE) === 0;
    x.observeHit(hit);
    if (x.violation) return;
    latch(x, cpu, v, hw, intended, store);
    // A precise debug interrupt: CSRR0 is the instruction that matched.
    if (debugInterruptPending(x.world.hw, o, debugEnabled(x, cpu))) guestDebugInterrupt(x, v, cpu, addr);
    if (x.violation) return;
    x.settle(cpu);
  };

  let setGuestDebugEvent = -1;
  const events: EventKind[] = [
    event(
      'HOST_SET_BREAKPOINT',
      3,
      ['cpu', 'cpu'],
      hostCpus,
      [
        ['kind', KINDS, () => [0, 1]],
        ['slot', 'slot', slotsOf],
        ['addr', 'value', () => domain.hostAddresses],
      ],
      (x, ev) => {
        const cpu = ev[1] as number;
        const slot = ev[3] as number;
        const intent = (reg: number): number => x.world.hostIntent[cpu * x.regs + reg] as number;
        if (ev[2] === 0) {
          const us = DBCR1_IACUS[slot] as number;
          hostWrite(x, cpu, IAC(slot), ev[4] as number);
          hostWrite(x, cpu, DBCR1, intent(DBCR1) | us); // user only (0b11): the set_debug_reg_defaults() value ptrace keeps
          hostWrite(x, cpu, DBCR0, intent(DBCR0) | DBCR0_IDM | (DBCR0_IAC[slot] as number));
        } else {
          const us = DBCR2_DACUS[slot] as number;
          const [rd, wr] = DBCR0_DAC[slot] as readonly [number, number];
          hostWrite(x, cpu, DAC(slot), ev[4] as number);
          hostWrite(x, cpu, DBCR2, intent(DBCR2) | us); // user only (0b11): the set_debug_reg_defaults() value ptrace keeps
          hostWrite(x, cpu, DBCR0, intent(DBCR0) | DBCR0_IDM | rd | wr);
        }
        primeFromThread(x, cpu);
        x.settle(cpu);
      },
    ),
    event(
      'HOST_CLEAR_BREAKPOINT',
      1,
      ['cpu', 'cpu'],
      armedHostCpus,
      [
        ['kind', KINDS, (x, ev) => [0, 1].filter((kind) => armedSlots(x, ev, kind).length > 0)],
        ['slot', 'slot', (x, ev) => armedSlots(x, ev)],
      ],
      (x, ev) => {
        const cpu = ev[1] as number;
        const slot = ev[3] as number;
        const dbcr0 = x.world.hostIntent[cpu * x.regs + DBCR0] as number;
        const enable = ev[2] === 0 ? (DBCR0_IAC[slot] as number) : (DBCR0_DAC[slot] as readonly number[]).reduce((a, b) => a | b, 0);
        const left = dbcr0 & ~enable & ENABLES;
        hostWrite(x, cpu, DBCR0, left === 0 ? 0 : dbcr0 & ~enable);
        primeFromThread(x, cpu);
        x.settle(cpu);
      },
    ),
    event(
      'VMM_SET_GUEST_DEBUG',
      2,
      ['vcpu', 'vcpu'],
      vcpusIn('VMM_SET_GUEST_DEBUG'),
      [
        ['enable', OFF_ON, () => [0, 1]],
        ['useHw', OFF_ON, (_x, ev) => (ev[2] === 1 ? [0, 1] : [0])],
        ['bps', BP_NAMES, (_x, ev) => (ev[2] === 1 && ev[3] === 1 ? domain.bpLists : [0])],
      ],
      (x, ev) => {
        const v = ev[1] as number;
        const enable = ev[2] === 1;
        const useHw = enable && ev[3] === 1;
        const bps = useHw ? (BP_LISTS[ev[4] as number] ?? []) : [];
        x.world.vcpuGhost[v * VMM_GHOST.length + VMM_DEBUG] = (enable ? VMM_DEBUG_ENABLE : 0) | (useHw ? VMM_DEBUG_HW : 0);
        // The guest's view follows KVM_SET_GUEST_DEBUG's ABI (booke.c kvm_arch_vcpu_ioctl_set_guest_debug,
        // 3.15+), which is DBCR0[EDM] semantics: an external debugger takes the guest's dbg_reg, the guest
        // reads DBCR0 with EDM set and its writes are ignored (model.ts guestAccess); releasing it leaves
        // the registers as userspace left them, with DBCR0 = 0. What the comparators must hold while
        // userspace debugs is this view without EDM (model.ts vmmSlots).
        if (!enable) x.setGuestIntent(v, DBCR0, 0);
        else {
          let dbcr0 = 0;
          bps.forEach((addr, n) => {
            if (n >= IACS) return;
            x.setGuestIntent(v, IAC(n), addr);
            dbcr0 |= DBCR0_IDM | (DBCR0_IAC[n] as number);
          });
          x.setGuestIntent(v, DBCR0, (dbcr0 | DBCR0_EDM) >>> 0);
          // BookE-PR: the guest always runs with MSR[PR]=1, so userspace's comparators trigger only when MSR[PR] is set.
          x.setGuestIntent(v, DBCR1, DBCR1_IACUS.reduce((a, b) => a | b, 0) >>> 0);
          x.setGuestIntent(v, DBCR2, DBCR2_DACUS.reduce((a, b) => a | b, 0) >>> 0);
        }
        if (setGuestDebugEvent < 0) setGuestDebugEvent = x.lifecycleEvent('VMM_SET_GUEST_DEBUG');
        const dbg: GuestDebug = { enable, useHw, bps };
        x.fire(v, setGuestDebugEvent, dbg);
        if (x.violation) return;
        x.settle(x.world.loadedOn[v] as number);
      },
    ),
    // KVM_RUN returns to userspace from inside the run loop (a signal, an exit that needs userspace).
    event('RUN_RETURN', 2, ['vcpu', 'vcpu'], vcpusIn('RUN_RETURN'), [], (x, ev) => {
      const v = ev[1] as number;
      const cpu = x.world.loadedOn[v] as number;
      x.fire(v, x.lifecycleEvent('RUN_RETURN'));
      if (!x.violation) x.fire(v, x.lifecycleEvent('RETURNED'));
      if (!x.violation) x.settle(cpu);
    }),
    ...guestCodeEvents(domain.addresses, guestRuns),
  ];
  return adv ? events : events.filter((e) => !e.type.startsWith('HOST_'));
}
