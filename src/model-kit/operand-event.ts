import type { Executor } from '../engine/execute.js';
import type { EventKind, OperandKind } from '../engine/model.js';
import { hwWriteResult } from '../engine/register-file.js';
import { CTX_HOST } from '../engine/world.js';

/** An operand after the subject: its name, how it prints, and its domain given the operands before it. */
export type Operand = readonly [name: string, kind: OperandKind, values: (x: Executor, ev: Float64Array) => readonly number[]];

/**
 * The subjects an operand event draws (`ev[1]`): a function listing them, optionally with `count`,
 * which says how many there are without building the list (what `enabled` asks on every event).
 */
export type Subjects = ((x: Executor) => readonly number[]) & {
  readonly count?: (x: Executor) => number;
  /** With `count`: the k-th subject, `list(x)[k]`, without building the list (what `decode` asks on every event). */
  readonly nth?: (x: Executor, k: number) => number;
  /** The subjects are the vCPUs whose machine enables this event (`vcpusIn`): see EventKind.gate. */
  readonly gate?: string;
};

/** `list` with `count` (and `nth`) attached: `count(x)` must equal `list(x).length`, `nth(x, k)` `list(x)[k]`. */
export function counted(
  list: (x: Executor) => readonly number[],
  count: (x: Executor) => number,
  nth?: (x: Executor, k: number) => number,
): Subjects {
  return Object.assign(list, nth ? { count, nth } : { count });
}

/**
 * An event kind on `ev[1]` (a host CPU or a vCPU, from `subjects`) with further operands each drawn from
 * its own domain; decode, accepts and enumerate all follow from the domains.
 */
export function operandEvent(
  type: string,
  weight: number,
  subject: readonly [string, OperandKind],
  subjects: Subjects,
  operands: readonly Operand[],
  apply: (x: Executor, ev: Float64Array) => void,
): EventKind {
  const buffer = new Float64Array(6);
  const count = subjects.count;
  const nth = count ? subjects.nth : undefined;
  const fill = (x: Executor, ev: Float64Array, i: number, emit: (ev: Float64Array) => void): void => {
    const op = operands[i];
    if (op === undefined) {
      emit(ev);
      return;
    }
    for (const value of op[2](x, ev)) {
      ev[i + 2] = value;
      fill(x, ev, i + 1, emit);
    }
  };
  return {
    type,
    weight,
    operands: [subject, ...operands.map(([name, kind]) => [name, kind] as const)],
    enabled: count ? (x) => count(x) > 0 : (x) => subjects(x).length > 0,
    gate: subjects.gate,
    hostGate: subjects === hostCpus,
    decode(x, r, ev) {
      let n: number;
      if (nth !== undefined) {
        n = (count as (x: Executor) => number)(x);
        ev[1] = nth(x, r % n);
      } else {
        const s = subjects(x);
        n = s.length;
        ev[1] = s[r % n] as number;
      }
      let rest = Math.floor(r / n);
      for (let i = 0; i < operands.length; i++) {
        const d = (operands[i] as Operand)[2](x, ev);
        ev[i + 2] = d[rest % d.length] as number;
        rest = Math.floor(rest / d.length);
      }
    },
    accepts: (x, ev) =>
      subjects(x).includes(ev[1] as number) && operands.every(([, , values], i) => values(x, ev).includes(ev[i + 2] as number)),
    enumerate(x, emit) {
      for (const s of subjects(x)) {
        buffer.fill(0);
        buffer[1] = s;
        fill(x, buffer, 0, emit);
      }
    },
    apply,
  };
}
/** The CPUs running host code (where host debug users can act, interrupts enabled). */
export const hostCpus = counted(
  (x: Executor): number[] => {
    const out: number[] = [];
    for (let c = 0; c < x.world.cpuContext.length; c++) if (x.world.cpuContext[c] === CTX_HOST) out.push(c);
    return out;
  },
  (x) => x.hostCpuCount(),
  (x, k) => {
    for (let c = 0, n = 0; c < x.world.cpuContext.length; c++) if (x.world.cpuContext[c] === CTX_HOST && n++ === k) return c;
    return -1;
  },
) as ((x: Executor) => number[]) & Subjects;

/** The CPUs for which `test(x, c)` holds, in order, as subjects (list, count and k-th, none built twice). */
export function cpusWhere(test: (x: Executor, c: number) => boolean): Subjects {
  return counted(
    (x) => {
      const out: number[] = [];
      for (let c = 0; c < x.world.cpuContext.length; c++) if (test(x, c)) out.push(c);
      return out;
    },
    (x) => {
      let n = 0;
      for (let c = 0; c < x.world.cpuContext.length; c++) if (test(x, c)) n++;
      return n;
    },
    (x, k) => {
      for (let c = 0, n = 0; c < x.world.cpuContext.length; c++) if (test(x, c) && n++ === k) return c;
      return -1;
    },
  );
}

/**
 * The vCPUs whose lifecycle enables `machineEvent` now and for which `test(x, v)` holds: no gate, since
 * `test` reads more than the lifecycle (e.g. whether userspace debugs the vCPU), so decode asks `enabled`.
 */
export function vcpusWhere(machineEvent: string, test: (x: Executor, v: number) => boolean): Subjects {
  let e = -1;
  const ok = (x: Executor, v: number): boolean => x.can(v, e >= 0 ? e : (e = x.lifecycleEvent(machineEvent))) && test(x, v);
  return counted(
    (x) => {
      const out: number[] = [];
      for (let v = 0; v < x.world.vcpuState.length; v++) if (ok(x, v)) out.push(v);
      return out;
    },
    (x) => {
      let n = 0;
      for (let v = 0; v < x.world.vcpuState.length; v++) if (ok(x, v)) n++;
      return n;
    },
    (x, k) => {
      for (let v = 0, n = 0; v < x.world.vcpuState.length; v++) if (ok(x, v) && n++ === k) return v;
      return -1;
    },
  );
}

/** The vCPUs whose lifecycle enables `machineEvent` now (a subject domain for `operandEvent`). */
export function vcpusIn(machineEvent: string): Subjects {
  let e = -1;
  const id = (x: Executor): number => (e >= 0 ? e : (e = x.lifecycleEvent(machineEvent)));
  const subjects = counted(
    (x) => {
      const out: number[] = [];
      for (let v = 0; v < x.world.vcpuState.length; v++) if (x.can(v, id(x))) out.push(v);
      return out;
    },
    (x) => x.vcpusEnabling(id(x)),
    (x, k) => {
      for (let v = 0, n = 0; v < x.world.vcpuState.length; v++) if (x.can(v, id(x)) && n++ === k) return v;
      return -1;
    },
  );
  return Object.assign(subjects, { gate: machineEvent });
}

/**
 * A host debug user programs `reg` on its own CPU: hardware, host intent and the host's saved copy
 * (host memory area 0, e.g. current->thread.debug or the per-CPU hw_breakpoint state) change together.
 */
export function hostProgram(x: Executor, cpu: number, reg: number, value: number): void {
  const o = cpu * x.regs + reg;
  x.world.hw[o] = hwWriteResult(x.model.registers, reg, x.world.hw[o] as number, value >>> 0);
  x.setHostIntent(cpu, reg, x.world.hw[o] as number);
  const areas = x.model.memory.hostAreas.length;
  x.world.hostMem[cpu * areas * x.regs + reg] = value >>> 0;
}

/** The rw operand's values: 0 read, 1 write. */
const READ_WRITE: readonly number[] = [0, 1];

/** What guest code does in a model: the hardware evaluates its breakpoints and may take a debug exception. */
export type GuestRuns = (x: Executor, v: number, what: 'execute' | 'load' | 'store', addr: number) => void;

/** GUEST_EXECUTE {vcpu, addr} and GUEST_ACCESS {vcpu, addr, rw} over `addresses`, each run by `guestRuns`. */
export function guestCodeEvents(addresses: readonly number[], guestRuns: GuestRuns): EventKind[] {
  return [
    operandEvent('GUEST_EXECUTE', 2, ['vcpu', 'vcpu'], vcpusIn('GUEST_EXECUTE'), [['addr', 'value', () => addresses]], (x, ev) => {
      const v = ev[1] as number;
      x.fire(v, x.lifecycleEvent('GUEST_EXECUTE'));
      guestRuns(x, v, 'execute', ev[2] as number);
    }),
    operandEvent(
      'GUEST_ACCESS',
      1,
      ['vcpu', 'vcpu'],
      vcpusIn('GUEST_ACCESS'),
      [
        ['addr', 'value', () => addresses],
        ['rw', ['read', 'write'], () => READ_WRITE],
      ],
      (x, ev) => {
        const v = ev[1] as number;
        x.fire(v, x.lifecycleEvent('GUEST_ACCESS'));
        guestRuns(x, v, ev[3] === 1 ? 'store' : 'load', ev[2] as number);
      },
    ),
  ];
}
