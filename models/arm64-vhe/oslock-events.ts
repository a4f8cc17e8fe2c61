/**
 * The guest's OS Lock on arm64 VHE: the guest writing OSLAR_EL1 to lock or unlock it (the event is
 * arm64-nvhe/os-lock.ts, shared with nVHE's `--oslock 1`; userspace debugging is in arm64-nvhe/vmm-debug-events.ts).
 */

import type { EventKind } from '../../src/engine/model.js';
import { osLockEvent } from '../arm64-nvhe/os-lock.js';
import { OSLAR_EL1, OSLSR_EL1 } from './registers.js';

/** GUEST_OS_LOCK {vcpu, lock} on VHE's OSLAR_EL1/OSLSR_EL1. */
export const guestOsLockEvent = (): EventKind => osLockEvent({ oslar: OSLAR_EL1, oslsr: OSLSR_EL1 });
