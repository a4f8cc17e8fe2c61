/**
 * arm64 events outside the vCPU lifecycle: the host's debug users (perf hw_breakpoint, ptrace,
 * kgdb through arch/arm64/kernel/hw_breakpoint.c) arming and disarming slots on a CPU while it runs
 * host code, and host or guest code executing and accessing data where breakpoints may match.
 */
import type { Executor } from '../../src/execute.js';
import type { HitObservation } from '../../src/invariant.js';
import type { EventKind } from '../../src/model.js';
import { CTX_GUEST, CTX_HOST } from '../../src/world.js';
import { breakpointHits, routesToEl2, watchpointHits } from './hardware.js';
import {
  bcr,
  DBG_MDSCR_KDE,
  DBG_MDSCR_MDE,
  DBGBCR,
  DBGBVR,
  DBGWCR,
  DBGWVR,
  LSC_LOAD,
  LSC_STORE,
  MDSCR_EL1,
  PRIV_EL0,
  PRIV_EL1,
  wcr,
} from './registers.js';

/** The abstract address domain: host and guest kernels use the same virtual addresses. */
export const ADDRESSES: readonly number[] = [0x1000, 0x2000];

/** The operands the debug events draw from: addresses, and which breakpoint / watchpoint slots. */
export interface DebugDomain {
  readonly addresses: readonly number[];
  /** Slot numbers per kind: [breakpoints, watchpoints]. */
  readonly slots: readonly [readonly number[], readonly number[]];
  /** Whether the OS Lock blocks every debug exception for code running on register file `r` at `o` (none when absent). */
  readonly locked?: (r: Float64Array, o: number) => boolean;
}

/** The full domain (every slot, both addresses) or the small one (the last slot of each kind, one address). */
export function debugDomain(brps: number, wrps: number, small: boolean): DebugDomain {
  return {
    addresses: small ? ADDRESSES.slice(0, 1) : ADDRESSES,
    slots: small ? [[brps - 1], [wrps - 1]] : [Array.from({ length: brps }, (_, n) => n), Array.from({ length: wrps }, (_, n) => n)],
  };
}

const KINDS = ['bp', 'wp'] as const;
const LEVELS = ['el0', 'el1'] as const;
const RW = ['read', 'write'] as const;

function hostCpus(x: Executor, k = -1): number {
  let n = 0;
  for (let c = 0; c < x.world.cpuContext.length; c++) {
    if (x.world.cpuContext[c] === CTX_HOST) {
      if (n === k) return c;
      n++;
    }
  }
  return k >= 0 ? -1 : n;
}

/** Picks a CPU running host code into `ev[1]`; returns what is left of the raw choice. */
export function pickHostCpu(x: Executor, r: number, ev: Float64Array): number {
  const n = hostCpus(x);
  ev[1] = hostCpus(x, r % n);
  return Math.floor(r / n);
}

/** Whether `cpu` runs host code now. */
export const isHostCpu = (x: Executor, cpu: number): boolean => x.world.cpuContext[cpu] === CTX_HOST;

/** The value and control registers of slot `slot` of `kind` (0 bp, 1 wp). */
const valueReg = (kind: number, slot: number): number => (kind === 0 ? DBGBVR(slot) : DBGWVR(slot));
const ctrlReg = (kind: number, slot: number): number => (kind === 0 ? DBGBCR(slot) : DBGWCR(slot));

/**
 * MDSCR_EL1 as the host's debug monitors leave it: MDE while any slot is armed, KDE while any
 * kernel (EL1) slot is armed (enable_debug_monitors / disable_debug_monitors).
 */
function hostMdscr(x: Executor, cpu: number, brps: number, wrps: number): number {
  const o = cpu * x.regs;
  const intent = x.world.hostIntent;
  let mdscr = 0;
  for (let kind = 0; kind < 2; kind++) {
    for (let n = 0; n < (kind === 0 ? brps : wrps); n++) {
      const ctrl = intent[o + ctrlReg(kind, n)] as number;
      if ((ctrl & 1) === 0) continue;
      mdscr |= DBG_MDSCR_MDE;
      if ((ctrl >> 1) & PRIV_EL1) mdscr |= DBG_MDSCR_KDE;
    }
  }
  return mdscr;
}

/** The host programs a register on its own CPU: hardware and host intent change together. */
export function hostWrite(x: Executor, cpu: number, reg: number, value: number): void {
  x.world.hw[cpu * x.regs + reg] = value;
  x.setHostIntent(cpu, reg, value);
}

/** Builds the arm64 debug events for a CPU with `brps` breakpoints and `wrps` watchpoints. */
export function arm64DebugEvents(brps: number, wrps: number, domain: DebugDomain): EventKind[] {
  const count = (kind: number): number => (kind === 0 ? brps : wrps);
  const { addresses, locked } = domain;
  const buffer = new Float64Array(6);
  /** Emits `ev` once per host CPU (ev[1]), with `more` filling the other operands. */
  const eachHostCpu = (
    x: Executor,
    emit: (ev: Float64Array) => void,
    more: (ev: Float64Array, emit: (ev: Float64Array) => void) => void,
  ): void => {
    for (let c = 0; c < x.world.cpuContext.length; c++) {
      if (!isHostCpu(x, c)) continue;
      buffer.fill(0);
      buffer[1] = c;
      more(buffer, emit);
    }
  };
  const hit: HitObservation = { cpu: 0, vcpu: -1, level: 0, what: 'execute', addr: 0, hw: 0, intended: 0, toGuest: false };

  const armedHostSlots = (x: Executor, k = -1, ev?: Float64Array): number => {
    let n = 0;
    for (let c = 0; c < x.world.cpuContext.length; c++) {
      if (!isHostCpu(x, c)) continue;
      for (let kind = 0; kind < 2; kind++) {
        for (let s = 0; s < count(kind); s++) {
          if (((x.world.hostIntent[c * x.regs + ctrlReg(kind, s)] as number) & 1) === 0) continue;
          if (n === k && ev) {
            ev[1] = c;
            ev[2] = kind;
            ev[3] = s;
            return n;
          }
          n++;
        }
      }
    }
    return n;
  };

  /** Slots that hit on register file `r` at `o` for `what` at `addr` from `level`. */
  const hitsOn = (r: Float64Array, o: number, level: number, what: HitObservation['what'], addr: number): number => {
    if (locked?.(r, o)) return 0;
    if (what === 'execute') return breakpointHits(r, o, level, addr, brps, wrps);
    return watchpointHits(r, o, level, addr, what === 'store', brps, wrps);
  };

  const evaluate = (x: Executor, cpu: number, vcpu: number, level: number, what: HitObservation['what'], addr: number): void => {
    const o = cpu * x.regs;
    const w = x.world;
    // Guest code hits what its world armed: userspace's breakpoints while it debugs the vCPU, else the guest's.
    const vmm = vcpu < 0 ? undefined : x.model.view.vmmIntent?.(x, vcpu);
    const intent = vcpu < 0 ? w.hostIntent : (vmm ?? w.guestIntent);
    const io = vcpu < 0 ? o : vmm ? 0 : vcpu * x.regs;
    hit.cpu = cpu;
    hit.vcpu = vcpu;
    hit.level = level;
    hit.what = what;
    hit.addr = addr;
    hit.hw = hitsOn(w.hw, o, level, what, addr);
    hit.intended = hitsOn(intent, io, level, what, addr);
    hit.toGuest = vcpu >= 0 && !routesToEl2(w.hw, o);
    x.observeHit(hit);
    if (x.violation) return;
    // A debug exception routed to EL2 is a guest exit (KVM_EXIT_DEBUG to userspace); otherwise
    // evaluating a hit changes nothing, and the state already passed its checks.
    if (vcpu >= 0 && hit.hw !== 0 && !hit.toGuest) x.exit(vcpu, 4);
  };

  const guestEvent = (type: string, machineEvent: string, what: 'execute' | 'access'): EventKind => {
    let e = -1;
    const id = (x: Executor): number => (e >= 0 ? e : (e = x.lifecycleEvent(machineEvent)));
    const inGuest = (x: Executor, k = -1): number => {
      let n = 0;
      for (let v = 0; v < x.world.vcpuState.length; v++) {
        if (x.can(v, id(x))) {
          if (n === k) return v;
          n++;
        }
      }
      return k >= 0 ? -1 : n;
    };
    return {
      type,
      weight: 2,
      operands:
        what === 'execute'
          ? [
              ['vcpu', 'vcpu'],
              ['addr', 'value'],
              ['el', LEVELS],
            ]
          : [
              ['vcpu', 'vcpu'],
              ['addr', 'value'],
              ['rw', RW],
              ['el', LEVELS],
            ],
      enabled: (x) => x.vcpusEnabling(id(x)) > 0,
      decode(x, r, ev) {
        const n = inGuest(x);
        ev[1] = inGuest(x, r % n);
        let rest = Math.floor(r / n);
        ev[2] = addresses[rest % addresses.length] as number;
        rest = Math.floor(rest / addresses.length);
        if (what === 'execute') ev[3] = rest % 2;
        else {
          ev[3] = rest % 2;
          ev[4] = Math.floor(rest / 2) % 2;
        }
      },
      accepts: (x, ev) => x.can(ev[1] as number, id(x)),
      enumerate(x, emit) {
        for (let v = 0; v < x.world.vcpuState.length; v++) {
          if (!x.can(v, id(x))) continue;
          buffer.fill(0);
          buffer[1] = v;
          for (const addr of addresses) {
            buffer[2] = addr;
            for (let a = 0; a < 2; a++) {
              buffer[3] = a;
              if (what === 'execute') emit(buffer);
              else {
                for (let b = 0; b < 2; b++) {
                  buffer[4] = b;
                  emit(buffer);
                }
              }
            }
          }
        }
      },
      apply(x, ev) {
        const v = ev[1] as number;
        const step = x.model.instruction;
        if (step?.before(x, v) || x.violation) return;
        x.fire(v, id(x));
        const cpu = x.world.loadedOn[v] as number;
        if (what === 'execute') evaluate(x, cpu, v, ev[3] as number, 'execute', ev[2] as number);
        else evaluate(x, cpu, v, ev[4] as number, ev[3] === 1 ? 'store' : 'load', ev[2] as number);
        // A breakpoint or watchpoint exception is taken before the instruction executes; else it completed.
        if (step && !x.violation && x.world.cpuContext[cpu] === CTX_GUEST) step.after(x, v, false);
      },
    };
  };

  return [
    {
      type: 'HOST_SET_BREAKPOINT',
      weight: 3,
      operands: [
        ['cpu', 'cpu'],
        ['kind', KINDS],
        ['slot', 'slot'],
        ['el', LEVELS],
        ['addr', 'value'],
      ],
      enabled: (x) => x.hostCpuCount() > 0,
      decode(x, r, ev) {
        let rest = pickHostCpu(x, r, ev);
        const kind = rest % 2;
        rest = Math.floor(rest / 2);
        ev[2] = kind;
        const slots = domain.slots[kind] as readonly number[];
        ev[3] = slots[rest % slots.length] as number;
        rest = Math.floor(rest / slots.length);
        ev[4] = rest % 2;
        ev[5] = addresses[Math.floor(rest / 2) % addresses.length] as number;
      },
      accepts: (x, ev) => isHostCpu(x, ev[1] as number) && (ev[3] as number) < count(ev[2] as number),
      enumerate: (x, emit) =>
        eachHostCpu(x, emit, (ev, out) => {
          for (let kind = 0; kind < 2; kind++) {
            ev[2] = kind;
            for (const slot of domain.slots[kind] as readonly number[]) {
              ev[3] = slot;
              for (let el = 0; el < 2; el++) {
                ev[4] = el;
                for (const addr of addresses) {
                  ev[5] = addr;
                  out(ev);
                }
              }
            }
          }
        }),
      apply(x, ev) {
        const cpu = ev[1] as number;
        const kind = ev[2] as number;
        const slot = ev[3] as number;
        const priv = ev[4] === 1 ? PRIV_EL1 : PRIV_EL0;
        hostWrite(x, cpu, valueReg(kind, slot), ev[5] as number);
        hostWrite(x, cpu, ctrlReg(kind, slot), kind === 0 ? bcr(priv) : wcr(priv, LSC_LOAD | LSC_STORE));
        hostWrite(x, cpu, MDSCR_EL1, hostMdscr(x, cpu, brps, wrps));
        x.settle(cpu);
      },
    },
    {
      type: 'HOST_CLEAR_BREAKPOINT',
      weight: 1,
      operands: [
        ['cpu', 'cpu'],
        ['kind', KINDS],
        ['slot', 'slot'],
      ],
      // hostMdscr() sets MDE exactly when some slot is armed: an O(cpus) test instead of a slot scan.
      enabled: (x) => {
        for (let c = 0; c < x.world.cpuContext.length; c++) {
          if (isHostCpu(x, c) && ((x.world.hostIntent[c * x.regs + MDSCR_EL1] as number) & DBG_MDSCR_MDE) !== 0) return true;
        }
        return false;
      },
      decode(x, r, ev) {
        armedHostSlots(x, r % armedHostSlots(x), ev);
      },
      accepts: (x, ev) => isHostCpu(x, ev[1] as number) && (ev[3] as number) < count(ev[2] as number),
      enumerate(x, emit) {
        const n = armedHostSlots(x);
        for (let k = 0; k < n; k++) {
          buffer.fill(0);
          armedHostSlots(x, k, buffer);
          emit(buffer);
        }
      },
      apply(x, ev) {
        const cpu = ev[1] as number;
        // arch_uninstall_hw_breakpoint writes the control register only.
        hostWrite(x, cpu, ctrlReg(ev[2] as number, ev[3] as number), 0);
        hostWrite(x, cpu, MDSCR_EL1, hostMdscr(x, cpu, brps, wrps));
        x.settle(cpu);
      },
    },
    {
      type: 'HOST_EXECUTE',
      weight: 1,
      operands: [
        ['cpu', 'cpu'],
        ['addr', 'value'],
        ['el', LEVELS],
      ],
      enabled: (x) => x.hostCpuCount() > 0,
      decode(x, r, ev) {
        const rest = pickHostCpu(x, r, ev);
        ev[2] = addresses[rest % addresses.length] as number;
        ev[3] = Math.floor(rest / addresses.length) % 2;
      },
      accepts: (x, ev) => isHostCpu(x, ev[1] as number),
      enumerate: (x, emit) =>
        eachHostCpu(x, emit, (ev, out) => {
          for (const addr of addresses) {
            for (let el = 0; el < 2; el++) {
              ev[2] = addr;
              ev[3] = el;
              out(ev);
            }
          }
        }),
      apply: (x, ev) => evaluate(x, ev[1] as number, -1, ev[3] as number, 'execute', ev[2] as number),
    },
    {
      type: 'HOST_ACCESS',
      weight: 1,
      operands: [
        ['cpu', 'cpu'],
        ['addr', 'value'],
        ['rw', RW],
        ['el', LEVELS],
      ],
      enabled: (x) => x.hostCpuCount() > 0,
      decode(x, r, ev) {
        let rest = pickHostCpu(x, r, ev);
        ev[2] = addresses[rest % addresses.length] as number;
        rest = Math.floor(rest / addresses.length);
        ev[3] = rest % 2;
        ev[4] = Math.floor(rest / 2) % 2;
      },
      accepts: (x, ev) => isHostCpu(x, ev[1] as number),
      enumerate: (x, emit) =>
        eachHostCpu(x, emit, (ev, out) => {
          for (const addr of addresses) {
            for (let rw = 0; rw < 2; rw++) {
              for (let el = 0; el < 2; el++) {
                ev[2] = addr;
                ev[3] = rw;
                ev[4] = el;
                out(ev);
              }
            }
          }
        }),
      apply: (x, ev) => evaluate(x, ev[1] as number, -1, ev[4] as number, ev[3] === 1 ? 'store' : 'load', ev[2] as number),
    },
    guestEvent('GUEST_EXECUTE', 'GUEST_EXECUTE', 'execute'),
    guestEvent('GUEST_ACCESS', 'GUEST_ACCESS', 'access'),
  ];
}
