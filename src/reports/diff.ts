import type { Executor } from '../engine/execute.js';
import { fieldsOf, hexWithFields } from '../engine/register-fields.js';
import { CONTEXT_NAMES, type World } from '../engine/world.js';

/** One changed variable between two states, named as the report prints it, values in hex with their fields decoded. */
export interface Change {
  readonly name: string;
  readonly from: string;
  readonly to: string;
}

/** The variables that differ between worlds `a` and `b` (implemented registers only), in a stable order. */
export function diffWorlds(x: Executor, a: World, b: World): Change[] {
  const { registers, memory, lifecycle, fields } = x.model;
  const hex = (name: string, value: number): string => hexWithFields(fieldsOf(fields, name), value);
  const R = registers.count;
  const out: Change[] = [];
  const regs = (label: string, av: Float64Array, bv: Float64Array, base: number): void => {
    for (let r = 0; r < R; r++) {
      if (registers.implemented[r] !== 1) continue;
      const p = av[base + r] as number;
      const q = bv[base + r] as number;
      if (p === q) continue;
      const name = `${label}.${registers.names[r]}`;
      out.push({ name, from: hex(name, p), to: hex(name, q) });
    }
  };
  const { cpus, vcpus } = a.shape;
  for (let c = 0; c < cpus; c++) {
    if (a.cpuContext[c] !== b.cpuContext[c]) {
      out.push({
        name: `cpu${c}.context`,
        from: CONTEXT_NAMES[a.cpuContext[c] as number] ?? '?',
        to: CONTEXT_NAMES[b.cpuContext[c] as number] ?? '?',
      });
    }
    regs(`cpu${c}`, a.hw, b.hw, c * R);
  }
  const scalars = memory.vcpuScalars.length;
  const words = a.vcpuScalar.length / vcpus;
  for (let v = 0; v < vcpus; v++) {
    if (a.vcpuState[v] !== b.vcpuState[v] || a.loadedOn[v] !== b.loadedOn[v]) {
      const where = (w: World): string =>
        `${lifecycle.states[w.vcpuState[v] as number]}${(w.loadedOn[v] as number) >= 0 ? ` on cpu${w.loadedOn[v]}` : ''}`;
      out.push({ name: `vcpu${v}`, from: where(a), to: where(b) });
    }
    memory.vcpuAreas.forEach((area, i) => {
      regs(`vcpu${v}.${area}`, a.vcpuMem, b.vcpuMem, (v * memory.vcpuAreas.length + i) * R);
    });
    for (let s = 0; s < words; s++) {
      const p = a.vcpuScalar[v * words + s] as number;
      const q = b.vcpuScalar[v * words + s] as number;
      const name = s < scalars ? memory.vcpuScalars[s] : `scratch[${s - scalars}]`;
      if (p !== q) out.push({ name: `vcpu${v}.${name}`, from: hex(`${name}`, p), to: hex(`${name}`, q) });
    }
  }
  const hostScalars = memory.hostScalars ?? [];
  const hostWords = a.hostScalar.length / cpus;
  for (let c = 0; c < cpus; c++) {
    memory.hostAreas.forEach((area, i) => {
      regs(`host${c}.${area}`, a.hostMem, b.hostMem, (c * memory.hostAreas.length + i) * R);
    });
    for (let s = 0; s < hostWords; s++) {
      const i = c * hostWords + s;
      const name = s < hostScalars.length ? (hostScalars[s] as string) : `scratch[${s - hostScalars.length}]`;
      if (a.hostScalar[i] !== b.hostScalar[i])
        out.push({ name: `host${c}.${name}`, from: hex(name, a.hostScalar[i] as number), to: hex(name, b.hostScalar[i] as number) });
    }
  }
  for (let c = 0; c < cpus; c++) regs(`hostIntent[cpu${c}]`, a.hostIntent, b.hostIntent, c * R);
  for (let v = 0; v < vcpus; v++) regs(`guestIntent[vcpu${v}]`, a.guestIntent, b.guestIntent, v * R);
  const ghost = (label: string, names: readonly string[], av: Float64Array, bv: Float64Array, n: number): void => {
    for (let i = 0; i < n; i++) {
      names.forEach((name, k) => {
        const p = av[i * names.length + k] as number;
        const q = bv[i * names.length + k] as number;
        if (p !== q) out.push({ name: `ghost.${label}${i}.${name}`, from: hex(name, p), to: hex(name, q) });
      });
    }
  };
  if (x.model.ghost) {
    ghost('cpu', x.model.ghost.cpu, a.cpuGhost, b.cpuGhost, cpus);
    ghost('vcpu', x.model.ghost.vcpu, a.vcpuGhost, b.vcpuGhost, vcpus);
  }
  return out;
}
