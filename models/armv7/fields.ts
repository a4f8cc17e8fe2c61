/**
 * The fields of the ARMv7 CP14 debug registers and HDCR, for reports, from the constants in
 * registers.ts (hw_breakpoint.h encode_ctrl_reg(), ARM_DSCR_*; arch/arm kvm_arm.h HDCR_*) and the
 * dirty flag of policies/hyp.ts (kvm_asm.h KVM_ARM_DEBUG_DIRTY).
 */
import { type BitField, type FieldTable, flags } from '../../src/engine/register-fields.js';
import { GUEST_LIVE, KVM_ARM_DEBUG_DIRTY } from './policies/hyp.js';
import {
  ARM_BREAKPOINT_LOAD,
  ARM_BREAKPOINT_PRIV,
  ARM_BREAKPOINT_STORE,
  ARM_BREAKPOINT_USER,
  ARM_DSCR_HDBGEN,
  ARM_DSCR_MDBGEN,
  CTRL_E,
  DBGOSLSR_OSLK,
  DBGOSLSR_OSLM_IMPLEMENTED,
  HDCR_HPMN_MASK,
  HDCR_TDA,
  HDCR_TDE,
  HDCR_TDOSA,
  HDCR_TDRA,
  HDCR_TPM,
  HDCR_TPMCR,
  MAX_SLOTS,
} from './registers.js';

const PRIVILEGE = { [ARM_BREAKPOINT_PRIV]: 'PL1', [ARM_BREAKPOINT_USER]: 'PL0', [ARM_BREAKPOINT_PRIV | ARM_BREAKPOINT_USER]: 'PL0|PL1' };

/** DBGBCR (ARMv7 ARM C11.11.9): E, PMC [2:1], BAS [8:5], BT [23:20] (0b0100: unlinked address mismatch). */
const DBGBCR: readonly BitField[] = [
  { name: 'E', mask: CTRL_E },
  { name: 'PMC', mask: 0b11 << 1, values: PRIVILEGE },
  { name: 'BAS', mask: 0xf << 5 },
  { name: 'BT', mask: 0xf << 20, values: { 4: 'mismatch' } },
];

/** DBGWCR (C11.11.45): E, PAC [2:1], LSC [4:3], BAS [12:5]. */
const DBGWCR: readonly BitField[] = [
  { name: 'E', mask: CTRL_E },
  { name: 'PAC', mask: 0b11 << 1, values: PRIVILEGE },
  {
    name: 'LSC',
    mask: 0b11 << 3,
    values: { [ARM_BREAKPOINT_LOAD]: 'load', [ARM_BREAKPOINT_STORE]: 'store', [ARM_BREAKPOINT_LOAD | ARM_BREAKPOINT_STORE]: 'load|store' },
  },
  { name: 'BAS', mask: 0xff << 5 },
];

const slots = (prefix: string, fields: readonly BitField[]): FieldTable =>
  Object.fromEntries(Array.from({ length: MAX_SLOTS }, (_, n) => [`${prefix}${n}`, fields]));

/** The armv7 field table. */
let armv7FieldsTable: FieldTable | undefined;

/** Built on first use: the constants it names come from policy modules that import the model (a cycle at load time). */
export function armv7Fields(): FieldTable {
  armv7FieldsTable ??= {
    ...slots('DBGBCR', DBGBCR),
    ...slots('DBGWCR', DBGWCR),
    DBGDSCRext: flags({ HDBGen: ARM_DSCR_HDBGEN, MDBGen: ARM_DSCR_MDBGEN }),
    DBGOSLSR: flags({ OSLK: DBGOSLSR_OSLK, OSLM_IMPLEMENTED: DBGOSLSR_OSLM_IMPLEMENTED }),
    HDCR: [
      { name: 'HPMN', mask: HDCR_HPMN_MASK },
      ...flags({ TPMCR: HDCR_TPMCR, TPM: HDCR_TPM, TDE: HDCR_TDE, TDA: HDCR_TDA, TDOSA: HDCR_TDOSA, TDRA: HDCR_TDRA }),
    ],
    debugFlags: flags({ DEBUG_DIRTY: KVM_ARM_DEBUG_DIRTY, GUEST_LIVE }),
    // hostN.onReg holds hw_breakpoint.c's bp_on_reg[]/wp_on_reg[] occupancy (1 = a perf event), not control values.
    ...Object.fromEntries(['DBGBCR', 'DBGWCR'].flatMap((p) => Array.from({ length: MAX_SLOTS }, (_, n) => [`onReg.${p}${n}`, []]))),
  };
  return armv7FieldsTable;
}

/** armv7's events in the kernel. */
export const ARMV7_KERNEL_EVENTS: Readonly<Record<string, string>> = {
  GUEST_ENTER: 'KVM_RUN: kvm_arch_vcpu_ioctl_run() -> __kvm_vcpu_run (Hyp mode, interrupts.S)',
  GUEST_EXIT: 'an exception to Hyp mode, back through __kvm_vcpu_run to handle_exit()',
  GUEST_READ: 'guest MRC p14 (trapped by HDCR.TDA: kvm_handle_cp14_access())',
  GUEST_WRITE: 'guest MCR p14 (trapped by HDCR.TDA: kvm_handle_cp14_access())',
  VCPU_RESET: 'KVM_ARM_VCPU_INIT: kvm_reset_vcpu()',
};

/** armv7 with `--oslock 1`: its guests also write DBGOSLAR and read DBGOSLSR, which TDOSA traps, not TDA. */
export const ARMV7_OS_LOCK_EVENTS: Readonly<Record<string, string>> = {
  ...ARMV7_KERNEL_EVENTS,
  GUEST_READ: 'guest MRC p14 (trapped by HDCR.TDA, DBGOSLSR by TDOSA: kvm_handle_cp14_access())',
  GUEST_OS_LOCK: 'guest MCR p14 to DBGOSLAR (trapped by HDCR.TDOSA: kvm_handle_cp14_access())',
};
