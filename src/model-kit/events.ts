import { EXIT_REASONS, type Executor } from '../engine/execute.js';
import type { EventKind, ModelInstance } from '../engine/model.js';

/** Counts the vCPUs whose lifecycle enables machine event `e`; with `k >= 0`, returns the k-th one instead. */
export function vcpuWhere(x: Executor, e: number, k = -1): number {
  let n = 0;
  const vcpus = x.world.vcpuState.length;
  for (let v = 0; v < vcpus; v++) {
    if (x.can(v, e)) {
      if (n === k) return v;
      n++;
    }
  }
  return k >= 0 ? -1 : n;
}

/** Picks one of the vCPUs enabling `e` with the raw choice `r`, stores it in `ev[1]`, returns the rest of `r`. */
export function pickVcpu(x: Executor, e: number, r: number, ev: Float64Array): number {
  const n = vcpuWhere(x, e);
  ev[1] = vcpuWhere(x, e, r % n);
  return Math.floor(r / n);
}

/** A lifecycle event with a vCPU operand, enabled where the machine enables `machineEvent`. */
export function vcpuEvent(
  type: string,
  machineEvent: string,
  weight: number,
  more: {
    operands?: EventKind['operands'];
    decode?(x: Executor, r: number, ev: Float64Array): void;
    accepts?(x: Executor, ev: Float64Array): boolean;
    /** Emits every operand combination after the vCPU (already in ev[1]). */
    each?(x: Executor, ev: Float64Array, emit: (ev: Float64Array) => void): void;
    apply(x: Executor, ev: Float64Array): void;
  },
): EventKind {
  const buffer = new Float64Array(6);
  let e = -1;
  const id = (x: Executor): number => {
    if (e < 0) e = x.lifecycleEvent(machineEvent);
    return e;
  };
  return {
    type,
    weight,
    operands: [['vcpu', 'vcpu'], ...(more.operands ?? [])],
    enabled: (x) => x.vcpusEnabling(id(x)) > 0,
    gate: machineEvent,
    decode(x, r, ev) {
      const rest = pickVcpu(x, id(x), r, ev);
      more.decode?.(x, rest, ev);
    },
    accepts: (x, ev) => {
      const v = ev[1] as number;
      return v >= 0 && v < x.world.vcpuState.length && x.can(v, id(x)) && (more.accepts?.(x, ev) ?? true);
    },
    enumerate(x, emit) {
      const vcpus = x.world.vcpuState.length;
      for (let v = 0; v < vcpus; v++) {
        if (!x.can(v, id(x))) continue;
        buffer.fill(0);
        buffer[1] = v;
        if (more.each) more.each(x, buffer, emit);
        else emit(buffer);
      }
    },
    apply: more.apply,
  };
}

const GENERATED_EXITS = 3; // irq, hvc, mmio: EXIT_REASONS' first three

/**
 * The architecture-neutral part of the alphabet (DESIGN §4): vcpu load/put, guest entry and exit,
 * guest register reads and writes, KVM_GET/SET_ONE_REG (unless the model has none: `oneReg`) and
 * vCPU reset, each enabled by the lifecycle machine. Register operands and written values come from the model's domains.
 */
export function lifecycleEvents(m: ModelInstance): EventKind[] {
  const visible = m.guestReadable;
  const writable = m.guestWritable;
  // Replay accepts any guest-visible register, and any writable one, whatever the generator's domain
  // (and registers the domain has the guest access though they are not in guestVisible, e.g. x86 IA32_DEBUGCTL).
  const isVisible = (reg: number): boolean => m.view.guestVisible.includes(reg) || visible.includes(reg);
  const isWritable = (reg: number): boolean =>
    (m.view.guestVisible.includes(reg) && m.registers.semantics[reg] !== 1) || writable.includes(reg);
  const pickValue = (reg: number, r: number): number => {
    const d = m.valueDomain(reg);
    return d[r % d.length] ?? 0;
  };
  const cpus = m.config.cpus ?? 2;
  const eachReg = (_x: Executor, ev: Float64Array, emit: (ev: Float64Array) => void): void => {
    for (const reg of visible) {
      ev[2] = reg;
      emit(ev);
    }
  };
  const eachRegValue = (_x: Executor, ev: Float64Array, emit: (ev: Float64Array) => void): void => {
    for (const reg of writable) {
      ev[2] = reg;
      for (const value of m.valueDomain(reg)) {
        ev[3] = value;
        emit(ev);
      }
    }
  };
  /** The operands of an event that reads a guest-visible register (a guest MRS, KVM_GET_ONE_REG). */
  const readsReg = {
    operands: [['reg', 'reg']] as EventKind['operands'],
    decode(_x: Executor, r: number, ev: Float64Array): void {
      ev[2] = visible[r % visible.length] as number;
    },
    accepts: (_x: Executor, ev: Float64Array): boolean => isVisible(ev[2] as number),
    each: eachReg,
  };
  /** The operands of an event that writes a writable register with a value of its domain (a guest MSR, KVM_SET_ONE_REG). */
  const writesReg = {
    operands: [
      ['reg', 'reg'],
      ['value', 'value'],
    ] as EventKind['operands'],
    decode(_x: Executor, r: number, ev: Float64Array): void {
      const reg = writable[r % writable.length] as number;
      ev[2] = reg;
      ev[3] = pickValue(reg, Math.floor(r / writable.length));
    },
    accepts: (_x: Executor, ev: Float64Array): boolean => isWritable(ev[2] as number),
    each: eachRegValue,
  };
  const freeCpu = (x: Executor, k = -1): number => {
    let n = 0;
    for (let c = 0; c < cpus; c++) {
      if (x.world.running[c] === -1) {
        if (n === k) return c;
        n++;
      }
    }
    return k >= 0 ? -1 : n;
  };
  const load = vcpuEvent('VCPU_LOAD', 'VCPU_LOAD', 3, {
    operands: [['cpu', 'cpu']],
    decode(x, r, ev) {
      ev[2] = freeCpu(x, r % freeCpu(x));
    },
    accepts: (x, ev) => x.world.running[ev[2] as number] === -1,
    each(x, ev, emit) {
      for (let c = 0; c < cpus; c++) {
        if (x.world.running[c] !== -1) continue;
        ev[2] = c;
        emit(ev);
      }
    },
    apply: (x, ev) => x.load(ev[1] as number, ev[2] as number),
  });
  const loadEnabled = load.enabled;
  return [
    { ...load, gate: undefined, enabled: (x) => loadEnabled(x) && freeCpu(x) > 0 },
    vcpuEvent('VCPU_PUT', 'VCPU_PUT', 2, { apply: (x, ev) => x.put(ev[1] as number) }),
    vcpuEvent('GUEST_ENTER', 'GUEST_ENTER', 6, { apply: (x, ev) => x.enter(ev[1] as number) }),
    vcpuEvent('GUEST_EXIT', 'GUEST_EXIT', 3, {
      operands: [['reason', EXIT_REASONS]],
      decode(_x, r, ev) {
        ev[2] = r % GENERATED_EXITS;
      },
      accepts: (_x, ev) => (ev[2] as number) < GENERATED_EXITS,
      each(_x, ev, emit) {
        for (let r = 0; r < GENERATED_EXITS; r++) {
          ev[2] = r;
          emit(ev);
        }
      },
      apply: (x, ev) => x.exit(ev[1] as number, ev[2] as number),
    }),
    vcpuEvent('GUEST_READ', 'GUEST_READ', 4, { ...readsReg, apply: (x, ev) => x.guestRead(ev[1] as number, ev[2] as number) }),
    vcpuEvent('GUEST_WRITE', 'GUEST_WRITE', 7, {
      ...writesReg,
      apply: (x, ev) => x.guestWrite(ev[1] as number, ev[2] as number, ev[3] as number),
    }),
    ...(m.oneReg === false
      ? []
      : [
          vcpuEvent('VMM_GET_REG', 'VMM_GET_REG', 1, { ...readsReg, apply: (x, ev) => x.vmmGet(ev[1] as number, ev[2] as number) }),
          vcpuEvent('VMM_SET_REG', 'VMM_SET_REG', 1, {
            ...writesReg,
            apply: (x, ev) => x.vmmSet(ev[1] as number, ev[2] as number, ev[3] as number),
          }),
        ]),
    vcpuEvent('VCPU_RESET', 'VCPU_RESET', 1, { apply: (x, ev) => x.resetVcpu(ev[1] as number) }),
  ];
}
