import { Buffer } from 'node:buffer';
import type { Executor } from '../engine/execute.js';
import type { World } from '../engine/world.js';
import type { WorldCodec } from './world-codec.js';

/**
 * Footprints for partial-order reduction (`explore --por`, see sleep-sets.ts). The world is split
 * into owners: CPU c owns its hardware registers, host memory and scalars, host intent, ghost
 * words, context and running vCPU; vCPU v owns its memory and scalars, guest intent, ghost words,
 * lifecycle state and the CPU it is loaded on. A concrete event's footprint at a state is the set
 * of owners it may read or write there, as a bit mask (bit c for CPU c, bit cpus + v for vCPU v):
 * what decides that it is enabled, what its hooks see (`k.hw`, `k.host` of the CPU they run on,
 * `k.vcpu` of the vCPU loaded there), and what the invariants checked after it read (the CPU it
 * ran on and the vCPU running there). Two events whose footprints are disjoint commute.
 *
 * Derived from operands: an event with a vCPU operand v touches v and the CPU v is loaded on; an
 * event with a CPU operand c touches c and the vCPU running on c (VCPU_LOAD has both). An event
 * kind with neither operand, or named in GLOBAL_KINDS, is global: dependent on everything.
 */
export const GLOBAL = -1;

/** Event kinds that may touch every CPU or vCPU whatever their operands say (none known so far). */
const GLOBAL_KINDS: ReadonlySet<string> = new Set<string>([]);

/** Owners one mask can name: CPU bits then vCPU bits, below the sign bit. */
const MAX_OWNERS = 30;

/** A kind's rule: global, or by its CPU and vCPU operands (positions in `cpuAt` / `vcpuAt`). */
const RULE_GLOBAL = 0;
const RULE_OPERANDS = 1;

/** Declared footprints of an executor's event kinds, and the run-time check of what an event wrote. */
export class Footprints {
  /** Whether the world has few enough owners for masks (else every event is global). */
  readonly usable: boolean;
  private readonly rules: Uint8Array;
  private readonly cpuAt: Int8Array[];
  private readonly vcpuAt: Int8Array[];
  private readonly cpus: number;
  /** Per owner: [start, end) byte ranges of `World.words` it owns, flat. */
  private readonly wordRanges: Int32Array[];
  /** Per index of `World.words`: its owner. */
  private readonly wordOwner: Int8Array;
  /** Per owner: indices into `World.bytes` it owns. */
  private readonly byteIndices: Int32Array[];
  private worldOf: World | undefined;
  private preOf: World | undefined;
  /** Per owner: views of its word ranges in `worldOf` and in `preOf` (compared natively, no allocation). */
  private worldViews: Buffer[][] = [];
  private preViews: Buffer[][] = [];

  constructor(x: Executor) {
    const { cpus, vcpus } = x.world.shape;
    this.cpus = cpus;
    this.cpuOwners = new Int32Array(cpus);
    this.vcpuOwners = new Int32Array(vcpus);
    this.usable = cpus + vcpus <= MAX_OWNERS;
    this.rules = Uint8Array.from(x.kinds, (k) => {
      if (GLOBAL_KINDS.has(k.type)) return RULE_GLOBAL;
      return k.operands.some(([, kind]) => kind === 'cpu' || kind === 'vcpu') ? RULE_OPERANDS : RULE_GLOBAL;
    });
    const positions = (want: string) =>
      x.kinds.map((k) => Int8Array.from(k.operands.flatMap(([, kind], i) => (kind === want ? [i + 1] : []))));
    this.cpuAt = positions('cpu');
    this.vcpuAt = positions('vcpu');
    const layout = ownerLayout(x.world);
    this.wordRanges = layout.words;
    this.byteIndices = layout.bytes;
    this.wordOwner = new Int8Array(x.world.words.length);
    layout.words.forEach((r, owner) => {
      for (let i = 0; i < r.length; i += 2) this.wordOwner.fill(owner, (r[i] as number) / 8, (r[i + 1] as number) / 8);
    });
  }

  /**
   * Like `wroteOutside`, right after `codec.successor` looked at `w`: only the words it saw change
   * are looked up, when it knows them (else the whole check).
   */
  wroteOutsideSeen(codec: WorldCodec, w: World, pre: World, mask: number): boolean {
    const n = codec.changedCount;
    if (mask === GLOBAL) return false;
    if (n < 0) return this.wroteOutside(w, pre, mask);
    const owner = this.wordOwner;
    for (let i = 0; i < n; i++) if (((mask >>> (owner[codec.changedWord(i)] as number)) & 1) === 0) return true;
    return this.bytesOutside(w, pre, mask);
  }

  /** The operand positions (1-based, as in the event words) of kind `k` that hold a CPU number. */
  cpuOperands(k: number): Int8Array {
    return this.cpuAt[k] as Int8Array;
  }

  /** Marks kind `k` global from now on (its declared footprint was caught too small). */
  demote(k: number): void {
    this.rules[k] = RULE_GLOBAL;
  }

  /** Takes the world the next `mask` calls are about: each CPU with the vCPU running there, each vCPU with its CPU. */
  enter(w: World): void {
    const C = this.cpus;
    const { cpuOwners, vcpuOwners } = this;
    for (let c = 0; c < cpuOwners.length; c++) {
      const v = w.running[c] as number;
      cpuOwners[c] = v >= 0 ? (1 << c) | (1 << (C + v)) : 1 << c;
    }
    for (let v = 0; v < vcpuOwners.length; v++) {
      const c = w.loadedOn[v] as number;
      vcpuOwners[v] = c >= 0 ? (1 << (C + v)) | (1 << c) : 1 << (C + v);
    }
  }

  /** The footprint of the event at `o` of `data` in the world given to `enter` (GLOBAL: everything). */
  mask(data: Float64Array, o: number): number {
    const k = data[o] as number;
    if (!this.usable || this.rules[k] === RULE_GLOBAL) return GLOBAL;
    let m = 0;
    const cpuAt = this.cpuAt[k] as Int8Array;
    for (let i = 0; i < cpuAt.length; i++) m |= this.cpuOwners[data[o + (cpuAt[i] as number)] as number] as number;
    const vcpuAt = this.vcpuAt[k] as Int8Array;
    for (let i = 0; i < vcpuAt.length; i++) m |= this.vcpuOwners[data[o + (vcpuAt[i] as number)] as number] as number;
    return m;
  }

  private readonly cpuOwners: Int32Array;
  private readonly vcpuOwners: Int32Array;

  /**
   * Whether `w` differs from `pre` (the state before the event) in a word or byte of an owner
   * outside `mask`: the event wrote where its footprint says it does not.
   */
  wroteOutside(w: World, pre: World, mask: number): boolean {
    if (mask === GLOBAL) return false;
    if (this.worldOf !== w) {
      this.worldOf = w;
      this.worldViews = this.views(w);
    }
    if (this.preOf !== pre) {
      this.preOf = pre;
      this.preViews = this.views(pre);
    }
    for (let owner = 0; owner < this.wordRanges.length; owner++) {
      if ((mask >>> owner) & 1) continue;
      const a = this.worldViews[owner] as Buffer[];
      const b = this.preViews[owner] as Buffer[];
      for (let i = 0; i < a.length; i++) if (!(a[i] as Buffer).equals(b[i] as Buffer)) return true;
    }
    return this.bytesOutside(w, pre, mask);
  }

  /** Whether a byte field (context, running vCPU, lifecycle state, loaded CPU) of an owner outside `mask` changed. */
  private bytesOutside(w: World, pre: World, mask: number): boolean {
    for (let owner = 0; owner < this.byteIndices.length; owner++) {
      if ((mask >>> owner) & 1) continue;
      const bytes = this.byteIndices[owner] as Int32Array;
      for (let i = 0; i < bytes.length; i++) if (w.bytes[bytes[i] as number] !== pre.bytes[bytes[i] as number]) return true;
    }
    return false;
  }

  /** Buffers over each owner's word ranges of `w`. */
  private views(w: World): Buffer[][] {
    const { buffer, byteOffset } = w.words;
    return this.wordRanges.map((r) => {
      const out: Buffer[] = [];
      for (let i = 0; i < r.length; i += 2)
        out.push(Buffer.from(buffer, byteOffset + (r[i] as number), (r[i + 1] as number) - (r[i] as number)));
      return out;
    });
  }
}

/** Every owner's byte ranges of `World.words` and indices of `World.bytes` (CPUs first, then vCPUs). */
function ownerLayout(w: World): { words: Int32Array[]; bytes: Int32Array[] } {
  const { cpus, vcpus } = w.shape;
  const base = w.words.byteOffset;
  const words: number[][] = Array.from({ length: cpus + vcpus }, () => []);
  const bytes: number[][] = Array.from({ length: cpus + vcpus }, () => []);
  /** Field `f` split into `n` equal per-owner slices, owned by owners `first`, `first + 1`, …. */
  const split = (f: Float64Array, n: number, first: number): void => {
    const size = f.length / n;
    for (let i = 0; i < n; i++) {
      if (size === 0) continue;
      const start = f.byteOffset - base + i * size * 8;
      words[first + i]?.push(start, start + size * 8);
    }
  };
  for (const f of [w.hw, w.hostMem, w.hostScalar, w.hostIntent, w.cpuGhost]) split(f, cpus, 0);
  for (const f of [w.vcpuMem, w.vcpuScalar, w.guestIntent, w.vcpuGhost]) split(f, vcpus, cpus);
  const at = (f: Int8Array | Uint8Array): number => f.byteOffset - w.bytes.byteOffset;
  for (let c = 0; c < cpus; c++) bytes[c]?.push(at(w.cpuContext) + c, at(w.running) + c);
  for (let v = 0; v < vcpus; v++) bytes[cpus + v]?.push(at(w.vcpuState) + v, at(w.loadedOn) + v);
  return { words: words.map((r) => Int32Array.from(r)), bytes: bytes.map((r) => Int32Array.from(r)) };
}
