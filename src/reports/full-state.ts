import type { Executor } from '../engine/execute.js';
import { fieldsOf, hexWithFields } from '../engine/register-fields.js';
import { CONTEXT_NAMES, type World } from '../engine/world.js';

/** One group of the full state: a title and its `name value` lines. */
export interface StateGroup {
  readonly title: string;
  readonly lines: readonly string[];
}

/**
 * The debug state at the failing point, as TLC's trace explorer and `spin -t -p` show a state:
 * every implemented register of every CPU; the vCPUs' memory copies, the host's save areas and
 * the intents where they differ from reset (the rest are at their reset values); every scalar.
 */
export function fullState(x: Executor, w: World): StateGroup[] {
  const { registers, memory, lifecycle, fields } = x.model;
  const R = registers.count;
  const val = (name: string, value: number): string => `${name} ${hexWithFields(fieldsOf(fields, name), value)}`;
  const regs = (arr: Float64Array, base: number, all: boolean): string[] => {
    const out: string[] = [];
    for (let r = 0; r < R; r++) {
      if (registers.implemented[r] !== 1) continue;
      const value = arr[base + r] as number;
      if (all || value !== registers.reset[r]) out.push(val(registers.names[r] ?? '?', value));
    }
    return out;
  };
  const groups: StateGroup[] = [];
  const { cpus, vcpus } = w.shape;
  for (let c = 0; c < cpus; c++) {
    const running = w.running[c] as number;
    groups.push({
      title: `cpu${c} hardware (${CONTEXT_NAMES[w.cpuContext[c] as number] ?? '?'}${running >= 0 ? `, vcpu${running} loaded` : ''})`,
      lines: regs(w.hw, c * R, true),
    });
  }
  const words = w.vcpuScalar.length / vcpus;
  for (let v = 0; v < vcpus; v++) {
    const on = w.loadedOn[v] as number;
    const scalars = memory.vcpuScalars.map((name, s) => val(name, w.vcpuScalar[v * words + s] as number));
    groups.push({ title: `vcpu${v} (${lifecycle.states[w.vcpuState[v] as number]}${on >= 0 ? ` on cpu${on}` : ''})`, lines: scalars });
    memory.vcpuAreas.forEach((area, i) => {
      groups.push({
        title: `vcpu${v}.${area} (registers not listed are at reset)`,
        lines: regs(w.vcpuMem, (v * memory.vcpuAreas.length + i) * R, false),
      });
    });
  }
  const hostScalars = memory.hostScalars ?? [];
  for (let c = 0; c < cpus; c++) {
    memory.hostAreas.forEach((area, i) => {
      groups.push({
        title: `host${c}.${area} (registers not listed are at reset)`,
        lines: regs(w.hostMem, (c * memory.hostAreas.length + i) * R, false),
      });
    });
    if (hostScalars.length)
      groups.push({
        title: `host${c}`,
        lines: hostScalars.map((name, s) => val(name, w.hostScalar[c * hostScalars.length + s] as number)),
      });
    groups.push({ title: `hostIntent[cpu${c}] (registers not listed are at reset)`, lines: regs(w.hostIntent, c * R, false) });
  }
  for (let v = 0; v < vcpus; v++)
    groups.push({ title: `guestIntent[vcpu${v}] (registers not listed are at reset)`, lines: regs(w.guestIntent, v * R, false) });
  const ghost = x.model.ghost;
  if (ghost) {
    for (let c = 0; c < cpus; c++) {
      if (ghost.cpu.length)
        groups.push({ title: `ghost.cpu${c}`, lines: ghost.cpu.map((n, k) => val(n, w.cpuGhost[c * ghost.cpu.length + k] as number)) });
    }
    for (let v = 0; v < vcpus; v++) {
      if (ghost.vcpu.length)
        groups.push({ title: `ghost.vcpu${v}`, lines: ghost.vcpu.map((n, k) => val(n, w.vcpuGhost[v * ghost.vcpu.length + k] as number)) });
    }
  }
  return groups;
}

/** The text form of `fullState`. */
export function renderFullState(groups: readonly StateGroup[], where: string): string[] {
  const out = [`Full state ${where}:`];
  for (const g of groups) {
    out.push(`  ${g.title}:${g.lines.length ? '' : ' (none)'}`);
    for (const l of g.lines) out.push(`    ${l}`);
  }
  return out;
}
