/**
 * The guest's OS Lock on arm64, shared by arm64-vhe and arm64-nvhe with `--oslock 1` (each numbers
 * OSLAR_EL1/OSLSR_EL1 in its own register file): the guest writing OSLAR_EL1 to lock or unlock it,
 * what OSLSR_EL1.OSLK does to debug exceptions, and which accesses trap. Sources: Arm ARM (DDI 0487)
 * D13.3 OSLAR_EL1, OSLSR_EL1; D13.2 MDCR_EL2.{TDOSA,TDE}; pseudocode AArch64.GenerateDebugExceptionsFrom
 * (OSLSR_EL1.OSLK set: no breakpoint, watchpoint or software step exception).
 */

import type { EventKind } from '../../src/engine/model.js';
import { vcpuEvent } from '../../src/model-kit/events.js';
import { MDCR_EL2, MDCR_EL2_TDE, MDCR_EL2_TDOSA, OSLAR_OSLK, OSLSR_OSLK, OSLSR_OSLM_IMPLEMENTED } from './registers.js';
import { OFF_ON } from './vmm-debug-events.js';

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
  return vcpuEvent('GUEST_OS_LOCK', 'GUEST_WRITE', 1, {
    operands: [['lock', OFF_ON]],
    decode(_x, r, ev) {
      ev[2] = r % 2;
    },
    each(_x, ev, emit) {
      for (const lock of [0, 1]) {
        ev[2] = lock;
        emit(ev);
      }
    },
    apply(x, ev) {
      const v = ev[1] as number;
      const lock = ev[2] === 1;
      // A step exception taken before the OSLAR_EL1 write means it never happened.
      if (x.model.instruction?.before(x, v, 1) || x.violation) return;
      x.setGuestIntent(v, oslsr, OSLSR_OSLM_IMPLEMENTED | (lock ? OSLSR_OSLK : 0));
      x.guestWrite(v, oslar, lock ? OSLAR_OSLK : 0);
    },
  });
}
