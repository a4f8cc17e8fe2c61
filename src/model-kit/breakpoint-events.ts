/**
 * Events outside the vCPU lifecycle that every architecture with breakpoint and watchpoint slots
 * shares: the host's debug users arming and disarming slots on a CPU while it runs host code, and
 * host or guest code executing and accessing data where breakpoints may match. The architecture
 * says how a slot is programmed and how the hardware matches; this file knows no architecture.
 */
import type { Executor } from '../engine/execute.js';
import type { HitObservation } from '../engine/invariant.js';
import type { EventKind } from '../engine/model.js';
import { CTX_GUEST } from '../engine/world.js';
import { isHostCpu, pickHostCpu, type SlotHardware } from './slot-hardware.js';

export { hostWrite, isHostCpu, pickHostCpu, type SlotHardware } from './slot-hardware.js';

const KINDS = ['bp', 'wp'] as const;
const LEVELS = ['el0', 'el1'] as const;
const RW = ['read', 'write'] as const;

/** Builds HOST_SET/CLEAR_BREAKPOINT, HOST_EXECUTE, HOST_ACCESS, GUEST_EXECUTE and GUEST_ACCESS over `hw`. */
export function breakpointEvents(hw: SlotHardware): EventKind[] {
  const { brps, wrps, addresses } = hw;
  const count = (kind: number): number => (kind === 0 ? brps : wrps);
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
  let runReturn = -1; // RUN_RETURN's lifecycle event (arm64), -1 until looked up
  const hit: HitObservation = { cpu: 0, vcpu: -1, level: 0, what: 'execute', addr: 0, hw: 0, intended: 0, toGuest: false };

  /** The control register of every slot, by kind (`hw.ctrlReg`, asked once). */
  const ctrlRegs = [0, 1].map((kind) => Int32Array.from({ length: count(kind) }, (_, s) => hw.ctrlReg(kind, s)));
  const armedHostSlots = (x: Executor, k = -1, ev?: Float64Array): number => {
    let n = 0;
    for (let c = 0; c < x.world.cpuContext.length; c++) {
      if (!isHostCpu(x, c)) continue;
      for (let kind = 0; kind < 2; kind++) {
        const ctrl = ctrlRegs[kind] as Int32Array;
        for (let s = 0; s < ctrl.length; s++) {
          if (((x.world.hostIntent[c * x.regs + (ctrl[s] as number)] as number) & 1) === 0) continue;
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
  /** `armedHostSlots(x) > 0`, stopping at the first armed slot. */
  const anyArmedHostSlot = (x: Executor): boolean => {
    const { hostIntent, cpuContext } = x.world;
    for (let c = 0; c < cpuContext.length; c++) {
      if (!isHostCpu(x, c)) continue;
      for (let kind = 0; kind < 2; kind++) {
        const ctrl = ctrlRegs[kind] as Int32Array;
        for (let s = 0; s < ctrl.length; s++) if (((hostIntent[c * x.regs + (ctrl[s] as number)] as number) & 1) !== 0) return true;
      }
    }
    return false;
  };

  /** Slots that hit on register file `r` at `o` for `what` at `addr` from `level`. */
  const hits = (r: Float64Array, o: number, level: number, what: HitObservation['what'], addr: number): number => {
    if (hw.locked?.(r, o)) return 0;
    return what === 'execute' ? hw.breakpointHits(r, o, level, addr) : hw.watchpointHits(r, o, level, addr, what === 'store');
  };

  const evaluate = (x: Executor, cpu: number, vcpu: number, level: number, what: HitObservation['what'], addr: number): void => {
    const o = cpu * x.regs;
    const w = x.world;
    // Guest code hits what its world armed: userspace's breakpoints while it debugs the vCPU (vmmIntent), else the guest's.
    const vmm = vcpu < 0 ? undefined : x.model.view.vmmIntent?.(x, vcpu);
    hit.cpu = cpu;
    hit.vcpu = vcpu;
    hit.level = level;
    hit.what = what;
    hit.addr = addr;
    hit.hw = vcpu >= 0 || (hw.takenByHost?.(w.hw, o) ?? true) ? hits(w.hw, o, level, what, addr) : 0;
    hit.intended =
      vcpu < 0
        ? hits(w.hostIntent, o, level, what, addr)
        : vmm
          ? hits(vmm, 0, level, what, addr)
          : hits(w.guestIntent, vcpu * x.regs, level, what, addr);
    hit.toGuest = vcpu >= 0 && hw.takenByGuest(w.hw, o);
    x.observeHit(hit);
    if (x.violation) return;
    if (vcpu < 0 && hit.hw !== 0 && hw.hostHit) {
      hw.hostHit(x, cpu, level, what, addr, hit.hw);
      if (!x.violation) x.settle(cpu);
      return;
    }
    if (vcpu < 0 || hit.hw === 0 || hit.toGuest) return;
    x.exit(vcpu, 4); // routed to the hypervisor: KVM_EXIT_DEBUG (arm64 returns 0 for every debug EC), ending a modelled run loop
    runReturn = runReturn < 0 ? x.model.lifecycle.events.indexOf('RUN_RETURN') : runReturn;
    if (!x.violation && runReturn >= 0 && x.can(vcpu, runReturn)) x.returnToUser(vcpu);
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
      gate: machineEvent,
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
        const level = (what === 'execute' ? ev[3] : ev[4]) as number;
        const step = x.model.instruction;
        if (step?.before(x, v, level) || x.violation) return;
        x.fire(v, id(x));
        const cpu = x.world.loadedOn[v] as number;
        if (what === 'execute') evaluate(x, cpu, v, ev[3] as number, 'execute', ev[2] as number);
        else evaluate(x, cpu, v, ev[4] as number, ev[3] === 1 ? 'store' : 'load', ev[2] as number);
        // A breakpoint or watchpoint exception is taken before the instruction executes; else it completed.
        if (step && !x.violation && x.world.cpuContext[cpu] === CTX_GUEST) step.after(x, v, false, level);
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
      hostGate: true,
      decode(x, r, ev) {
        let rest = pickHostCpu(x, r, ev);
        const kind = rest % 2;
        rest = Math.floor(rest / 2);
        ev[2] = kind;
        const slots = hw.slots[kind] as readonly number[];
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
            for (const slot of hw.slots[kind] as readonly number[]) {
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
        hw.hostArm(x, cpu, ev[2] as number, ev[3] as number, ev[4] as number, ev[5] as number);
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
      enabled: hw.hostArmed ? (x) => hw.hostArmed?.(x) ?? anyArmedHostSlot(x) : anyArmedHostSlot,
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
        hw.hostDisarm(x, cpu, ev[2] as number, ev[3] as number);
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
      hostGate: true,
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
      hostGate: true,
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
