/**
 * The guest's OS Lock on arm64, shared by arm64-vhe and arm64-nvhe with `--oslock 1` (each numbers
 * OSLAR_EL1/OSLSR_EL1 in its own register file): the guest writing OSLAR_EL1 to lock or unlock it,
 * what OSLSR_EL1.OSLK does to debug exceptions, and which accesses trap. Sources: Arm ARM (DDI 0487)
 * D13.3 OSLAR_EL1, OSLSR_EL1; D13.2 MDCR_EL2.{TDOSA,TDE}; pseudocode AArch64.GenerateDebugExceptionsFrom
 * (OSLSR_EL1.OSLK set: no breakpoint, watchpoint or software step exception).
 */

import type { EventKind } from '../../src/engine/model.js';
import { osLockEvent as guestOsLock } from '../../src/model-kit/os-lock-event.js';
import { MDCR_EL2, MDCR_EL2_TDE, MDCR_EL2_TDOSA, OSLAR_OSLK, OSLSR_OSLK, OSLSR_OSLM_IMPLEMENTED } from './registers.js';

/** Where a model keeps the OS Lock registers. */
export interface OsLockRegs {
  readonly oslar: number;
  readonly oslsr: number;
}

/** OSLSR_EL1.OSLK set in register file `r` at `o`: no breakpoint, watchpoint or step exception is generated. */
export const osLockedBy =
  ({ oslsr }: OsLockRegs) =>
  (r: Float64Array, o: number): boolean =>
    ((r[o + oslsr] as number) & OSLSR_OSLK) !== 0;

/**
 * Whether an EL1 access to OSLAR_EL1/OSLSR_EL1 traps: MDCR_EL2.TDOSA; TDE set makes TDOSA behave as 1
 * for all purposes but a direct read (Arm ARM D13.2 MDCR_EL2.TDE), as for TDA.
 */
export const osLockAccessTraps = (r: Float64Array, o: number): boolean =>
  ((r[o + MDCR_EL2] as number) & (MDCR_EL2_TDOSA | MDCR_EL2_TDE)) !== 0;

/** GUEST_OS_LOCK {vcpu, lock}: the guest writes OSLAR_EL1.OSLK; its OSLSR_EL1.OSLK follows (Arm ARM D13.3 OSLAR_EL1). */
export function osLockEvent({ oslar, oslsr }: OsLockRegs): EventKind {
  return guestOsLock({
    oslar,
    oslsr,
    writes: [0, OSLAR_OSLK],
    status: [OSLSR_OSLM_IMPLEMENTED, OSLSR_OSLM_IMPLEMENTED | OSLSR_OSLK],
  });
}
