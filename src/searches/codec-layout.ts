import type { ModelInstance } from '../engine/model.js';
import { World } from '../engine/world.js';

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
export abstract class CodecLayout {
  /** Words per packed world. */
  readonly width: number;
  /** CPU orders: `perms[p][i]` is the CPU that becomes CPU i. perms[0] is the identity. */
  readonly perms: readonly Int8Array[];
  protected readonly shape: World['shape'];
  protected readonly inverse: Int8Array[];
  private readonly sortBuffer: number[];
  /** Packed words that come from `World.words` (the rest, after them, come from `World.bytes`). */
  protected readonly wordCount: number;
  /** Per CPU order: for each packed position, its index in `World.words` (or `World.bytes`). */
  protected readonly sources: Int32Array[];
  /** Per CPU order: for each packed word position in world numbering, its position in that order (Float64 words only). */
  protected readonly places: Int32Array[];
  /** 1 at the packed positions that hold a CPU number (the CPU a vCPU is loaded on). */
  protected readonly cpuValued: Uint8Array;
  /** Per packed position: the CPU whose record it belongs to, or -1 for a shared word. */
  protected readonly owner: Int8Array;
  /** Per packed position: the key its value is hashed under (shared: the position; per-CPU: width + place in the record). */
  protected readonly key: Int32Array;
  /** Per CPU: its record's words in `World.words` in comparison order (hardware, host intent, host memory). */
  private readonly recordWords: Int32Array[];
  /** Per CPU: its ghost and host scalar words in `World.words`, compared after the context and running vCPU. */
  private readonly recordTail: Int32Array[];
  /** Packed word positions some event has changed (in discovery order), and a flag per position. */
  protected readonly varying: Int32Array;
  protected varyingCount = 0;
  protected readonly isVarying: Uint8Array;
  private symmetricRoot: Float64Array | undefined;
  private symmetric: boolean[] = [];

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
    const probe = new World(shape);
    const layouts = this.perms.map((order) => packedLayout(probe, ids, order));
    const identity = layouts[0] as PackedWord[];
    this.width = identity.length;
    this.wordCount = identity.filter((w) => !w.byte).length;
    this.sources = layouts.map((l) => Int32Array.from(l, (w) => w.index));
    this.cpuValued = Uint8Array.from(identity, (w) => (w.cpuValued ? 1 : 0));
    this.owner = Int8Array.from(identity, (w) => w.cpu);
    const places = new Map<number, number>();
    this.key = Int32Array.from(identity, (w, p) => {
      if (w.cpu < 0) return p;
      const place = places.get(w.cpu) ?? 0;
      places.set(w.cpu, place + 1);
      return this.width + place;
    });
    const { cpus, hostAreas } = shape;
    const R = shape.regs;
    const offset = (field: Float64Array): number => field.byteOffset / 8;
    this.recordWords = Array.from({ length: cpus }, (_, c) => {
      const out: number[] = [];
      for (const id of ids) out.push(offset(probe.hw) + c * R + id);
      for (const id of ids) out.push(offset(probe.hostIntent) + c * R + id);
      for (let a = 0; a < hostAreas; a++) for (const id of ids) out.push(offset(probe.hostMem) + (c * hostAreas + a) * R + id);
      return Int32Array.from(out);
    });
    const g = shape.cpuGhost ?? 0;
    const hs = shape.hostScalars ?? 0;
    this.recordTail = Array.from({ length: cpus }, (_, c) => {
      const out: number[] = [];
      for (let k = 0; k < g; k++) out.push(offset(probe.cpuGhost) + c * g + k);
      for (let k = 0; k < hs; k++) out.push(offset(probe.hostScalar) + c * hs + k);
      return Int32Array.from(out);
    });
    this.places = this.sources.map((src) => {
      const placeOf = new Map<number, number>();
      for (let p = 0; p < this.wordCount; p++) placeOf.set(src[p] as number, p);
      return Int32Array.from((this.sources[0] as Int32Array).subarray(0, this.wordCount), (index) => placeOf.get(index) as number);
    });
    this.varying = new Int32Array(this.wordCount);
    this.isVarying = new Uint8Array(this.wordCount);
  }

  /** The 64-bit fingerprint of the packed world at `offset` of `data`, into `out` (WorldCodec). */
  abstract fingerprint(data: Float64Array, offset: number, out: Uint32Array): void;

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

  /** The number world CPU `cpu` has in CPU order `perm`. */
  canonicalCpu(perm: number, cpu: number): number {
    return (this.inverse[perm] as Int8Array)[cpu] as number;
  }

  /**
   * Writes `w`, with its CPUs in order `perm`, into `out` at `offset`, and its 64-bit fingerprint
   * (`fingerprint`) into `fp` (two 32-bit halves).
   */
  encode(w: World, out: Float64Array, offset: number, perm = 0, fp?: Uint32Array): void {
    const src = this.sources[perm] as Int32Array;
    const words = w.words;
    const bytes = w.bytes;
    const F = this.wordCount;
    const W = this.width;
    for (let p = 0; p < F; p++) out[offset + p] = words[src[p] as number] as number;
    const inverse = this.inverse[perm] as Int8Array;
    for (let p = F; p < W; p++) {
      const v = bytes[src[p] as number] as number;
      out[offset + p] = this.cpuValued[p] === 1 && v >= 0 ? (inverse[v] as number) : v;
    }
    if (fp) this.fingerprint(out, offset, fp);
  }

  /**
   * Appends to `out` at `o` the packed words of `w` (CPUs in order `perm`) that differ from the
   * packed world `root`, as position/value pairs; returns the offset after them. `w` must be a
   * state `successor` fingerprinted: by induction over the search, such a state differs from the
   * root only in words `successor` has seen change (in any CPU's copy, as `addVarying` keeps
   * them), so only those are looked at, unless `root` itself changes under the CPU order `perm`.
   */
  encodeDifferences(w: World, perm: number, root: Float64Array, out: Float64Array, o: number): number {
    const words = w.words;
    const F = this.wordCount;
    let at = o;
    if (this.rootSymmetric(root, perm)) {
      const src = this.sources[0] as Int32Array;
      const place = this.places[perm] as Int32Array;
      const varying = this.varying;
      for (let k = 0; k < this.varyingCount; k++) {
        const q = varying[k] as number;
        const p = place[q] as number;
        const v = words[src[q] as number] as number;
        if (v !== root[p]) {
          out[at++] = p;
          out[at++] = v;
        }
      }
    } else {
      const src = this.sources[perm] as Int32Array;
      for (let p = 0; p < F; p++) {
        const v = words[src[p] as number] as number;
        if (v !== root[p]) {
          out[at++] = p;
          out[at++] = v;
        }
      }
    }
    const src = this.sources[perm] as Int32Array;
    const inverse = this.inverse[perm] as Int8Array;
    const bytes = w.bytes;
    for (let p = F; p < this.width; p++) {
      let v = bytes[src[p] as number] as number;
      if (this.cpuValued[p] === 1 && v >= 0) v = inverse[v] as number;
      if (v !== root[p]) {
        out[at++] = p;
        out[at++] = v;
      }
    }
    return at;
  }

  /** Whether packing `root`'s world with CPUs in order `perm` gives `root` again (its CPUs start alike). */
  private rootSymmetric(root: Float64Array, perm: number): boolean {
    if (this.symmetricRoot !== root) {
      this.symmetricRoot = root;
      this.symmetric = this.perms.map((_, q) => {
        const place = this.places[q] as Int32Array;
        for (let p = 0; p < this.wordCount; p++) if (root[place[p] as number] !== root[p]) return false;
        return true;
      });
    }
    return this.symmetric[perm] === true;
  }

  /** Restores `w` from `src` at `offset` (registers the codec does not pack keep their values). */
  decode(src: Float64Array, offset: number, w: World): void {
    const at = this.sources[0] as Int32Array;
    const words = w.words;
    const bytes = w.bytes;
    const F = this.wordCount;
    for (let p = 0; p < F; p++) words[at[p] as number] = src[offset + p] as number;
    for (let p = F; p < this.width; p++) bytes[at[p] as number] = src[offset + p] as number;
  }

  /**
   * Counts packed position `p` among the words that vary: a state another thread's codec stored
   * (the parallel search) may differ from the root in words this codec never saw change, which
   * `encodeDifferences` must still look at.
   */
  noteVarying(p: number): void {
    if (p < this.wordCount && this.isVarying[p] === 0) this.addVarying(p);
  }

  /**
   * Adds packed position `p` to `varying`, with the same word of every other CPU: a state stored
   * in another CPU order differs from the root there (see `encodeDifferences`).
   */
  protected addVarying(p: number): void {
    for (const place of this.places) {
      const q = place[p] as number;
      if (this.isVarying[q] === 1) continue;
      this.isVarying[q] = 1;
      this.varying[this.varyingCount++] = q;
    }
  }

  /** Compares the per-CPU records of CPUs `p` and `q` of `w` (negative, zero, positive). */
  private compareCpus(w: World, p: number, q: number): number {
    const words = w.words;
    const a = this.recordWords[p] as Int32Array;
    const b = this.recordWords[q] as Int32Array;
    for (let k = 0; k < a.length; k++) {
      const x = words[a[k] as number] as number;
      const y = words[b[k] as number] as number;
      if (x !== y) return x < y ? -1 : 1;
    }
    const ctx = (w.cpuContext[p] as number) - (w.cpuContext[q] as number);
    if (ctx !== 0) return ctx;
    const running = (w.running[p] as number) - (w.running[q] as number);
    if (running !== 0) return running;
    const ta = this.recordTail[p] as Int32Array;
    const tb = this.recordTail[q] as Int32Array;
    for (let k = 0; k < ta.length; k++) {
      const d = (words[ta[k] as number] as number) - (words[tb[k] as number] as number);
      if (d !== 0) return d;
    }
    return 0;
  }
}

/** One packed word: where it comes from in a world, and whose it is. */
interface PackedWord {
  /** From `World.bytes` (else `World.words`). */
  readonly byte: boolean;
  readonly index: number;
  /** The CPU whose record it belongs to in the world's numbering, or -1. */
  readonly cpu: number;
  /** It holds a CPU number (mapped through the CPU order when packed). */
  readonly cpuValued: boolean;
}

/**
 * The packed layout with CPUs in `order` (`order[i]` is the CPU that becomes CPU i): the
 * implemented registers `ids` of every register-indexed area, then the scalars and ghosts, then
 * the small integer fields. Host memory is CPU-major (area a of CPU c is file c * hostAreas + a).
 */
function packedLayout(w: World, ids: readonly number[], order: Int8Array): PackedWord[] {
  const out: PackedWord[] = [];
  const R = w.shape.regs;
  const { vcpus, vcpuAreas, hostAreas } = w.shape;
  const at = (field: Float64Array): number => field.byteOffset / 8;
  const word = (index: number, cpu: number): void => {
    out.push({ byte: false, index, cpu, cpuValued: false });
  };
  for (const c of order) for (const id of ids) word(at(w.hw) + c * R + id, c);
  for (const c of order) for (const id of ids) word(at(w.hostIntent) + c * R + id, c);
  for (let f = 0; f < vcpus * vcpuAreas; f++) for (const id of ids) word(at(w.vcpuMem) + f * R + id, -1);
  for (let v = 0; v < vcpus; v++) for (const id of ids) word(at(w.guestIntent) + v * R + id, -1);
  for (const c of order) for (let a = 0; a < hostAreas; a++) for (const id of ids) word(at(w.hostMem) + (c * hostAreas + a) * R + id, c);
  for (let i = 0; i < w.vcpuScalar.length; i++) word(at(w.vcpuScalar) + i, -1);
  const g = w.shape.cpuGhost ?? 0;
  for (const c of order) for (let k = 0; k < g; k++) word(at(w.cpuGhost) + c * g + k, c);
  for (let i = 0; i < w.vcpuGhost.length; i++) word(at(w.vcpuGhost) + i, -1);
  const hs = w.shape.hostScalars ?? 0;
  for (const c of order) for (let k = 0; k < hs; k++) word(at(w.hostScalar) + c * hs + k, c);
  const b = (field: Int8Array | Uint8Array): number => field.byteOffset;
  for (const c of order) {
    out.push({ byte: true, index: b(w.cpuContext) + c, cpu: c, cpuValued: false });
    out.push({ byte: true, index: b(w.running) + c, cpu: c, cpuValued: false });
  }
  for (let v = 0; v < vcpus; v++) {
    out.push({ byte: true, index: b(w.vcpuState) + v, cpu: -1, cpuValued: false });
    out.push({ byte: true, index: b(w.loadedOn) + v, cpu: -1, cpuValued: true });
  }
  return out;
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
