/**
 * GUEST_OS_LOCK {vcpu, lock}: the guest writes its OS Lock Access Register to lock or unlock the
 * OS Lock, and its OS Lock Status Register follows. Shared by the Arm models, each with its own
 * registers and values (arm64's OSLAR_EL1.OSLK, ARMv7's DBGOSLAR key).
 */

import type { EventKind } from '../engine/model.js';
import { vcpuEvent } from './events.js';

/** A model's OS Lock: its registers, and what the guest writes and then reads, unlocked (index 0) and locked (1). */
export interface OsLockSpec {
  readonly oslar: number;
  readonly oslsr: number;
  readonly writes: readonly [number, number];
  readonly status: readonly [number, number];
}

const OFF_ON = ['off', 'on'] as const;

/** GUEST_OS_LOCK on `spec`'s registers: a guest write (trapped or not, as the model says) of the access register. */
export function osLockEvent({ oslar, oslsr, writes, status }: OsLockSpec): EventKind {
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
      const lock = ev[2] as 0 | 1;
      // A step exception taken before the write means it never happened.
      if (x.model.instruction?.before(x, v, 1) || x.violation) return;
      x.setGuestIntent(v, oslsr, status[lock]);
      x.guestWrite(v, oslar, writes[lock]);
    },
  });
}
