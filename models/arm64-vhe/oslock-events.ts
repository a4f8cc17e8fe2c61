/**
 * The guest's OS Lock on arm64 VHE: the guest writing OSLAR_EL1 to lock or unlock it (userspace
 * debugging, shared with arm64-nvhe, is in arm64-nvhe/vmm-debug-events.ts).
 */

import type { EventKind } from '../../src/engine/model.js';
import { vcpuEvent } from '../../src/model-kit/events.js';
import { OFF_ON } from '../arm64-nvhe/vmm-debug-events.js';
import { OSLAR_EL1, OSLAR_OSLK, OSLSR_EL1, OSLSR_OSLK, OSLSR_OSLM_IMPLEMENTED } from './registers.js';

/** GUEST_OS_LOCK {vcpu, lock}: the guest writes OSLAR_EL1.OSLK; its OSLSR_EL1.OSLK follows (Arm ARM D13.3 OSLAR_EL1). */
export function guestOsLockEvent(): EventKind {
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
      x.setGuestIntent(v, OSLSR_EL1, OSLSR_OSLM_IMPLEMENTED | (lock ? OSLSR_OSLK : 0));
      x.guestWrite(v, OSLAR_EL1, lock ? OSLAR_OSLK : 0);
    },
  });
}
