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

  /** With `shared`, the table lives in SharedArrayBuffers (`tables`): other threads may read it while this one does not write. */
  constructor(
    capacity = 1 << 16,
    private readonly shared = false,
  ) {
    let n = 1;
    while (n < capacity * 2) n <<= 1;
    this.hi = this.table(n);
    this.lo = this.table(n);
    this.mask = n - 1;
  }

  /** A read-only view of another thread's table (`tables`), for `has`. */
  static view(tables: { readonly hi: Uint32Array; readonly lo: Uint32Array }): StateSet {
    const set = new StateSet(1);
    set.hi = tables.hi;
    set.lo = tables.lo;
    set.mask = tables.hi.length - 1;
    return set;
  }

  /** The table's two halves (over SharedArrayBuffers when the set is shared); replaced when the set grows. */
  get tables(): { readonly hi: Uint32Array; readonly lo: Uint32Array } {
    return { hi: this.hi, lo: this.lo };
  }

  /** Whether the fingerprint (hi, lo) is present. */
  has(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) lo = 1;
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & this.mask;
    for (;;) {
      const h = this.hi[i] as number;
      const l = this.lo[i] as number;
      if (h === 0 && l === 0) return false;
      if (h === hi >>> 0 && l === lo >>> 0) return true;
      i = (i + 1) & this.mask;
    }
  }

  /** Empties the set, keeping its capacity. */
  clear(): void {
    this.hi.fill(0);
    this.lo.fill(0);
    this.size = 0;
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
    this.hi = this.table(n);
    this.lo = this.table(n);
    this.mask = n - 1;
    this.size = 0;
    for (let i = 0; i < hi.length; i++) if (hi[i] !== 0 || lo[i] !== 0) this.add(hi[i] as number, lo[i] as number);
  }

  private table(n: number): Uint32Array {
    return this.shared ? new Uint32Array(new SharedArrayBuffer(4 * n)) : new Uint32Array(n);
  }
}
