import { Buffer } from 'node:buffer';
import type { ModelInstance } from '../engine/model.js';
import type { World } from '../engine/world.js';
import { CodecLayout } from './codec-layout.js';
import { EventWrites } from './event-writes.js';

/**
 * The packed world's 64-bit fingerprint, kept as a sum of per-word hashes so that after an event
 * only the words it changed are hashed again; and the undo of those words (`restore`). The layout,
 * CPU order and packing are `CodecLayout`'s.
 */
export class WorldCodec extends CodecLayout {
  /** Per packed position: the index in the hash sums its word adds to (`2 + 2 * owner`), or -1 for a CPU-valued word. */
  private readonly sumAt: Int32Array;
  /** Per packed position: its key's part of `wordHash` in lane 0 and lane 1, computed once. */
  private readonly salt0: Int32Array;
  private readonly salt1: Int32Array;
  /** Hash sums of the state `begin` was given: [shared lo, shared hi, then lo, hi per CPU record]. */
  private readonly base: Int32Array;
  private readonly sums: Int32Array;
  /** How many words `restore` puts back (-1: the whole world). */
  private undo = -1;
  private shadow: World | undefined;
  private shadowBytes: Buffer | undefined;
  private worldOf: World | undefined;
  private worldBytes: Buffer | undefined;
  private readonly changedAt: Int32Array;
  private readonly changedFrom: Float64Array;
  /** The two hashes of each packed word of the state given to `begin`. */
  private readonly preHash: Int32Array;
  /** The packed state given to `begin` last (NaN before the first: every word differs from it). */
  private readonly last: Float64Array;
  /** Per event number: the packed words it has been seen to change (where `successor` looks first). */
  private readonly writes: EventWrites;

  constructor(model: ModelInstance, shape: World['shape']) {
    super(model, shape);
    const { cpus } = shape;
    this.sumAt = Int32Array.from(this.owner, (cpu, p) => (this.cpuValued[p] === 1 ? -1 : 2 + 2 * cpu));
    this.salt0 = this.key.map((key) => Math.imul(key + 1, 0x9e3779b1));
    this.salt1 = this.key.map((key) => Math.imul(key + 0x3c6ef372, 0x27d4eb2f));
    this.base = new Int32Array(2 + 2 * cpus);
    this.preHash = new Int32Array(2 * this.width);
    this.last = new Float64Array(this.width).fill(Number.NaN);
    this.changedAt = new Int32Array(this.wordCount);
    this.changedFrom = new Float64Array(this.wordCount);
    this.sums = new Int32Array(2 + 2 * cpus);
    this.writes = new EventWrites();
  }

  /**
   * The 64-bit fingerprint of the packed world at `offset` of `data`, into `out`: a sum of one
   * hash per word that is not in a CPU's record, plus each CPU record's sum mixed with the place
   * the record has in the packed world. A sum, so `successor` updates it from the words an event
   * changed instead of hashing the whole world again.
   */
  fingerprint(data: Float64Array, offset: number, out: Uint32Array): void {
    this.sumsOf(data, offset, this.sums);
    this.finish(this.sums, undefined, data, offset, 0, out);
  }

  /**
   * Takes the packed world `pre` (in the world's own CPU numbering) as the state `successor`
   * compares against, and makes `shadow` equal to it word for word (the words the codec does not
   * pack keep their values). States are expanded in frontier order and neighbours differ in a few
   * words: only the words where `pre` differs from the state given last time are written into
   * `shadow` and hashed again.
   */
  begin(pre: Float64Array, shadow: World): void {
    const last = this.last;
    if (this.shadow !== shadow) {
      this.shadow = shadow;
      this.shadowBytes = Buffer.from(shadow.words.buffer, shadow.words.byteOffset, shadow.words.byteLength);
      this.decode(pre, 0, shadow);
    }
    const base = this.base;
    const preHash = this.preHash;
    const sumAt = this.sumAt;
    const src = this.sources[0] as Int32Array;
    const words = shadow.words;
    const F = this.wordCount;
    for (let p = 0; p < this.width; p++) {
      const v = pre[p] as number;
      if (v === last[p]) continue;
      last[p] = v;
      if (p < F) words[src[p] as number] = v;
      else shadow.bytes[src[p] as number] = v;
      const s = sumAt[p] as number;
      if (s < 0) continue;
      const k = wordKey(v);
      const h0 = mix32(k ^ (this.salt0[p] as number));
      const h1 = mix32(Math.imul(k, LANE1) ^ (this.salt1[p] as number));
      base[s] = ((base[s] as number) - (preHash[2 * p] as number) + h0) | 0;
      base[s + 1] = ((base[s + 1] as number) - (preHash[2 * p + 1] as number) + h1) | 0;
      preHash[2 * p] = h0;
      preHash[2 * p + 1] = h1;
    }
  }

  /**
   * The fingerprint of `w` with its CPUs in order `perm`, into `fp`, where `w` was the state given
   * to `begin` before an event: only the words that differ from it are hashed again. It looks
   * first at the words event number `event` (`EventNumbers`) has been seen to change before
   * (`EventWrites`), or, for an event without a number (-1), at every word some event has changed
   * before (`varying`). One native comparison of the whole world confirms that nothing else
   * changed; otherwise it compares every packed word and learns the new ones.
   */
  successor(w: World, pre: Float64Array, perm: number, fp: Uint32Array, event = -1): void {
    const sums = this.sums;
    const base = this.base;
    for (let i = 0; i < sums.length; i++) sums[i] = base[i] as number;
    const src = this.sources[0] as Int32Array;
    const words = w.words;
    const shadow = (this.shadow as World).words;
    const changedAt = this.changedAt;
    const changedFrom = this.changedFrom;
    let n = 0;
    const looked = event < 0 ? this.varying : this.writes.listOf(event);
    const count = event < 0 ? this.varyingCount : this.writes.countOf(event);
    for (let k = 0; k < count; k++) {
      const p = looked[k] as number;
      const at = src[p] as number;
      const v = words[at] as number;
      const old = pre[p] as number;
      if (v !== old) {
        this.change(sums, p, v);
        changedAt[n] = at;
        changedFrom[n++] = old;
        shadow[at] = v;
      }
    }
    if (this.worldBytes === undefined || this.worldOf !== w) {
      this.worldOf = w;
      this.worldBytes = Buffer.from(words.buffer, words.byteOffset, words.byteLength);
    }
    const same = this.worldBytes.equals(this.shadowBytes as Buffer);
    for (let i = 0; i < n; i++) shadow[changedAt[i] as number] = changedFrom[i] as number;
    this.undo = same ? n : -1;
    if (!same) {
      // Some word outside what was looked at changed (or a word no state packs): compare them all.
      sums.set(this.base);
      const F = this.wordCount;
      for (let p = 0; p < F; p++) {
        const v = words[src[p] as number] as number;
        const old = pre[p] as number;
        if (v === old) continue;
        this.change(sums, p, v);
        if (this.isVarying[p] === 0) this.addVarying(p);
        if (event >= 0) this.writes.learn(event, p);
      }
    }
    const bytes = w.bytes;
    for (let p = this.wordCount; p < this.width; p++) {
      const v = bytes[src[p] as number] as number;
      const old = pre[p] as number;
      if (v !== old) this.change(sums, p, v);
    }
    this.finish(sums, w, pre, 0, perm, fp);
  }

  /**
   * Puts `w`, after `successor` looked at it, back to the state given to `begin`: only the words
   * it found changed when that is all that changed, else the whole world.
   */
  restore(w: World): void {
    const n = this.undo;
    if (n < 0 || this.worldOf !== w) {
      w.copyStateFrom(this.shadow as World);
      return;
    }
    const words = w.words;
    for (let i = 0; i < n; i++) words[this.changedAt[i] as number] = this.changedFrom[i] as number;
    w.bytes.set((this.shadow as World).bytes);
  }

  /**
   * After `successor`: how many words of `World.words` it saw change (indices: `changedWord`),
   * or -1 when something outside the words it tracks changed and it compared the whole world.
   */
  get changedCount(): number {
    return this.undo;
  }

  /** The index in `World.words` of the `i`-th word `successor` saw change. */
  changedWord(i: number): number {
    return this.changedAt[i] as number;
  }

  /** Updates `sums` for packed position `p` (world numbering) going from `old` to `v`. */
  private change(sums: Int32Array, p: number, v: number): void {
    const s = this.sumAt[p] as number;
    if (s < 0) return;
    const k = wordKey(v);
    sums[s] = ((sums[s] as number) - (this.preHash[2 * p] as number) + mix32(k ^ (this.salt0[p] as number))) | 0;
    sums[s + 1] =
      ((sums[s + 1] as number) - (this.preHash[2 * p + 1] as number) + mix32(Math.imul(k, LANE1) ^ (this.salt1[p] as number))) | 0;
  }

  /**
   * Sums of the packed world at `offset` (world numbering; CPU-valued words left out) into `sums`.
   */
  private sumsOf(data: Float64Array, offset: number, sums: Int32Array): void {
    sums.fill(0);
    const sumAt = this.sumAt;
    const salt0 = this.salt0;
    const salt1 = this.salt1;
    for (let p = 0; p < this.width; p++) {
      const s = sumAt[p] as number;
      if (s < 0) continue;
      const k = wordKey(data[offset + p] as number);
      const h0 = mix32(k ^ (salt0[p] as number));
      const h1 = mix32(Math.imul(k, LANE1) ^ (salt1[p] as number));
      sums[s] = ((sums[s] as number) + h0) | 0;
      sums[s + 1] = ((sums[s + 1] as number) + h1) | 0;
    }
  }

  /**
   * Combines `sums` into a fingerprint with the CPU records in order `perm`, adding the CPU-valued
   * words: from `w` mapped through the order, or (no world) from the packed `data` at `offset` as they are.
   */
  private finish(sums: Int32Array, w: World | undefined, data: Float64Array, offset: number, perm: number, out: Uint32Array): void {
    let lo = sums[0] as number;
    let hi = sums[1] as number;
    const order = this.perms[perm] as Int8Array;
    for (let k = 0; k < order.length; k++) {
      const c = order[k] as number;
      const r1 = sums[2 + 2 * c] as number;
      const r2 = sums[3 + 2 * c] as number;
      lo = (lo + mix32((r1 ^ Math.imul(k + 1, 0x9e3779b1)) + Math.imul(r2, 0x85ebca6b))) | 0;
      hi = (hi + mix32((r2 ^ Math.imul(k + 1, 0x7feb352d)) + Math.imul(r1, 0xc2b2ae35))) | 0;
    }
    const src = this.sources[0] as Int32Array;
    const inverse = this.inverse[perm] as Int8Array;
    for (let p = this.wordCount; p < this.width; p++) {
      if (this.cpuValued[p] !== 1) continue;
      let v: number;
      if (w) {
        v = w.bytes[src[p] as number] as number;
        if (v >= 0) v = inverse[v] as number;
      } else v = data[offset + p] as number;
      lo = (lo + wordHash(p, v, 0)) | 0;
      hi = (hi + wordHash(p, v, 1)) | 0;
    }
    out[0] = lo >>> 0;
    out[1] = hi >>> 0;
  }
}

/** A 32-bit hash of word `value` under `key`, lane 0 or 1 (independent constants). */
function wordHash(key: number, value: number, lane: number): number {
  const k = wordKey(value);
  return lane === 0 ? mix32(k ^ Math.imul(key + 1, 0x9e3779b1)) : mix32(Math.imul(k, LANE1) ^ Math.imul(key + 0x3c6ef372, 0x27d4eb2f));
}

/** Lane 1's multiplier of a word's value in `wordHash`. */
const LANE1 = 0x5bd1e995;

/** A word's value folded to 32 bits, as `wordHash` hashes it. */
function wordKey(value: number): number {
  const k = value | 0;
  return k === value ? k : (k ^ Math.imul((value / 4294967296) | 0, 0x9e3779b1) ^ 0x7fc00001) | 0;
}

/** murmur3's 32-bit finaliser. */
function mix32(h: number): number {
  let x = h | 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x | 0;
}
