/**
 * A set of 64-bit state fingerprints in open addressing (two Uint32Arrays, linear probing, grown
 * at half load): hash compaction as in Spin's -DHC mode. Two distinct states collide with
 * probability about n²/2⁶⁵ (under 3·10⁻⁶ at ten million states), which the explore verdict states.
 */
export class StateSet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1 << 16) {
    let n = 1;
    while (n < capacity * 2) n <<= 1;
    this.hi = new Uint32Array(n);
    this.lo = new Uint32Array(n);
    this.mask = n - 1;
  }

  /** Adds the fingerprint (hi, lo); returns false when it was already present. (0, 0) is remapped. */
  add(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) lo = 1;
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & this.mask;
    for (;;) {
      const h = this.hi[i] as number;
      const l = this.lo[i] as number;
      if (h === 0 && l === 0) break;
      if (h === hi >>> 0 && l === lo >>> 0) return false;
      i = (i + 1) & this.mask;
    }
    this.hi[i] = hi;
    this.lo[i] = lo;
    if (++this.size * 2 > this.mask) this.grow();
    return true;
  }

  /** Bytes the table occupies. */
  get bytes(): number {
    return this.hi.byteLength + this.lo.byteLength;
  }

  private grow(): void {
    const { hi, lo } = this;
    const n = hi.length * 2;
    this.hi = new Uint32Array(n);
    this.lo = new Uint32Array(n);
    this.mask = n - 1;
    this.size = 0;
    for (let i = 0; i < hi.length; i++) if (hi[i] !== 0 || lo[i] !== 0) this.add(hi[i] as number, lo[i] as number);
  }
}
