import { EXIT_REASONS, type Executor } from './execute.js';
import type { EventKind, ModelInstance } from './model.js';

/** Counts the vCPUs whose lifecycle enables machine event `e`; with `k >= 0`, returns the k-th one instead. */
function vcpuWhere(x: Executor, e: number, k = -1): number {
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
function pickVcpu(x: Executor, e: number, r: number, ev: Float64Array): number {
  const n = vcpuWhere(x, e);
  ev[1] = vcpuWhere(x, e, r % n);
  return Math.floor(r / n);
}

/** A lifecycle event with a vCPU operand, enabled where the machine enables `machineEvent`. */
function vcpuEvent(
  type: string,
  machineEvent: string,
  weight: number,
  more: {
    operands?: EventKind['operands'];
    decode?(x: Executor, r: number, ev: Float64Array): void;
    accepts?(x: Executor, ev: Float64Array): boolean;
    apply(x: Executor, ev: Float64Array): void;
  },
): EventKind {
  let e = -1;
  const id = (x: Executor): number => {
    if (e < 0) e = x.lifecycleEvent(machineEvent);
    return e;
  };
  return {
    type,
    weight,
    operands: [['vcpu', 'vcpu'], ...(more.operands ?? [])],
    enabled: (x) => vcpuWhere(x, id(x)) > 0,
    decode(x, r, ev) {
      const rest = pickVcpu(x, id(x), r, ev);
      more.decode?.(x, rest, ev);
    },
    accepts: (x, ev) => {
      const v = ev[1] as number;
      return v >= 0 && v < x.world.vcpuState.length && x.can(v, id(x)) && (more.accepts?.(x, ev) ?? true);
    },
    apply: more.apply,
  };
}

const GENERATED_EXITS = 3; // irq, hvc, mmio: EXIT_REASONS' first three

/**
 * The architecture-neutral part of the alphabet (DESIGN §4): vcpu load/put, guest entry and exit,
 * guest register reads and writes, KVM_GET/SET_ONE_REG and vCPU reset, each enabled by the
 * lifecycle machine. Register operands and written values come from the model's domains.
 */
export function lifecycleEvents(m: ModelInstance): EventKind[] {
  const visible = m.view.guestVisible;
  const writable = m.guestWritable;
  const isVisible = (reg: number): boolean => visible.includes(reg);
  const isWritable = (reg: number): boolean => writable.includes(reg);
  const pickValue = (reg: number, r: number): number => {
    const d = m.valueDomain(reg);
    return d[r % d.length] ?? 0;
  };
  const cpus = m.config.cpus ?? 2;
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
    apply: (x, ev) => x.load(ev[1] as number, ev[2] as number),
  });
  const loadEnabled = load.enabled;
  return [
    { ...load, enabled: (x) => loadEnabled(x) && freeCpu(x) > 0 },
    vcpuEvent('VCPU_PUT', 'VCPU_PUT', 2, { apply: (x, ev) => x.put(ev[1] as number) }),
    vcpuEvent('GUEST_ENTER', 'GUEST_ENTER', 6, { apply: (x, ev) => x.enter(ev[1] as number) }),
    vcpuEvent('GUEST_EXIT', 'GUEST_EXIT', 3, {
      operands: [['reason', EXIT_REASONS]],
      decode(_x, r, ev) {
        ev[2] = r % GENERATED_EXITS;
      },
      accepts: (_x, ev) => (ev[2] as number) < GENERATED_EXITS,
      apply: (x, ev) => x.exit(ev[1] as number, ev[2] as number),
    }),
    vcpuEvent('GUEST_READ', 'GUEST_READ', 4, {
      operands: [['reg', 'reg']],
      decode(_x, r, ev) {
        ev[2] = visible[r % visible.length] as number;
      },
      accepts: (_x, ev) => isVisible(ev[2] as number),
      apply: (x, ev) => x.guestRead(ev[1] as number, ev[2] as number),
    }),
    vcpuEvent('GUEST_WRITE', 'GUEST_WRITE', 7, {
      operands: [
        ['reg', 'reg'],
        ['value', 'value'],
      ],
      decode(_x, r, ev) {
        const reg = writable[r % writable.length] as number;
        ev[2] = reg;
        ev[3] = pickValue(reg, Math.floor(r / writable.length));
      },
      accepts: (_x, ev) => isWritable(ev[2] as number),
      apply: (x, ev) => x.guestWrite(ev[1] as number, ev[2] as number, ev[3] as number),
    }),
    vcpuEvent('VMM_GET_REG', 'VMM_GET_REG', 1, {
      operands: [['reg', 'reg']],
      decode(_x, r, ev) {
        ev[2] = visible[r % visible.length] as number;
      },
      accepts: (_x, ev) => isVisible(ev[2] as number),
      apply: (x, ev) => x.vmmGet(ev[1] as number, ev[2] as number),
    }),
    vcpuEvent('VMM_SET_REG', 'VMM_SET_REG', 1, {
      operands: [
        ['reg', 'reg'],
        ['value', 'value'],
      ],
      decode(_x, r, ev) {
        const reg = writable[r % writable.length] as number;
        ev[2] = reg;
        ev[3] = pickValue(reg, Math.floor(r / writable.length));
      },
      accepts: (_x, ev) => isWritable(ev[2] as number),
      apply: (x, ev) => x.vmmSet(ev[1] as number, ev[2] as number, ev[3] as number),
    }),
    vcpuEvent('VCPU_RESET', 'VCPU_RESET', 1, { apply: (x, ev) => x.resetVcpu(ev[1] as number) }),
  ];
}
