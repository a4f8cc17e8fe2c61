/** How a write to a register behaves: read-write, read-only (writes are UNDEFINED), or write-1-to-clear. */
export type WriteSemantics = 'rw' | 'ro' | 'w1c';

/** One architectural register as a model declares it. */
export interface RegisterSpec {
  readonly name: string;
  readonly width: 32 | 64;
  readonly reset: number;
  readonly write: WriteSemantics;
  /** Bits that read as 1 whatever is written (e.g. x86 DR7 bit 10). */
  readonly fixed1?: number;
}

/** A model's register file: names, ids, reset values and write semantics, indexed by register id. */
export interface RegisterFile {
  readonly count: number;
  readonly names: readonly string[];
  readonly reset: Float64Array;
  /** 0 = rw, 1 = ro, 2 = w1c, by register id. */
  readonly semantics: Uint8Array;
  /** 1 where the configured CPU implements the register; an access to any other is UNDEFINED. */
  readonly implemented: Uint8Array;
  /** Bits that read as 1 whatever is written, by register id (0: none). */
  readonly fixed1: Float64Array;
  /** Architectural width in bits, by register id (32 or 64). */
  readonly width: Uint8Array;
  id(name: string): number | undefined;
}

const SEMANTICS: Record<WriteSemantics, number> = { rw: 0, ro: 1, w1c: 2 };

/** Builds a register file; `specs[i]` gets id `i`, `implemented(i)` says which ids the CPU has. */
export function defineRegisterFile(specs: readonly RegisterSpec[], implemented: (id: number) => boolean): RegisterFile {
  const byName = new Map<string, number>();
  const reset = new Float64Array(specs.length);
  const semantics = new Uint8Array(specs.length);
  const impl = new Uint8Array(specs.length);
  const fixed1 = new Float64Array(specs.length);
  const width = new Uint8Array(specs.length);
  specs.forEach((s, i) => {
    fixed1[i] = s.fixed1 ?? 0;
    width[i] = s.width;
    byName.set(s.name, i);
    reset[i] = s.reset;
    semantics[i] = SEMANTICS[s.write];
    impl[i] = implemented(i) ? 1 : 0;
  });
  return {
    count: specs.length,
    names: specs.map((s) => s.name),
    reset,
    semantics,
    implemented: impl,
    fixed1,
    width,
    id: (name) => byName.get(name),
  };
}

/** The value a register holds after `value` is written to it, given its current value and semantics. */
export function writeResult(semantics: number, current: number, value: number): number {
  if (semantics === 2) return (current & ~value) >>> 0; // write-1-to-clear
  return value;
}

/** The value hardware register `reg` of `file` holds after `value` is written to it: `writeResult` plus its fixed-1 bits. */
export function hwWriteResult(file: RegisterFile, reg: number, current: number, value: number): number {
  const v = writeResult(file.semantics[reg] as number, current, value);
  const fixed = file.fixed1[reg] as number;
  return fixed === 0 ? v : (v | fixed) >>> 0;
}

/** A register file with `base`'s registers (same ids) followed by `more` (ids from `base.count`), all implemented. */
export function extendRegisterFile(base: RegisterFile, more: readonly RegisterSpec[]): RegisterFile {
  const byName = new Map(base.names.map((name, i) => [name, i]));
  const reset = new Float64Array(base.count + more.length);
  reset.set(base.reset);
  const semantics = new Uint8Array(reset.length);
  semantics.set(base.semantics);
  const implemented = new Uint8Array(reset.length).fill(1);
  implemented.set(base.implemented);
  const fixed1 = new Float64Array(reset.length);
  fixed1.set(base.fixed1);
  const width = new Uint8Array(reset.length);
  width.set(base.width);
  more.forEach((s, i) => {
    width[base.count + i] = s.width;
    byName.set(s.name, base.count + i);
    reset[base.count + i] = s.reset;
    semantics[base.count + i] = SEMANTICS[s.write];
    fixed1[base.count + i] = s.fixed1 ?? 0;
  });
  return {
    count: reset.length,
    names: [...base.names, ...more.map((s) => s.name)],
    reset,
    semantics,
    implemented,
    fixed1,
    width,
    id: (name) => byName.get(name),
  };
}

/**
 * Whether `value` fits register `reg` of `file`: a non-negative integer below 2^32 for a 32-bit
 * register; for a 64-bit one, below 2^53 (the model holds register values as exact JS numbers).
 */
export function fitsRegister(file: RegisterFile, reg: number, value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0 && (file.width[reg] === 64 || value <= 0xffff_ffff);
}

/**
 * Whether `value`, which a policy gave (a hook's result, `p.regval`, a `k.hw.write` value), is a
 * value of `reg`: a number first (`typeof`, never a conversion that runs policy code), then
 * `value >>> 0 === value`, an integer from 0 to 2^32 - 1 that fits every register (the common
 * case), else `fitsRegister`.
 */
export function isRegisterValue(file: RegisterFile, reg: number, value: unknown): value is number {
  return typeof value === 'number' && (value >>> 0 === value || fitsRegister(file, reg, value));
}

/** What a value of `reg` must be, for a finding: `MDSCR_EL1 is a 32-bit register; write an integer from 0 to 0xffffffff.` */
export function registerValueRule(file: RegisterFile, reg: number, verb: string): string {
  const name = file.names[reg];
  const width = file.width[reg] as number;
  const max = width === 64 ? '2^53 - 1 (register values are exact JS numbers)' : '0xffffffff';
  return `${name} is a ${width}-bit register; ${verb} an integer from 0 to ${max}.`;
}
