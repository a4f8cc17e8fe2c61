/** The field declarations every report decodes with: the decoder, and each model's table checked against the model. */
import { describe, expect, it } from 'vitest';
import { architectures } from '../models/catalog.js';
import { type BitField, decodeFields, fieldsOf, flags, hexWithFields, setAndClear } from '../src/engine/register-fields.js';

const WCR: BitField[] = [
  { name: 'E', mask: 1 },
  { name: 'PAC', mask: 0b11 << 1, values: { 1: 'EL1', 2: 'EL0' } },
  { name: 'LSC', mask: 0b11 << 3, values: { 3: 'load|store' } },
  { name: 'BAS', mask: 0xff << 5 },
];

describe('decodeFields', () => {
  it('names flags with |, and multi-bit fields by value name or hex with ", "', () => {
    expect(decodeFields(flags({ KDE: 1 << 13, MDE: 1 << 15 }), 0x8000)).toBe('MDE');
    expect(decodeFields(flags({ KDE: 1 << 13, MDE: 1 << 15 }), 0xa000)).toBe('KDE|MDE');
    expect(decodeFields(WCR, 0x1ffd)).toBe('E, PAC=EL0, LSC=load|store, BAS=0xff');
    expect(decodeFields(WCR, 0x1fe7)).toBe('E, PAC=0x3, BAS=0xff');
  });

  it('names a flag above bit 31 (HCR_EL2.E2H, bit 34) and still shows undeclared high bits', () => {
    const hcr = flags({ TGE: 1 << 27, E2H: 2 ** 34 });
    expect(decodeFields(hcr, 2 ** 34 + 2 ** 27)).toBe('TGE|E2H');
    expect(decodeFields(hcr, 2 ** 35 + 2 ** 34)).toBe('E2H|+0x800000000');
    expect(setAndClear(hcr, 2 ** 34)).toBe('E2H set; TGE clear');
  });

  it('shows bits no field declares, hides quiet ones, and decodes nothing without fields', () => {
    expect(decodeFields(flags({ MDE: 1 << 15 }), 0x8001)).toBe('MDE|+0x1');
    expect(
      decodeFields(
        [
          { name: 'RES1', mask: 0x400, quiet: true },
          { name: 'G0', mask: 2 },
        ],
        0x402,
      ),
    ).toBe('G0');
    expect(decodeFields(undefined, 0x8000)).toBe('');
    expect(decodeFields([], 0x1)).toBe('');
    expect(decodeFields(flags({ MDE: 1 << 15 }), 0)).toBe('');
    expect(decodeFields(flags({ E: 1 }), 2 ** 40 + 1)).toBe('E|+0x10000000000');
    expect(decodeFields(flags({ IDE: 0x80000000 }), 0x80000000)).toBe('IDE');
  });

  it('spells a gate register out as set and clear, and prints hex with the fields', () => {
    expect(setAndClear(flags({ SS: 1, KDE: 1 << 13, MDE: 1 << 15 }), 0x8000)).toBe('MDE set; SS, KDE clear');
    expect(setAndClear([{ name: 'US', mask: 0xc0000000, values: { 3: 'user' } }], 0xc0000000)).toBe('US=user');
    expect(hexWithFields(flags({ MDE: 1 << 15 }), 0x8000)).toBe('0x8000 (MDE)');
    expect(hexWithFields(flags({ MDE: 1 << 15 }), 0)).toBe('0x0');
  });

  it('finds a value by its last name component, an `area.REG` entry first', () => {
    const table = { DBGBCR1: flags({ E: 1 }), 'onReg.DBGBCR1': [] };
    expect(fieldsOf(table, 'cpu0.DBGBCR1')).toBe(table.DBGBCR1);
    expect(fieldsOf(table, 'host0.onReg.DBGBCR1')).toEqual([]);
    expect(fieldsOf(table, 'MDSCR_EL1')).toBeUndefined();
  });
});

describe.each(architectures.map((a) => [a.id, a] as const))('%s field table', (_id, arch) => {
  const config = Object.fromEntries(arch.options.map((o) => [o.name, o.max]));
  const m = arch.instantiate(config);
  const table = m.fields ?? {};

  it('declares fields, and only for names the model has (registers, memory and ghost words, `area.REG`)', () => {
    expect(Object.keys(table).length).toBeGreaterThan(0);
    const names = new Set<string>([
      ...m.registers.names,
      ...m.memory.vcpuScalars,
      ...(m.memory.hostScalars ?? []),
      ...(m.ghost?.cpu ?? []),
      ...(m.ghost?.vcpu ?? []),
    ]);
    for (const area of [...m.memory.vcpuAreas, ...m.memory.hostAreas]) for (const r of m.registers.names) names.add(`${area}.${r}`);
    const unknown = Object.keys(table).filter((k) => !names.has(k));
    // x86-vmx and x86-svm share one table: each lacks the other's DR-controls register name.
    expect(unknown.filter((k) => k !== 'MOV_DR_EXITING' && k !== 'DR_INTERCEPTS')).toEqual([]);
  });

  it("keeps each register's fields within 32 bits (one-bit flags above as high-word bits) and apart from each other", () => {
    for (const [name, fields] of Object.entries(table)) {
      let seen = 0;
      let seenHigh = 0;
      for (const f of fields) {
        if (f.high !== undefined) {
          expect([f.mask, f.high & (f.high - 1), (seenHigh & f.high) >>> 0], `${name}.${f.name}: one high bit, once`).toEqual([0, 0, 0]);
          seenHigh |= f.high;
          continue;
        }
        expect(f.mask, `${name}.${f.name}`).toBeGreaterThan(0);
        expect(f.mask, `${name}.${f.name}`).toBeLessThan(2 ** 32);
        expect((seen & f.mask) >>> 0, `${name}.${f.name} overlaps another field`).toBe(0);
        seen = (seen | f.mask) >>> 0;
      }
    }
  });
});
