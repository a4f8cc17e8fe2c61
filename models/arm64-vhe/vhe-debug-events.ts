/**
 * The VHE model's debug events: the arm64-nvhe ones (host debug users, guest code hitting
 * breakpoints), with the guest's OS Lock blocking its debug exceptions.
 */
import type { EventKind } from '../../src/model.js';
import { arm64DebugEvents, debugDomain } from '../arm64-nvhe/debug-events.js';
import { osLocked } from './hardware.js';

/** Builds the VHE debug events for a CPU with `brps` breakpoints and `wrps` watchpoints. */
export function vheDebugEvents(brps: number, wrps: number, small: boolean): EventKind[] {
  return arm64DebugEvents(brps, wrps, { ...debugDomain(brps, wrps, small), locked: osLocked });
}
