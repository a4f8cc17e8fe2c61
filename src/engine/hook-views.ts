/**
 * What a hook sees as `k.vcpu` and `k.host`: views onto the world's typed arrays, laid out as the
 * model names the kernel's fields, with the policy's scratch words. Built once per executor.
 */
import { HOST_SCRATCH_WORDS, SCRATCH_WORDS } from './executor-types.js';
import type { ModelInstance } from './model.js';
import type { World } from './world.js';

/** vCPU `v`'s memory as its hooks see it (`k.vcpu`): each area a register-indexed array, each scalar a property. */
export function makeVcpuView(model: ModelInstance, w: World, v: number): unknown {
  const { memory } = model;
  const regs = model.registers.count;
  const view: Record<string, unknown> = { id: v };
  memory.vcpuAreas.forEach((name, a) => {
    const base = (v * memory.vcpuAreas.length + a) * regs;
    view[name] = w.vcpuMem.subarray(base, base + regs);
  });
  const words = memory.vcpuScalars.length + SCRATCH_WORDS;
  memory.vcpuScalars.forEach((name, s) => {
    const i = v * words + s;
    Object.defineProperty(view, name, {
      get: () => w.vcpuScalar[i],
      set: (value: number) => {
        w.vcpuScalar[i] = value;
      },
      enumerable: true,
    });
  });
  const base = v * words + memory.vcpuScalars.length;
  view.scratch = w.vcpuScalar.subarray(base, base + SCRATCH_WORDS);
  return Object.seal(view);
}

/** CPU `cpu`'s per-CPU host data as its hooks see it (`k.host`); reading `cpu` calls `onCpuRead` (CPU symmetry must know). */
export function makeHostView(model: ModelInstance, w: World, cpu: number, onCpuRead: () => void): unknown {
  const { memory } = model;
  const regs = model.registers.count;
  const view: Record<string, unknown> = {};
  Object.defineProperty(view, 'cpu', {
    get: () => {
      onCpuRead();
      return cpu;
    },
    enumerable: true,
  });
  memory.hostAreas.forEach((name, a) => {
    const base = (cpu * memory.hostAreas.length + a) * regs;
    view[name] = w.hostMem.subarray(base, base + regs);
  });
  const scalars = memory.hostScalars ?? [];
  const words = scalars.length + HOST_SCRATCH_WORDS;
  scalars.forEach((name, s) => {
    const i = cpu * words + s;
    Object.defineProperty(view, name, {
      get: () => w.hostScalar[i],
      set: (value: number) => {
        w.hostScalar[i] = value;
      },
      enumerable: true,
    });
  });
  const base = cpu * words + scalars.length;
  view.scratch = w.hostScalar.subarray(base, base + HOST_SCRATCH_WORDS);
  return Object.freeze(view);
}
