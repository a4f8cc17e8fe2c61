/**
 * The Book E debug facility as KVM/powerpc sees it on a 440/e500-class core (BookE-PR: the guest
 * always runs with MSR[PR]=1). Bit values: Linux arch/powerpc/include/asm/reg_booke.h (CONFIG_BOOKE
 * branch) and reg.h (MSR_DE); field semantics: Power ISA 2.06 Book III-E ch. 8 "Debug Facilities".
 */
import { defineRegisterFile, type RegisterFile, type RegisterSpec } from '../../src/engine/register-file.js';

/** Register ids. IAC1..IAC4 and DAC1..DAC2 are the comparators; DBSR is write-1-to-clear. */
export const IAC = (n: number): number => n; // IAC1..IAC4 (SPRN_IAC1 0x138 ... SPRN_IAC4 0x13B)
export const DAC = (n: number): number => 4 + n; // DAC1, DAC2 (SPRN_DAC1 0x13C, SPRN_DAC2 0x13D)
export const DBCR0 = 6; // SPRN_DBCR0 0x134
export const DBCR1 = 7; // SPRN_DBCR1 0x135
export const DBCR2 = 8; // SPRN_DBCR2 0x136
export const DBSR = 9; // SPRN_DBSR 0x130
/** The MSR; only MSR[DE] is modelled. The hardware register is the host's MSR (see hardware.ts). */
export const MSR = 10;
export const CSRR0 = 11; // SPRN_CSRR0 0x03A: the address a debug (critical-class) interrupt saves
export const REGISTER_COUNT = 12;

export const IACS = 4;
export const DACS = 2;

// reg.h: MSR_DE_LG 9, MSR_DE __MASK(MSR_DE_LG)
export const MSR_DE = 1 << 9;

// reg_booke.h, CONFIG_BOOKE: DBCR0
export const DBCR0_EDM = 0x80000000; // External Debug Mode: read-only, set while an external debugger owns the facility
export const DBCR0_IDM = 0x40000000; // Internal Debug Mode
export const DBCR0_ICMP = 0x08000000; // Instruction Completion (DBCR0_IC)
export const DBCR0_BT = 0x04000000; // Branch Taken
export const DBCR0_TDE = 0x01000000; // TRAP Debug Event (DBCR0_TIE)
export const DBCR0_IAC1 = 0x00800000;
export const DBCR0_IAC2 = 0x00400000;
export const DBCR0_IAC3 = 0x00200000;
export const DBCR0_IAC4 = 0x00100000;
export const DBCR0_DAC1R = 0x00080000;
export const DBCR0_DAC1W = 0x00040000;
export const DBCR0_DAC2R = 0x00020000;
export const DBCR0_DAC2W = 0x00010000;
/**
 * The DBCR0 bits a guest's mtspr keeps (booke_emulate.c kvmppc_booke_emulate_mtspr: IDM | IC | BT |
 * TIE | IAC1-4 | DAC1R/W | DAC2R/W); EDM and the reset field are dropped.
 */
export const DBCR0_GUEST_MASK = 0x4dff0000;
/** DBCR0_IACn for n = 0..3 (IAC1..IAC4). */
export const DBCR0_IAC = [DBCR0_IAC1, DBCR0_IAC2, DBCR0_IAC3, DBCR0_IAC4] as const;
/** [read, write] enables of DAC1 and DAC2. */
export const DBCR0_DAC = [
  [DBCR0_DAC1R, DBCR0_DAC1W],
  [DBCR0_DAC2R, DBCR0_DAC2W],
] as const;

// reg_booke.h: DBCR1_IACnUS / DBCR2_DACnUS, two-bit Sup/User fields. ISA III-E: 0b00 any MSR[PR],
// 0b01 reserved, 0b10 MSR[PR]=0 (supervisor) only, 0b11 MSR[PR]=1 (user) only.
export const DBCR1_IAC1US = 0xc0000000;
export const DBCR1_IAC2US = 0x0c000000;
export const DBCR1_IAC3US = 0x0000c000;
export const DBCR1_IAC4US = 0x00000c00;
export const DBCR1_IACUS = [DBCR1_IAC1US, DBCR1_IAC2US, DBCR1_IAC3US, DBCR1_IAC4US] as const;
export const DBCR2_DAC1US = 0xc0000000;
export const DBCR2_DAC2US = 0x0c000000;
export const DBCR2_DACUS = [DBCR2_DAC1US, DBCR2_DAC2US] as const;

// reg_booke.h, CONFIG_BOOKE: DBSR (DBSR_IDE from Linux 3.15's reg_booke.h)
export const DBSR_IDE = 0x80000000; // Imprecise Debug Event: the event happened while MSR[DE]=0
export const DBSR_IC = 0x08000000;
export const DBSR_TIE = 0x01000000;
export const DBSR_IAC1 = 0x00800000;
export const DBSR_IAC2 = 0x00400000;
export const DBSR_IAC3 = 0x00200000;
export const DBSR_IAC4 = 0x00100000;
export const DBSR_DAC1R = 0x00080000;
export const DBSR_DAC1W = 0x00040000;
export const DBSR_DAC2R = 0x00020000;
export const DBSR_DAC2W = 0x00010000;
export const DBSR_IAC = [DBSR_IAC1, DBSR_IAC2, DBSR_IAC3, DBSR_IAC4] as const;
export const DBSR_DAC = [
  [DBSR_DAC1R, DBSR_DAC1W],
  [DBSR_DAC2R, DBSR_DAC2W],
] as const;
/** DBSR event bits: any of them with DBCR0[IDM] and MSR[DE] raises a debug interrupt (ISA III-E 8.4). */
export const DBSR_EVENTS = (DBSR_IC | DBSR_TIE | DBSR_IAC1 | DBSR_IAC2 | DBSR_IAC3 | DBSR_IAC4 | 0x000f0000) >>> 0;

const BIT_NAMES: readonly (readonly [number, string])[] = [
  [DBSR_IDE, 'IDE'],
  [DBSR_IC, 'IC'],
  [DBSR_TIE, 'TIE'],
  [DBSR_IAC1, 'IAC1'],
  [DBSR_IAC2, 'IAC2'],
  [DBSR_IAC3, 'IAC3'],
  [DBSR_IAC4, 'IAC4'],
  [DBSR_DAC1R, 'DAC1R'],
  [DBSR_DAC1W, 'DAC1W'],
  [DBSR_DAC2R, 'DAC2R'],
  [DBSR_DAC2W, 'DAC2W'],
];

/** `DBSR[IAC1|IDE]`-style names of the DBSR bits in `mask`. */
export function describeDbsr(mask: number): string {
  const names = BIT_NAMES.filter(([bit]) => (mask & bit) !== 0).map(([, name]) => name);
  return `DBSR[${names.join('|') || '0'}]`;
}

/**
 * DBCR1/DBCR2 as Linux leaves them (kernel/process.c set_debug_reg_defaults, CONFIG_BOOKE): every
 * comparator qualified user-only (0b11, MSR[PR]=1), the "safe" values of a task that arms nothing.
 */
export const DBCR1_DEFAULT = (DBCR1_IAC1US | DBCR1_IAC2US | DBCR1_IAC3US | DBCR1_IAC4US) >>> 0;
export const DBCR2_DEFAULT = (DBCR2_DAC1US | DBCR2_DAC2US) >>> 0;

/**
 * The register file: every register is implemented; DBSR is write-1-to-clear. The reset values are
 * the hardware's before Linux first primes it: DBCR1/DBCR2 at 0 (0b00 qualifiers: the 440x5 manual,
 * 3.1, leaves them undefined, and only process.c prime_debug_regs() writes them), or, `primed`, at
 * set_debug_reg_defaults()'s user-only values, as a user thread's prime leaves them (--dbcr-reset 1).
 */
export function bookeRegisterFile(primed = false): RegisterFile {
  const rw = (name: string, reset = 0): RegisterSpec => ({ name, width: 32, reset, write: 'rw' });
  const specs: RegisterSpec[] = [
    ...['IAC1', 'IAC2', 'IAC3', 'IAC4', 'DAC1', 'DAC2', 'DBCR0'].map((name) => rw(name)),
    rw('DBCR1', primed ? DBCR1_DEFAULT : 0),
    rw('DBCR2', primed ? DBCR2_DEFAULT : 0),
    { name: 'DBSR', width: 32, reset: 0, write: 'w1c' },
    rw('MSR'),
    rw('CSRR0'),
  ];
  return defineRegisterFile(specs, () => true);
}
