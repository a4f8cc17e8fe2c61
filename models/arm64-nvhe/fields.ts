/**
 * The fields of the arm64 debug registers and of KVM's memory words, for reports: the same
 * constants the model and the policies use (registers.ts, trace.ts, policies/), so each bit is
 * named once. Sources as cited there: Arm ARM D13.3 (DBGBCR/DBGWCR, MDSCR_EL1), asm/kvm_arm.h
 * (MDCR_EL2), asm/debug-monitors.h, arch/arm64/tools/sysreg (TRFCR_ELx), kvm_host.h.
 */
import { type BitField, type FieldTable, flags } from '../../src/engine/register-fields.js';
import { TRACE_EXCLUDE_GUEST, TRACE_EXCLUDE_HOST } from '../../src/engine/trace-session.js';
import { VMM_DEBUG_ENABLE, VMM_DEBUG_HW, VMM_DEBUG_STEP } from '../../src/model-kit/debug-status.js';
import {
  EL1_TRACING_CONFIGURED,
  GUEST_SS_ACTIVE_PENDING,
  HOST_SS_ACTIVE_PENDING,
  KVM_GUESTDBG_ENABLE,
  KVM_GUESTDBG_SINGLESTEP,
  KVM_GUESTDBG_USE_HW,
  TRBE_ENABLED,
  VCPU_DEBUG_GUEST_OWNED,
  VCPU_DEBUG_HOST_OWNED,
} from './kvm-flags.js';
import { DEBUG_STATE_SAVE_TRFCR } from './policies/arm64-trfcr-2023.js';
import { KVM_ARM64_DEBUG_DIRTY } from './policies/hyp.js';
import {
  BCR_E,
  BCR_PMC_SHIFT,
  DBG_MDSCR_KDE,
  DBG_MDSCR_MDE,
  DBG_MDSCR_SS,
  DBG_SPSR_SS,
  LSC_LOAD,
  LSC_STORE,
  MAX_SLOTS,
  MDCCINT_RX,
  MDCCINT_TX,
  MDCR_EL2_HPMN_MASK,
  MDCR_EL2_TDA,
  MDCR_EL2_TDE,
  MDCR_EL2_TDOSA,
  MDCR_EL2_TDRA,
  MDCR_EL2_TPM,
  MDCR_EL2_TPMCR,
  MDCR_EL2_TTRF,
  OSLAR_OSLK,
  OSLSR_OSLK,
  OSLSR_OSLM_IMPLEMENTED,
  PRIV_EL0,
  PRIV_EL1,
  WCR_E,
  WCR_LSC_SHIFT,
  WCR_PAC_SHIFT,
} from './registers.js';
import { TRBLIMITR_EL1_E, TRFCR_E0TRE, TRFCR_E1TRE, TRFCR_EL2_CX, TRFCR_TS_VIRTUAL } from './trace.js';

/** PMC/PAC [2:1]: who the comparator matches for (HMC = 0, SSC = 0). */
const PRIVILEGE = { [PRIV_EL1]: 'EL1', [PRIV_EL0]: 'EL0', [PRIV_EL1 | PRIV_EL0]: 'EL0|EL1' };

/** HMC [13], SSC [15:14], LBN [19:16]: the same in DBGBCR and DBGWCR (HMC is hw_breakpoint.h DBG_HMC_HYP, set for a VHE host's EL2 breakpoints). */
const STATE_CONTROL: readonly BitField[] = [
  { name: 'HMC', mask: 1 << 13 },
  { name: 'SSC', mask: 0b11 << 14 },
  { name: 'LBN', mask: 0xf << 16 },
];

/** Fields of DBGBCR<n>_EL1 (Arm ARM D13.3.2): E, PMC [2:1], BAS [8:5], HMC [13], SSC [15:14], LBN [19:16], BT [23:20]. */
export const DBGBCR_FIELDS: readonly BitField[] = [
  { name: 'E', mask: BCR_E },
  { name: 'PMC', mask: 0b11 << BCR_PMC_SHIFT, values: PRIVILEGE },
  { name: 'BAS', mask: 0xf << 5 },
  ...STATE_CONTROL,
  { name: 'BT', mask: 0xf << 20 },
];

/** Fields of DBGWCR<n>_EL1 (Arm ARM D13.3.11): E, PAC [2:1], LSC [4:3], BAS [12:5], HMC, SSC, LBN, WT [20], MASK [28:24]. */
export const DBGWCR_FIELDS: readonly BitField[] = [
  { name: 'E', mask: WCR_E },
  { name: 'PAC', mask: 0b11 << WCR_PAC_SHIFT, values: PRIVILEGE },
  { name: 'LSC', mask: 0b11 << WCR_LSC_SHIFT, values: { [LSC_LOAD]: 'load', [LSC_STORE]: 'store', [LSC_LOAD | LSC_STORE]: 'load|store' } },
  { name: 'BAS', mask: 0xff << 5 },
  ...STATE_CONTROL,
  { name: 'WT', mask: 1 << 20 },
  { name: 'MASK', mask: 0x1f << 24 },
];

/** MDCR_EL2 (asm/kvm_arm.h): HPMN [4:0] and the debug/PMU trap bits. */
export const MDCR_EL2_FIELDS: readonly BitField[] = [
  { name: 'HPMN', mask: MDCR_EL2_HPMN_MASK },
  ...flags({ TPMCR: MDCR_EL2_TPMCR, TPM: MDCR_EL2_TPM, TDE: MDCR_EL2_TDE, TDA: MDCR_EL2_TDA, TDOSA: MDCR_EL2_TDOSA, TDRA: MDCR_EL2_TDRA }),
  // Named where set; "TTRF clear" would be added to every older policy's MDCR_EL2 line.
  { name: 'TTRF', mask: MDCR_EL2_TTRF, setOnly: true },
];

const MDSCR = flags({ SS: DBG_MDSCR_SS, KDE: DBG_MDSCR_KDE, MDE: DBG_MDSCR_MDE });
const TRFCR_EL1_FIELDS = [...flags({ E0TRE: TRFCR_E0TRE, E1TRE: TRFCR_E1TRE }), { name: 'TS', mask: 0b11 << 5, values: { 1: 'virtual' } }];
/** TRFCR_EL2: the same bits are E0HTRE and E2TRE, plus CX. */
const TRFCR_EL2_FIELDS = [
  ...flags({ E0HTRE: TRFCR_E0TRE, E2TRE: TRFCR_E1TRE, CX: TRFCR_EL2_CX }),
  { name: 'TS', mask: 0b11 << 5, values: { [TRFCR_TS_VIRTUAL >> 5]: 'virtual' } },
];

/** Every slot register of a kind, `DBGWCR0_EL1` … `DBGWCR15_EL1`, with the same fields. */
export const slotFields = (prefix: string, suffix: string, fields: readonly BitField[]): FieldTable =>
  Object.fromEntries(Array.from({ length: MAX_SLOTS }, (_, n) => [`${prefix}${n}${suffix}`, fields]));

/** The arm64 field table (nVHE; VHE extends it). */
let arm64FieldsTable: FieldTable | undefined;

/** Built on first use: the constants it names come from policy modules that import the model (a cycle at load time). */
export function arm64Fields(): FieldTable {
  arm64FieldsTable ??= {
    ...slotFields('DBGBCR', '_EL1', DBGBCR_FIELDS),
    ...slotFields('DBGWCR', '_EL1', DBGWCR_FIELDS),
    MDSCR_EL1: MDSCR,
    externalMdscrEl1: MDSCR,
    MDCCINT_EL1: flags({ TX: MDCCINT_TX, RX: MDCCINT_RX }),
    MDCR_EL2: MDCR_EL2_FIELDS,
    mdcrEl2: MDCR_EL2_FIELDS,
    TRFCR_EL1: TRFCR_EL1_FIELDS,
    guestTrfcrEl1: TRFCR_EL1_FIELDS,
    trfcrWhileInGuest: TRFCR_EL1_FIELDS,
    hostTrfcrEl1: TRFCR_EL1_FIELDS,
    TRFCR_EL2: TRFCR_EL2_FIELDS,
    TRBLIMITR_EL1: flags({ E: TRBLIMITR_EL1_E }),
    OSLAR_EL1: flags({ OSLK: OSLAR_OSLK }),
    OSLSR_EL1: flags({ OSLK: OSLSR_OSLK, OSLM_IMPLEMENTED: OSLSR_OSLM_IMPLEMENTED }),
    // kvm_host.h vcpu debug flags: KVM_ARM64_DEBUG_DIRTY; the 2023 series' DEBUG_STATE_SAVE_TRFCR.
    debugFlags: flags({ DEBUG_DIRTY: KVM_ARM64_DEBUG_DIRTY, DEBUG_STATE_SAVE_TRFCR }),
    debugOwner: [{ name: 'owner', mask: 0b11, values: { [VCPU_DEBUG_HOST_OWNED]: 'HOST_OWNED', [VCPU_DEBUG_GUEST_OWNED]: 'GUEST_OWNED' } }],
    guestDebug: flags({ ENABLE: KVM_GUESTDBG_ENABLE, SINGLESTEP: KVM_GUESTDBG_SINGLESTEP, USE_HW: KVM_GUESTDBG_USE_HW }),
    pstate: flags({ SS: DBG_SPSR_SS }),
    SPSR_EL2: flags({ SS: DBG_SPSR_SS }),
    vmmDebug: flags({ ENABLE: VMM_DEBUG_ENABLE, USE_HW: VMM_DEBUG_HW, SINGLESTEP: VMM_DEBUG_STEP }),
    ssFlags: flags({ GUEST_SS_ACTIVE_PENDING, HOST_SS_ACTIVE_PENDING }),
    hostDataFlags: flags({ TRBE_ENABLED, EL1_TRACING_CONFIGURED }),
    traceSession: flags({ EXCLUDE_GUEST: TRACE_EXCLUDE_GUEST, EXCLUDE_HOST: TRACE_EXCLUDE_HOST }),
  };
  return arm64FieldsTable;
}

/** What the arm64 events are in the kernel, where the common names (src/reports/kernel-names.ts) do not say. */
export const ARM64_KERNEL_EVENTS: Readonly<Record<string, string>> = {
  GUEST_ENTER: 'KVM_RUN: kvm_arch_vcpu_ioctl_run() -> __guest_run() at EL2 (nVHE)',
  GUEST_EXIT: 'an exit to EL2, back through __guest_run() to handle_exit()',
  GUEST_READ: 'guest MRS (trapped by MDCR_EL2.TDA: kvm_handle_sys_reg())',
  GUEST_WRITE: 'guest MSR (trapped by MDCR_EL2.TDA: kvm_handle_sys_reg())',
  HOST_TRACE: 'a perf/CoreSight trace session: etm4x_allow_trace() -> kvm_etm_set_guest_trfcr()',
  RUN_LOOP_TRACE: 'HOST_TRACE taken in KVM_RUN before local_irq_disable()',
};

/** The guest's OS Lock write (`--oslock 1`, both arm64 models). */
export const OS_LOCK_EVENTS: Readonly<Record<string, string>> = {
  GUEST_OS_LOCK: 'guest MSR OSLAR_EL1 (trapped by MDCR_EL2.TDOSA)',
};

/** arm64-nvhe with `--oslock 1`: its guests also read OSLSR_EL1, which TDOSA traps, not TDA (Arm ARM D13.2 MDCR_EL2). */
export const NVHE_OS_LOCK_EVENTS: Readonly<Record<string, string>> = {
  ...OS_LOCK_EVENTS,
  GUEST_READ: 'guest MRS (trapped by MDCR_EL2.TDA, OSLSR_EL1 by TDOSA: kvm_handle_sys_reg())',
};

/** The nVHE world switch as 6.14 names it (arm64-nvhe with --gdb 1: hyp/nvhe/switch.c, reached through kvm_call_hyp_ret). */
export const ARM64_NVHE_6_14_EVENTS: Readonly<Record<string, string>> = {
  GUEST_ENTER: 'KVM_RUN: kvm_arch_vcpu_ioctl_run() -> __kvm_vcpu_run() at EL2 (nVHE)',
  GUEST_EXIT: 'an exit to EL2, back through __kvm_vcpu_run() to handle_exit()',
};

/** KVM_RUN's return and userspace's ioctls as 4.16+ runs them (arm64-vhe; arm64-nvhe with --gdb 1). */
export const ARM64_RUN_LOOP_EVENTS: Readonly<Record<string, string>> = {
  RUN_RETURN: "KVM_RUN returns to userspace: kvm_arch_vcpu_ioctl_run()'s out: path, then vcpu_put()",
  VMM_GET_REG: 'KVM_GET_ONE_REG (no vcpu_load since 4.16: vcpu_put() before, vcpu_load() after)',
  VMM_SET_REG: 'KVM_SET_ONE_REG (no vcpu_load since 4.16: vcpu_put() before, vcpu_load() after)',
  VMM_SET_GUEST_DEBUG: 'KVM_SET_GUEST_DEBUG (no vcpu_load since 4.16: vcpu_put() before, vcpu_load() after)',
};
