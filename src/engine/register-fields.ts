/**
 * How a model names the bits of its registers and memory words, once, for every report (text, JSON,
 * HTML): `MDSCR_EL1 0x8000 (MDE)`, `DBGWCR3_EL1 0x1ffd (E, PAC=EL0, LSC=load|store, BAS=0xff)`.
 * Decoding runs only when a report is rendered, never on the checking path.
 */

/** One field: a single-bit flag, or a multi-bit field whose value is printed by name or in hex. */
export interface BitField {
  readonly name: string;
  /** The field's bits (contiguous, within the low 32 bits), e.g. `0x3 << 1` for DBGWCR.PAC [2:1]; 0 for a flag above bit 31. */
  readonly mask: number;
  /** A one-bit flag above bit 31: its bit within the high word (HCR_EL2.E2H, bit 34: `1 << 2`). */
  readonly high?: number;
  /** Names of a multi-bit field's values (e.g. PAC: `{ 1: 'EL1', 2: 'EL0' }`); unnamed values print in hex. */
  readonly values?: Readonly<Record<number, string>>;
  /** Bits that say nothing to a reader (RES1, fixed-1, active-low reserved bits): never printed. */
  readonly quiet?: boolean;
  /** A flag named where set but never listed as clear (a trap bit few findings are about: MDCR_EL2.TTRF). */
  readonly setOnly?: boolean;
}

/**
 * A model's field declarations, by register name (`DBGWCR3_EL1`), memory word (`debugFlags`) or
 * ghost word (`vmmDr7`): every place a value of that name appears is decoded with its fields.
 */
export type FieldTable = Readonly<Record<string, readonly BitField[]>>;

/** The fields `flags` names as one-bit fields, in ascending bit order: `{ MDE: 1 << 15 }`. */
export const flags = (bits: Readonly<Record<string, number>>): BitField[] =>
  Object.entries(bits).map(([name, bit]) =>
    bit >= 2 ** 32 ? { name, mask: 0, high: Math.floor(bit / 2 ** 32) } : { name, mask: bit >>> 0 },
  );

/** The field's lowest bit, counting a high-word flag from bit 32. */
const lowBit = (f: BitField): number => (f.high ? 63 - Math.clz32(f.high & -f.high) : 31 - Math.clz32(f.mask & -f.mask));
const isFlag = (f: BitField): boolean => f.high !== undefined || f.mask >>> lowBit(f) === 1;

/**
 * The names of the fields set in `value`: `MDE`, `ENABLE|SINGLESTEP|USE_HW_BP`, or, when a
 * multi-bit field is set, `E, PAC=EL0, LSC=load|store, BAS=0xff`. Bits no field declares print as
 * `+0x…` so nothing is hidden; '' for no fields, or a value with nothing set.
 */
export function decodeFields(fields: readonly BitField[] | undefined, value: number): string {
  if (fields === undefined || fields.length === 0 || !Number.isFinite(value) || value < 0) return '';
  const low = (value % 2 ** 32) >>> 0;
  const high = Math.floor(value / 2 ** 32);
  const parts: string[] = [];
  let known = 0;
  let knownHigh = 0;
  let multi = false;
  for (const f of [...fields].sort((a, b) => lowBit(a) - lowBit(b))) {
    known |= f.mask;
    if (f.high !== undefined) {
      knownHigh |= f.high;
      if ((high & f.high) !== 0 && !f.quiet) parts.push(f.name);
      continue;
    }
    const v = (low & f.mask) >>> lowBit(f);
    if (v === 0 || f.quiet) continue;
    if (isFlag(f)) parts.push(f.name);
    else {
      multi = true;
      parts.push(`${f.name}=${f.values?.[v] ?? `0x${v.toString(16)}`}`);
    }
  }
  const rest = (low & ~known) >>> 0;
  const over = rest + (high & ~knownHigh) * 2 ** 32;
  if (over !== 0) parts.push(`+0x${over.toString(16)}`);
  return parts.join(multi ? ', ' : '|');
}

/** The fields of a value named `name` (`cpu0.DBGWCR3_EL1`, `vcpu0.debugFlags`, `ghost.vcpu0.vmmDr7`): by its last component. */
export const fieldsOf = (table: FieldTable | undefined, name: string): readonly BitField[] | undefined => {
  const parts = name.split('.');
  const last = parts[parts.length - 1] ?? name;
  // `area.REG` (e.g. armv7 `onReg.DBGBCR1`, a flag word, not a BCR) overrides the register's own fields; [] decodes nothing.
  return (parts.length > 1 ? table?.[`${parts[parts.length - 2]}.${last}`] : undefined) ?? table?.[last];
};

/** `0x8000 (MDE)`: a value in hex with its decoded fields, as every report prints it. */
export function hexWithFields(fields: readonly BitField[] | undefined, value: number): string {
  const hexed = value < 0 ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}`;
  const decoded = decodeFields(fields, value);
  return decoded ? `${hexed} (${decoded})` : hexed;
}

/**
 * A gate register's flags spelled out both ways, for a finding: `MDE set; SS, KDE clear` (what a
 * reviewer checks against the patch), multi-bit fields as `decodeFields` prints them.
 */
export function setAndClear(fields: readonly BitField[] | undefined, value: number): string {
  if (fields === undefined) return '';
  const low = (value % 2 ** 32) >>> 0;
  const high = Math.floor(value / 2 ** 32);
  const sorted = [...fields].filter((f) => !f.quiet).sort((a, b) => lowBit(a) - lowBit(b));
  const one = sorted.filter(isFlag);
  const isSet = (f: BitField): boolean => (f.high !== undefined ? (high & f.high) !== 0 : (low & f.mask) !== 0);
  const set = one.filter(isSet).map((f) => f.name);
  const clear = one.filter((f) => !isSet(f) && !f.setOnly).map((f) => f.name);
  const multiFields = sorted.filter((f) => !isFlag(f));
  const multi = decodeFields(multiFields, (low & multiFields.reduce((m, f) => m | f.mask, 0)) >>> 0);
  return [set.length ? `${set.join(', ')} set` : '', clear.length ? `${clear.join(', ')} clear` : '', multi].filter(Boolean).join('; ');
}
