import type { ModelInstance } from './model.js';
import type { World } from './world.js';

/**
 * Packs the parts of a world that can differ between states into one Float64 vector and back:
 * implemented registers only, every area, contexts and lifecycle states. The step stamps of the
 * intents are not packed: two paths to the same state are the same state.
 */
export class WorldCodec {
  /** Words per packed world. */
  readonly width: number;
  private readonly regIds: Int32Array;

  constructor(model: ModelInstance, shape: World['shape']) {
    const ids: number[] = [];
    for (let r = 0; r < model.registers.count; r++) if (model.registers.implemented[r] === 1) ids.push(r);
    this.regIds = Int32Array.from(ids);
    const n = ids.length;
    const files = shape.cpus * 2 + shape.vcpus * (shape.vcpuAreas + 1) + shape.cpus * shape.hostAreas;
    this.width = files * n + shape.cpus * 2 + shape.vcpus * 2 + shape.vcpus * shape.vcpuScalars;
  }

  /** Writes `w` into `out` at `offset`. */
  encode(w: World, out: Float64Array, offset: number): void {
    let o = offset;
    const ids = this.regIds;
    const R = w.shape.regs;
    const files = (a: Float64Array, count: number): void => {
      for (let f = 0; f < count; f++) for (let i = 0; i < ids.length; i++) out[o++] = a[f * R + (ids[i] as number)] as number;
    };
    files(w.hw, w.shape.cpus);
    files(w.hostIntent, w.shape.cpus);
    files(w.vcpuMem, w.shape.vcpus * w.shape.vcpuAreas);
    files(w.guestIntent, w.shape.vcpus);
    files(w.hostMem, w.shape.cpus * w.shape.hostAreas);
    for (let c = 0; c < w.shape.cpus; c++) {
      out[o++] = w.cpuContext[c] as number;
      out[o++] = w.running[c] as number;
    }
    for (let v = 0; v < w.shape.vcpus; v++) {
      out[o++] = w.vcpuState[v] as number;
      out[o++] = w.loadedOn[v] as number;
    }
    for (let i = 0; i < w.vcpuScalar.length; i++) out[o++] = w.vcpuScalar[i] as number;
  }

  /** Restores `w` from `src` at `offset` (registers the codec does not pack keep their values). */
  decode(src: Float64Array, offset: number, w: World): void {
    let o = offset;
    const ids = this.regIds;
    const R = w.shape.regs;
    const files = (a: Float64Array, count: number): void => {
      for (let f = 0; f < count; f++) for (let i = 0; i < ids.length; i++) a[f * R + (ids[i] as number)] = src[o++] as number;
    };
    files(w.hw, w.shape.cpus);
    files(w.hostIntent, w.shape.cpus);
    files(w.vcpuMem, w.shape.vcpus * w.shape.vcpuAreas);
    files(w.guestIntent, w.shape.vcpus);
    files(w.hostMem, w.shape.cpus * w.shape.hostAreas);
    for (let c = 0; c < w.shape.cpus; c++) {
      w.cpuContext[c] = src[o++] as number;
      w.running[c] = src[o++] as number;
    }
    for (let v = 0; v < w.shape.vcpus; v++) {
      w.vcpuState[v] = src[o++] as number;
      w.loadedOn[v] = src[o++] as number;
    }
    for (let i = 0; i < w.vcpuScalar.length; i++) w.vcpuScalar[i] = src[o++] as number;
  }
}
