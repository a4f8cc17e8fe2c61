/**
 * Which (state, CPU) pairs have passed the state invariants after an event: a lossy cache the
 * exhaustive search asks before it runs the checks an event's settle left for it (Observer.defer).
 *
 * A state check's verdict is a function of the world and the CPU it is run for (Invariant.state;
 * after an event no hook runs, so `inHook` is false), and the search already takes two worlds with
 * the same packed words for one state; so a pair that passed once passes again, and most events
 * of a breadth-first search end in a state it has reached before. Keys are the state's 64-bit fingerprint in canonical CPU order and the CPU's
 * canonical number: symmetry reduction already rests on invariants that do not tell CPUs apart.
 * Direct-mapped and overwritten on collision: a pair it forgot is checked again, never skipped.
 * A false hit needs two pairs with equal 64-bit keys, the collision the visited table already
 * accepts (state-set.ts).
 */
export class PassedChecks {
  /** Slot i: words 2i (fingerprint low half) and 2i + 1 (high half mixed with the CPU); 0, 0 is empty. */
  private readonly slots: Int32Array;
  private readonly mask: number;
  /** Lookups answered from the cache, and checks run (statistics for tests and the README). */
  hits = 0;
  misses = 0;

  constructor(bits = 18) {
    this.slots = new Int32Array(2 << bits);
    this.mask = (1 << bits) - 1;
  }

  /** Bytes held (a fixed size). */
  get bytes(): number {
    return this.slots.byteLength;
  }

  /** Whether state `fp` passed its checks for canonical CPU `cpu`. */
  has(fp: Uint32Array, cpu: number): boolean {
    const lo = (fp[0] as number) | 0;
    const hi = keyHigh(fp, cpu);
    const i = 2 * (slotOf(lo, hi) & this.mask);
    if (this.slots[i] === lo && this.slots[i + 1] === hi && (lo | hi) !== 0) {
      this.hits++;
      return true;
    }
    this.misses++;
    return false;
  }

  /** Records that state `fp` passed its checks for canonical CPU `cpu`. */
  add(fp: Uint32Array, cpu: number): void {
    const lo = (fp[0] as number) | 0;
    const hi = keyHigh(fp, cpu);
    const i = 2 * (slotOf(lo, hi) & this.mask);
    this.slots[i] = lo;
    this.slots[i + 1] = hi;
  }
}

/** The key's high word: the fingerprint's high half with the CPU mixed in. */
function keyHigh(fp: Uint32Array, cpu: number): number {
  return ((fp[1] as number) ^ Math.imul(cpu + 1, 0x9e3779b1)) | 0;
}

/** A slot index from both key words (the low half alone would put a state's CPUs in one slot). */
function slotOf(lo: number, hi: number): number {
  const h = Math.imul(lo ^ (hi >>> 15), 0x85ebca6b);
  return h ^ (h >>> 13);
}
