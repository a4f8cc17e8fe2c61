/**
 * The VHE model's debug events: the arm64-nvhe ones (host debug users, guest code hitting
 * breakpoints) on a CPU whose host runs with HCR_EL2.TGE = 1: host kernel breakpoints carry HMC and
 * match at EL2, host debug exceptions go to EL2, and the guest's OS Lock blocks its debug exceptions.
 */
import type { EventKind } from '../../src/engine/model.js';
import { arm64DebugEvents, debugDomain } from '../arm64-nvhe/debug-events.js';
import { osLocked, vheBreakpointHits, vheRoutesToEl2, vheWatchpointHits } from './hardware.js';
import { BCR_HMC } from './registers.js';

/** Builds the VHE debug events for a CPU with `brps` breakpoints and `wrps` watchpoints. */
export function vheDebugEvents(brps: number, wrps: number, small: boolean, smallSlots = 1): EventKind[] {
  return arm64DebugEvents(brps, wrps, {
    ...debugDomain(brps, wrps, small, smallSlots),
    locked: osLocked,
    cpu: {
      breakpointHits: (r, o, el, addr) => vheBreakpointHits(r, o, el, addr, brps, wrps),
      watchpointHits: (r, o, el, addr, isStore) => vheWatchpointHits(r, o, el, addr, isStore, brps, wrps),
      routesToEl2: vheRoutesToEl2,
      hostKernelCtrl: BCR_HMC,
    },
  });
}
