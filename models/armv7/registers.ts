/**
 * ARMv7-A CP14 debug registers as 32-bit KVM/arm (2015) sees them, and the Hyp trap register.
 * Sources: ARMv7-A/R ARM (DDI 0406C) C11.11 (DBGDIDR, DBGDSCR, DBGBVR/DBGBCR, DBGWVR/DBGWCR,
 * DBGVCR, DBGOSLAR/DBGOSLSR), B4.1.80 HDCR; kernel arch/arm/include/asm/hw_breakpoint.h, asm/kvm_arm.h, asm/hardware/cp14.h.
 * No DBGDCCINT: it is ARMv8's AArch32 view of MDCCINT_EL1 (ARMv7's cp14.h has none), and the 2015
 * series' vcpu cp14[] holds the 64 slot registers and DBGDSCRext only (NR_CP14_REGS 66): no DBGVCR,
 * no OS Lock.
 */
import { defineRegisterFile, type RegisterFile, type RegisterSpec } from '../../src/engine/register-file.js';
import { slotBcr, slotBvr, slotWcr, slotWvr } from '../arm-slots.js';

/** Architectural maximum of breakpoint and of watchpoint register pairs (hw_breakpoint.h ARM_MAX_BRP/WRP). */
export const MAX_SLOTS = 16;

/** Register ids: DBGBVR0..15, DBGBCR0..15, DBGWVR0..15, DBGWCR0..15 (the ARM slot layout), then the singletons. */
export const DBGBVR = slotBvr;
export const DBGBCR = slotBcr;
export const DBGWVR = slotWvr;
export const DBGWCR = slotWcr;
export const DBGDSCRext = 64;
export const HDCR = 65;
export const DBGDIDR = 66;
/** DBGVCR, the Vector Catch Register (MRC/MCR p14, 0, <Rt>, c0, c7, 0). */
export const DBGVCR = 67;
/** DBGOSLAR, the OS Lock Access Register (MCR p14, 0, <Rt>, c1, c0, 4): write-only, its write sets or clears the OS Lock. */
export const DBGOSLAR = 68;
/** DBGOSLSR, the OS Lock Status Register (MRC p14, 0, <Rt>, c1, c1, 4): read-only. */
export const DBGOSLSR = 69;
export const REGISTER_COUNT = 70;

/**
 * DBGVCR.NSI [30]: IRQ vector catch in Non-secure state (Security Extensions layout: ARMv7 ARM
 * C10.4 DBGVCR, Cortex-A8 TRM 12.4.8, Arm's AArch32 DBGVCR page). In Monitor debug-mode only a catch
 * on the Prefetch or Data Abort vector is UNPREDICTABLE (v7 Debug; ignored in v6), any other "generates
 * a Prefetch Abort exception" (ARMv7 ARM C3.4, Vector Catch debug events): with MDBGen set an NS IRQ
 * taken through the vector raises one, in IRQ mode, which Linux's vector stubs treat as invalid
 * (__pabt_invalid -> bad_mode(), a panic); hw_breakpoint_pending() would not handle it either
 * (method of entry 0b0101: "Unhandled fault").
 */
export const DBGVCR_NSI = 1 << 30;

/**
 * The DBGOSLAR key: writing it sets the OS Lock, "any other value" clears it (ARMv7 ARM C11.11
 * DBGOSLAR; Cortex-A15 TRM (DDI 0438) table 10.13). hw_breakpoint.c's CORESIGHT_UNLOCK (CS_LAR_KEY).
 */
export const DBGOSLAR_KEY = 0xc5acce55;
/** What reset_ctrl_regs() writes to clear the OS Lock on v7.1 Debug: ~CORESIGHT_UNLOCK. */
export const DBGOSLAR_UNLOCK = ~DBGOSLAR_KEY >>> 0;
/** DBGOSLSR.OSLK [1]: the OS Lock is set (ARMv7 ARM C11.11 DBGOSLSR; DDI 0438 table 10.14). */
export const DBGOSLSR_OSLK = 1 << 1;
/**
 * DBGOSLSR.OSLM [3,0] = 0b10, OS Lock implemented without DBGOSSRR (v7.1 Debug, as Cortex-A15 and
 * A7): 0x8 unlocked, 0xa locked, as arm64's OSLSR_EL1 (sys_regs.c trap_oslsr_el1's `1 << 3`).
 */
export const DBGOSLSR_OSLM_IMPLEMENTED = 1 << 3;

/** DBGOSLSR as the hardware shows it after `oslar` was the last value written to DBGOSLAR. */
export const oslsrAfter = (oslar: number): number => DBGOSLSR_OSLM_IMPLEMENTED | (oslar === DBGOSLAR_KEY ? DBGOSLSR_OSLK : 0);

// hw_breakpoint.h: DSCR monitor/halting bits
export const ARM_DSCR_HDBGEN = 1 << 14;
export const ARM_DSCR_MDBGEN = 1 << 15;

// kvm_arm.h (arch/arm): Hyp Debug Configuration Register
export const HDCR_HPMN_MASK = 0x1f;
export const HDCR_TPMCR = 1 << 5;
export const HDCR_TPM = 1 << 6;
export const HDCR_TDE = 1 << 8;
export const HDCR_TDA = 1 << 9;
export const HDCR_TDOSA = 1 << 10;
export const HDCR_TDRA = 1 << 11;

// hw_breakpoint.h encode_ctrl_reg(): (mismatch << 22) | (len << 5) | (type << 3) | (privilege << 1) | enabled
export const CTRL_E = 1 << 0;
export const ARM_BREAKPOINT_PRIV = 1; // PMC/PAC 0b01: PL1 only
export const ARM_BREAKPOINT_USER = 2; // 0b10: PL0 (User) only
export const ARM_BREAKPOINT_LOAD = 1; // LSC [4:3]
export const ARM_BREAKPOINT_STORE = 2;
export const ARM_BREAKPOINT_LEN_4 = 0xf; // BAS: a word (an ARM instruction)
export const BCR_MISMATCH = 1 << 22; // BT [23:20] = 0b0100: unlinked instruction address mismatch

/** encode_ctrl_reg() for an enabled breakpoint at `privilege`; `mismatch` for the single-step breakpoint. */
export const bcr = (privilege: number, mismatch = false): number =>
  ((mismatch ? BCR_MISMATCH : 0) | (ARM_BREAKPOINT_LEN_4 << 5) | (privilege << 1) | CTRL_E) >>> 0;
/** encode_ctrl_reg() for an enabled word watchpoint at `privilege` on loads/stores `type`. */
export const wcr = (privilege: number, type: number): number => (ARM_BREAKPOINT_LEN_4 << 5) | (type << 3) | (privilege << 1) | CTRL_E;

/** The CPU's debug resources: numbers of breakpoint and watchpoint pairs (each 2..16). */
export interface DebugCpu {
  readonly brps: number;
  readonly wrps: number;
}

/**
 * DBGDIDR for `cpu` (ARMv7 ARM C11.11.15): WRPs [31:28] and BRPs [27:24] hold "count - 1",
 * CTX_CMPs [23:20] = 1, Version [19:16] = 5 (ARM_DEBUG_ARCH_V7_1), DEVID_imp, nSUHD_imp, PCSR_imp
 * and SE_imp [15:12] set: Cortex-A15's 0x3515F000 (DDI 0438) for the default 6 + 4.
 */
export function dbgdidr(cpu: DebugCpu): number {
  return (((cpu.wrps - 1) << 28) | ((cpu.brps - 1) << 24) | 0x0015f000) >>> 0;
}

/** BRPs and WRPs as hw_breakpoint.c get_num_brp_resources()/get_num_wrps() read them from DBGDIDR. */
export function didrCounts(didr: number): DebugCpu {
  return { brps: ((didr >>> 24) & 0xf) + 1, wrps: ((didr >>> 28) & 0xf) + 1 };
}

/** Builds the register file of a CPU with `cpu.brps` breakpoints and `cpu.wrps` watchpoints. */
export function armv7RegisterFile(cpu: DebugCpu): RegisterFile {
  const specs: RegisterSpec[] = [];
  for (const prefix of ['DBGBVR', 'DBGBCR', 'DBGWVR', 'DBGWCR']) {
    for (let n = 0; n < MAX_SLOTS; n++) specs.push({ name: `${prefix}${n}`, width: 32, reset: 0, write: 'rw' });
  }
  specs.push({ name: 'DBGDSCRext', width: 32, reset: 0, write: 'rw' });
  specs.push({ name: 'HDCR', width: 32, reset: 0, write: 'rw' });
  specs.push({ name: 'DBGDIDR', width: 32, reset: dbgdidr(cpu), write: 'ro' });
  // hw_breakpoint.c reset_ctrl_regs(): "Clear any configured vector-catch events before enabling monitor mode."
  specs.push({ name: 'DBGVCR', width: 32, reset: 0, write: 'rw' });
  // reset_ctrl_regs(): "Unconditionally clear the OS lock by writing a value other than CS_LAR_KEY
  // to the access register" (v7.1 Debug), so the CPU leaves boot unlocked. DBGOSLAR is write-only:
  // the model keeps the last value written (0 at reset: a value other than the key, as memory copies
  // keep an unlocked lock), and DBGOSLSR follows it (hardware.ts osLockLatch).
  specs.push({ name: 'DBGOSLAR', width: 32, reset: 0, write: 'rw' });
  specs.push({ name: 'DBGOSLSR', width: 32, reset: oslsrAfter(0), write: 'ro' });
  return defineRegisterFile(specs, (id) => {
    if (id >= DBGDSCRext) return true;
    const n = id % MAX_SLOTS;
    return id < DBGWVR(0) ? n < cpu.brps : n < cpu.wrps;
  });
}

/**
 * The cost of a hardware access, in cycles. MRC p14 8 and MCR p14 5: measured on a D01 board
 * (Cortex-A15) by Zhichao Huang, kvm list, 13 July 2015 (the armv7-debug-dirty-bit-2015 seed).
 * HDCR is a CP15 register (MRC/MCR p15, 4, c1, c1, 1) with no published figure: an ESTIMATE, charged
 * as a CP14 access.
 */
export const ARMV7_COSTS = { read: 8, write: 5, note: 'MRC p14 8 cycles, MCR p14 5 cycles (D01 board, seed); HDCR (p15) estimated as p14' };
