/**
 * A set of 64-bit state fingerprints in open addressing (one Uint32Array of pairs, linear probing, grown
 * at half load): hash compaction as in Spin's -DHC mode. Two distinct states collide with
 * probability about n²/2⁶⁵ (under 3·10⁻⁶ at ten million states), which the explore verdict states.
 */
export class StateSet {
  /** Slot i is words 2i (high half) and 2i + 1 (low half): one probe reads one cache line. */
  private slots: Uint32Array;
  private mask: number;
  size = 0;

  /** With `shared`, the table lives in a SharedArrayBuffer (`tables`): other threads may read it while this one does not write. */
  constructor(
    capacity = 1 << 16,
    private readonly shared = false,
  ) {
    let n = 1;
    while (n < capacity * 2) n <<= 1;
    this.slots = this.table(n);
    this.mask = n - 1;
  }

  /** A read-only view of another thread's table (`tables`), for `has`. */
  static view(tables: { readonly slots: Uint32Array }): StateSet {
    const set = new StateSet(1);
    set.slots = tables.slots;
    set.mask = tables.slots.length / 2 - 1;
    return set;
  }

  /** The table (over a SharedArrayBuffer when the set is shared); replaced when the set grows. */
  get tables(): { readonly slots: Uint32Array } {
    return { slots: this.slots };
  }

  /** Whether the fingerprint (hi, lo) is present. */
  has(hi: number, lo: number): boolean {
    return this.probe(hi, lo) >= 0;
  }

  /** The slot holding fingerprint (hi, lo) ((0, 0) remapped), or -1 - the empty slot where it would go. */
  private probe(hi: number, lo: number): number {
    if (hi === 0 && lo === 0) lo = 1;
    const slots = this.slots;
    for (let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & this.mask; ; i = (i + 1) & this.mask) {
      const h = slots[2 * i] as number;
      const l = slots[2 * i + 1] as number;
      if (h === 0 && l === 0) return -1 - i;
      if (h === hi >>> 0 && l === lo >>> 0) return i;
    }
  }

  /** Empties the set, keeping its capacity. */
  clear(): void {
    this.slots.fill(0);
    this.size = 0;
  }

  /** Adds the fingerprint (hi, lo); returns false when it was already present. (0, 0) is remapped. */
  add(hi: number, lo: number): boolean {
    const at = this.probe(hi, lo);
    if (at >= 0) return false;
    const i = -1 - at;
    this.slots[2 * i] = hi;
    this.slots[2 * i + 1] = hi === 0 && lo === 0 ? 1 : lo;
    if (++this.size * 2 > this.mask) this.grow();
    return true;
  }

  /** Adds every fingerprint of this set to `target`, then empties this one. */
  moveInto(target: StateSet): void {
    if (this.size === 0) return;
    const slots = this.slots;
    for (let i = 0; i < slots.length; i += 2)
      if (slots[i] !== 0 || slots[i + 1] !== 0) target.add(slots[i] as number, slots[i + 1] as number);
    this.clear();
  }

  /** Bytes the table occupies. */
  get bytes(): number {
    return this.slots.byteLength;
  }

  private grow(): void {
    const old = this.slots;
    const n = old.length; // twice the slots: the old table's word count
    this.slots = this.table(n);
    this.mask = n - 1;
    this.size = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0 || old[i + 1] !== 0) this.add(old[i] as number, old[i + 1] as number);
  }

  /** A table of `n` slots (two words each). */
  private table(n: number): Uint32Array {
    return this.shared ? new Uint32Array(new SharedArrayBuffer(8 * n)) : new Uint32Array(2 * n);
  }
}
