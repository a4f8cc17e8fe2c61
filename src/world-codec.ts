import type { ModelInstance } from './model.js';
import type { World } from './world.js';

/**
 * Packs the parts of a world that can differ between states into one Float64 vector and back
 * (implemented registers only, every area, contexts and lifecycle states), fingerprints a world,
 * and puts CPUs in a canonical order for symmetry reduction. The intents' step stamps are not
 * packed: two paths to the same state are the same state.
 *
 * Symmetry: CPUs are sorted by their per-CPU record (hardware, host intent, host memory, context,
 * running vCPU, ghost words). The record includes the running vCPU, so two CPUs tie only when swapping them
 * changes nothing; the sorted order is therefore a function of the state's orbit. Sound when CPUs
 * are identical and the policy keeps no CPU numbers in its own state.
 */
export class WorldCodec {
  /** Words per packed world. */
  readonly width: number;
  /** CPU orders: `perms[p][i]` is the CPU that becomes CPU i. perms[0] is the identity. */
  readonly perms: readonly Int8Array[];
  private readonly ids: Int32Array;
  private readonly shape: World['shape'];
  private readonly inverse: Int8Array[];
  private readonly sortBuffer: number[];
  private readonly cpuGhost: number;
  private readonly hostScalars: number;

  constructor(model: ModelInstance, shape: World['shape']) {
    this.shape = shape;
    this.perms = permutations(shape.cpus);
    this.inverse = this.perms.map((p) => {
      const inv = new Int8Array(p.length);
      p.forEach((old, i) => {
        inv[old] = i;
      });
      return inv;
    });
    this.sortBuffer = Array.from({ length: shape.cpus }, (_, i) => i);
    const ids: number[] = [];
    for (let r = 0; r < model.registers.count; r++) if (model.registers.implemented[r] === 1) ids.push(r);
    this.ids = Int32Array.from(ids);
    const n = ids.length;
    const files = shape.cpus * 2 + shape.vcpus * (shape.vcpuAreas + 1) + shape.cpus * shape.hostAreas;
    this.cpuGhost = shape.cpuGhost ?? 0;
    this.hostScalars = shape.hostScalars ?? 0;
    this.width =
      files * n +
      shape.cpus * 2 +
      shape.vcpus * 2 +
      shape.vcpus * shape.vcpuScalars +
      shape.cpus * this.cpuGhost +
      shape.cpus * this.hostScalars +
      shape.vcpus * (shape.vcpuGhost ?? 0);
  }

  /** Index into `perms` of the canonical CPU order of `w` (0 without symmetry or with one CPU). */
  order(w: World): number {
    const cpus = this.shape.cpus;
    if (cpus < 2) return 0;
    if (cpus === 2) return this.compareCpus(w, 0, 1) > 0 ? 1 : 0;
    const b = this.sortBuffer;
    for (let i = 0; i < cpus; i++) b[i] = i;
    b.sort((p, q) => this.compareCpus(w, p, q) || p - q);
    return this.perms.findIndex((p) => p.every((c, i) => c === b[i]));
  }

  /**
   * Writes `w`, with its CPUs in order `perm`, into `out` at `offset`, and its 64-bit fingerprint
   * into `fp` (two 32-bit halves) in the same pass.
   */
  encode(w: World, out: Float64Array, offset: number, perm = 0, fp?: Uint32Array): void {
    let o = offset;
    const ids = this.ids;
    const n = ids.length;
    const R = w.shape.regs;
    const { cpus, vcpus, vcpuAreas, hostAreas } = w.shape;
    const order = this.perms[perm] as Int8Array;
    const inverse = this.inverse[perm] as Int8Array;
    o = gather(w.hw, order, R, ids, out, o);
    o = gather(w.hostIntent, order, R, ids, out, o);
    o = gather(w.vcpuMem, this.identity(vcpus * vcpuAreas), R, ids, out, o);
    o = gather(w.guestIntent, this.identity(vcpus), R, ids, out, o);
    for (let i = 0; i < cpus; i++) {
      // hostMem is cpu-major: area a of CPU c is file c * hostAreas + a (decode reads it in this order).
      for (let a = 0; a < hostAreas; a++) {
        const base = ((order[i] as number) * hostAreas + a) * R;
        for (let k = 0; k < n; k++) out[o++] = w.hostMem[base + (ids[k] as number)] as number;
      }
    }
    for (let i = 0; i < cpus; i++) {
      out[o++] = w.cpuContext[order[i] as number] as number;
      out[o++] = w.running[order[i] as number] as number;
    }
    for (let v = 0; v < vcpus; v++) {
      out[o++] = w.vcpuState[v] as number;
      const on = w.loadedOn[v] as number;
      out[o++] = on >= 0 ? (inverse[on] as number) : on;
    }
    for (let i = 0; i < w.vcpuScalar.length; i++) out[o++] = w.vcpuScalar[i] as number;
    const g = this.cpuGhost;
    for (let i = 0; i < cpus; i++) for (let k = 0; k < g; k++) out[o++] = w.cpuGhost[(order[i] as number) * g + k] as number;
    for (let i = 0; i < w.vcpuGhost.length; i++) out[o++] = w.vcpuGhost[i] as number;
    const hs = this.hostScalars;
    for (let i = 0; i < cpus; i++) for (let k = 0; k < hs; k++) out[o++] = w.hostScalar[(order[i] as number) * hs + k] as number;
    if (fp) fingerprintWords(out, offset, o - offset, fp);
  }

  private readonly identities = new Map<number, Int8Array>();
  private identity(n: number): Int8Array {
    let id = this.identities.get(n);
    if (!id) {
      id = Int8Array.from({ length: n }, (_, i) => i);
      this.identities.set(n, id);
    }
    return id;
  }

  /** Restores `w` from `src` at `offset` (registers the codec does not pack keep their values). */
  decode(src: Float64Array, offset: number, w: World): void {
    let o = offset;
    const ids = this.ids;
    const n = ids.length;
    const R = w.shape.regs;
    const { cpus, vcpus, vcpuAreas, hostAreas } = w.shape;
    for (let f = 0; f < cpus; f++) for (let k = 0; k < n; k++) w.hw[f * R + (ids[k] as number)] = src[o++] as number;
    for (let f = 0; f < cpus; f++) for (let k = 0; k < n; k++) w.hostIntent[f * R + (ids[k] as number)] = src[o++] as number;
    for (let f = 0; f < vcpus * vcpuAreas; f++) for (let k = 0; k < n; k++) w.vcpuMem[f * R + (ids[k] as number)] = src[o++] as number;
    for (let f = 0; f < vcpus; f++) for (let k = 0; k < n; k++) w.guestIntent[f * R + (ids[k] as number)] = src[o++] as number;
    for (let f = 0; f < cpus * hostAreas; f++) for (let k = 0; k < n; k++) w.hostMem[f * R + (ids[k] as number)] = src[o++] as number;
    for (let c = 0; c < cpus; c++) {
      w.cpuContext[c] = src[o++] as number;
      w.running[c] = src[o++] as number;
    }
    for (let v = 0; v < vcpus; v++) {
      w.vcpuState[v] = src[o++] as number;
      w.loadedOn[v] = src[o++] as number;
    }
    for (let i = 0; i < w.vcpuScalar.length; i++) w.vcpuScalar[i] = src[o++] as number;
    for (let i = 0; i < w.cpuGhost.length; i++) w.cpuGhost[i] = src[o++] as number;
    for (let i = 0; i < w.vcpuGhost.length; i++) w.vcpuGhost[i] = src[o++] as number;
    for (let i = 0; i < w.hostScalar.length; i++) w.hostScalar[i] = src[o++] as number;
  }

  /** Compares the per-CPU records of CPUs `p` and `q` of `w` (negative, zero, positive). */
  private compareCpus(w: World, p: number, q: number): number {
    const ids = this.ids;
    const R = w.shape.regs;
    const cmp = (a: Float64Array, pb: number, qb: number): number => {
      for (let k = 0; k < ids.length; k++) {
        const x = a[pb + (ids[k] as number)] as number;
        const y = a[qb + (ids[k] as number)] as number;
        if (x !== y) return x < y ? -1 : 1;
      }
      return 0;
    };
    const hostAreas = w.shape.hostAreas;
    const g = this.cpuGhost;
    let ghost = 0;
    for (let k = 0; k < g && ghost === 0; k++) ghost = (w.cpuGhost[p * g + k] as number) - (w.cpuGhost[q * g + k] as number);
    const hs = this.hostScalars;
    for (let k = 0; k < hs && ghost === 0; k++) ghost = (w.hostScalar[p * hs + k] as number) - (w.hostScalar[q * hs + k] as number);
    return (
      cmp(w.hw, p * R, q * R) ||
      cmp(w.hostIntent, p * R, q * R) ||
      cmp(w.hostMem, p * hostAreas * R, q * hostAreas * R) ||
      (w.cpuContext[p] as number) - (w.cpuContext[q] as number) ||
      (w.running[p] as number) - (w.running[q] as number) ||
      ghost
    );
  }
}

/** Every permutation of 0..n-1, identity first. */
function permutations(n: number): Int8Array[] {
  const out: Int8Array[] = [];
  const walk = (prefix: number[]): void => {
    if (prefix.length === n) out.push(Int8Array.from(prefix));
    else for (let i = 0; i < n; i++) if (!prefix.includes(i)) walk([...prefix, i]);
  };
  walk([]);
  return out;
}

/**
 * 64-bit fingerprint (two 32-bit lanes) of `words` Float64 values at `offset`. Register values are
 * integers, nearly always int32: each is mixed once as `v | 0`, and both 32-bit halves only when
 * it is not an int32. Every intermediate stays an int32, so V8 keeps it in integer registers.
 */
export function fingerprintWords(data: Float64Array, offset: number, words: number, out: Uint32Array): void {
  let h1 = 0x811c9dc5 | 0;
  let h2 = 0x27d4eb2f | 0;
  const end = offset + words;
  for (let i = offset; i < end; i++) {
    const v = data[i] as number;
    let k = v | 0;
    if (k !== v) k = (k ^ Math.imul((v / 4294967296) | 0, 0x9e3779b1) ^ 0x7fc00001) | 0;
    h1 = Math.imul(h1 ^ k, 0x01000193);
    h2 = (Math.imul(h2 ^ k, 0x5bd1e995) + i) | 0;
    h2 ^= h2 >>> 15;
  }
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h1 = Math.imul(h1, 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  h2 ^= h2 >>> 13;
  h2 = Math.imul(h2, 0x2c1b3c6d);
  h2 ^= h2 >>> 12;
  out[0] = h1 >>> 0;
  out[1] = h2 >>> 0;
}

/** Copies the implemented registers `ids` of files `order[0..]` of `from` (R words each) into `out` at `o`. */
function gather(from: Float64Array, order: Int8Array, R: number, ids: Int32Array, out: Float64Array, o: number): number {
  const n = ids.length;
  for (let i = 0; i < order.length; i++) {
    const base = (order[i] as number) * R;
    for (let k = 0; k < n; k++) out[o++] = from[base + (ids[k] as number)] as number;
  }
  return o;
}
