/**
 * arm64 self-hosted debug registers as KVM/arm64 sees them on a non-VHE host.
 * Sources: Arm ARM (DDI 0487) D13.3 (DBGB/W{V,C}R<n>_EL1, MDSCR_EL1, MDCCINT_EL1),
 * D13.2 (ID_AA64DFR0_EL1, MDCR_EL2); kernel asm/debug-monitors.h, asm/kvm_arm.h.
 */
import { defineRegisterFile, extendRegisterFile, type RegisterFile, type RegisterSpec } from '../../src/engine/register-file.js';

/** Architectural maximum of breakpoint and of watchpoint register pairs (BRPs/WRPs are 4-bit fields). */
export const MAX_SLOTS = 16;

/** Register ids: DBGBVR0..15, DBGBCR0..15, DBGWVR0..15, DBGWCR0..15, then the singletons. */
export const DBGBVR = (n: number): number => n;
export const DBGBCR = (n: number): number => 16 + n;
export const DBGWVR = (n: number): number => 32 + n;
export const DBGWCR = (n: number): number => 48 + n;
export const MDSCR_EL1 = 64;
export const MDCCINT_EL1 = 65;
export const MDCR_EL2 = 66;
export const ID_AA64DFR0_EL1 = 67;
/** Self-hosted trace (FEAT_TRF, FEAT_TRBE): bits and semantics in trace.ts. */
export const TRFCR_EL1 = 68;
export const TRFCR_EL2 = 69;
export const TRBLIMITR_EL1 = 70;
export const REGISTER_COUNT = 71;

// asm/debug-monitors.h
export const DBG_MDSCR_SS = 1 << 0;
export const DBG_MDSCR_KDE = 1 << 13;
export const DBG_MDSCR_MDE = 1 << 15;
/** PSTATE.SS as an exception saves it in SPSR_ELx. */
export const DBG_SPSR_SS = 1 << 21;

// asm/kvm_arm.h
export const MDCR_EL2_HPMN_MASK = 0x1f;
export const MDCR_EL2_TPMCR = 1 << 5;
export const MDCR_EL2_TPM = 1 << 6;
export const MDCR_EL2_TDE = 1 << 8;
export const MDCR_EL2_TDA = 1 << 9;
export const MDCR_EL2_TDOSA = 1 << 10;
export const MDCR_EL2_TDRA = 1 << 11;
/** MDCR_EL2.TTRF (bit 19): trap EL1 accesses to TRFCR_EL1 (a354a64d91ee, 5.12; Arm ARM D13.2 MDCR_EL2). */
export const MDCR_EL2_TTRF = 1 << 19;

// Arm ARM D13.3.2 DBGBCR<n>_EL1 / D13.3.11 DBGWCR<n>_EL1
export const BCR_E = 1 << 0;
export const BCR_PMC_SHIFT = 1; // [2:1]: 0b01 EL1, 0b10 EL0, 0b11 EL1 and EL0 (HMC = 0, SSC = 0)
export const BCR_BAS_A64 = 0xf << 5; // [8:5]: 0b1111 for an A64 instruction
export const WCR_E = 1 << 0;
export const WCR_PAC_SHIFT = 1; // [2:1], as PMC
export const WCR_LSC_SHIFT = 3; // [4:3]: 0b01 load, 0b10 store, 0b11 both
export const WCR_BAS_ALL = 0xff << 5; // [12:5]: all eight bytes of the doubleword
export const PRIV_EL1 = 0b01;
export const PRIV_EL0 = 0b10;
export const LSC_LOAD = 0b01;
export const LSC_STORE = 0b10;

// Arm ARM D13.3.7 MDCCINT_EL1: TX bit 29, RX bit 30
export const MDCCINT_TX = 1 << 29;
export const MDCCINT_RX = 1 << 30;

/** A breakpoint control value: enabled, A64 byte select, privilege `pmc`. */
export const bcr = (pmc: number): number => BCR_E | (pmc << BCR_PMC_SHIFT) | BCR_BAS_A64;
/** A watchpoint control value: enabled, all bytes, privilege `pac`, loads/stores `lsc`. */
export const wcr = (pac: number, lsc: number): number => WCR_E | (pac << WCR_PAC_SHIFT) | (lsc << WCR_LSC_SHIFT) | WCR_BAS_ALL;

/** The CPU's debug resources: numbers of breakpoint and watchpoint pairs (each 2..16). */
export interface DebugCpu {
  readonly brps: number;
  readonly wrps: number;
  /** ID_AA64DFR0_EL1.TraceFilt: 1 with FEAT_TRF (TRFCR_EL1/TRFCR_EL2), 0 or absent without (Cortex-A57). */
  readonly traceFilt?: number;
  /** ID_AA64DFR0_EL1.TraceBuffer: 1 with FEAT_TRBE (TRBLIMITR_EL1), 0 or absent without. */
  readonly traceBuffer?: number;
  /** PMCR_EL0.N (`--pmu-counters`): the host's MDCR_EL2.HPMN from boot; 0 or absent, no event counters. */
  readonly pmuCounters?: number;
}

/**
 * ID_AA64DFR0_EL1 for `cpu`: Cortex-A57's 0x10305106 (DebugVer 6, PMUVer 1, CTX_CMPs 2) with
 * BRPs [15:12] and WRPs [23:20] holding "count - 1" (Arm ARM D13.2.51): the fixed fields are
 * 0x10000106, and the two counts are filled in.
 */
export function idAa64dfr0(cpu: DebugCpu): number {
  // TraceFilt [43:40] and TraceBuffer [47:44] lie above 32 bits: added as numbers, not with 32-bit shifts.
  const low = (0x10000106 | ((cpu.brps - 1) << 12) | ((cpu.wrps - 1) << 20)) >>> 0;
  return low + (cpu.traceFilt ?? 0) * 2 ** 40 + (cpu.traceBuffer ?? 0) * 2 ** 44;
}

/** Builds the register file of a CPU with `cpu.brps` breakpoints and `cpu.wrps` watchpoints. */
export function arm64RegisterFile(cpu: DebugCpu): RegisterFile {
  const specs: RegisterSpec[] = [];
  for (const [prefix, width] of [
    ['DBGBVR', 64],
    ['DBGBCR', 32],
    ['DBGWVR', 64],
    ['DBGWCR', 32],
  ] as const) {
    for (let n = 0; n < MAX_SLOTS; n++) specs.push({ name: `${prefix}${n}_EL1`, width, reset: 0, write: 'rw' });
  }
  specs.push({ name: 'MDSCR_EL1', width: 32, reset: 0, write: 'rw' });
  specs.push({ name: 'MDCCINT_EL1', width: 32, reset: 0, write: 'rw' });
  // The host's MDCR_EL2 as Linux's EL2 set-up leaves it: HPMN = PMCR_EL0.N, every trap clear (options.ts PMU_COUNTERS_OPTION).
  specs.push({ name: 'MDCR_EL2', width: 32, reset: (cpu.pmuCounters ?? 0) & MDCR_EL2_HPMN_MASK, write: 'rw' });
  specs.push({ name: 'ID_AA64DFR0_EL1', width: 64, reset: idAa64dfr0(cpu), write: 'ro' });
  // Arm ARM D19.2 TRFCR_EL1/TRFCR_EL2 (reset UNKNOWN; Linux leaves 0 until a trace driver writes them); TRBLIMITR_EL1 E = 0.
  specs.push({ name: 'TRFCR_EL1', width: 64, reset: 0, write: 'rw' });
  specs.push({ name: 'TRFCR_EL2', width: 64, reset: 0, write: 'rw' });
  specs.push({ name: 'TRBLIMITR_EL1', width: 64, reset: 0, write: 'rw' });
  return defineRegisterFile(specs, (id) => {
    if (id === TRBLIMITR_EL1) return (cpu.traceBuffer ?? 0) !== 0;
    if (id >= TRFCR_EL1) return (cpu.traceFilt ?? 0) !== 0;
    if (id >= MDSCR_EL1) return true;
    const n = id % MAX_SLOTS;
    return id < DBGWVR(0) ? n < cpu.brps : n < cpu.wrps;
  });
}

/**
 * SPSR_EL2 on an nVHE CPU (after the arm64 registers; arm64-vhe numbers its own): the guest's PSTATE
 * as an exception to EL2 saves it and hyp's ERET restores it, in every era (4.5 hyp/sysreg-sr.c
 * __sysreg_save_state/__sysreg_restore_state; 6.14 fixup_guest_exit's synchronize_vcpu_pstate and
 * __sysreg_restore_el2_return_state); only SS is modelled, used by userspace single-step (`--gdb 1`)
 * and the guest's own (`--guest-step 1`).
 */
export const SPSR_EL2 = REGISTER_COUNT;
/**
 * The OS Lock on an nVHE CPU with `--oslock 1` (after SPSR_EL2; absent otherwise, so the default
 * register file is as it was): OSLAR_EL1 (write-only) and OSLSR_EL1 (read-only), Arm ARM D13.3.
 */
export const OSLAR_EL1 = REGISTER_COUNT + 1;
export const OSLSR_EL1 = REGISTER_COUNT + 2;
// asm/sysreg.h: OSLAR_EL1_OSLK BIT(0), OSLSR_EL1_OSLK BIT(1), OSLSR_EL1_OSLM_IMPLEMENTED BIT(3)
export const OSLAR_OSLK = 1 << 0;
export const OSLSR_OSLK = 1 << 1;
export const OSLSR_OSLM_IMPLEMENTED = 1 << 3;

/** OSLAR_EL1 and OSLSR_EL1 as a register file adds them (arm64-vhe numbers its own). */
export const OS_LOCK_SPECS: readonly RegisterSpec[] = [
  // OSLAR_EL1 is write-only; the model never has anyone read it.
  { name: 'OSLAR_EL1', width: 64, reset: 0, write: 'rw' },
  { name: 'OSLSR_EL1', width: 64, reset: OSLSR_OSLM_IMPLEMENTED, write: 'ro' },
];

/** The nVHE CPU's register file: the arm64 registers and SPSR_EL2, then the OS Lock's with `osLock`. */
export const nvheRegisterFile = (cpu: DebugCpu, osLock = false): RegisterFile =>
  extendRegisterFile(arm64RegisterFile(cpu), [{ name: 'SPSR_EL2', width: 64, reset: 0, write: 'rw' }, ...(osLock ? OS_LOCK_SPECS : [])]);
