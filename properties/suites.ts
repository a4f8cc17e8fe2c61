/** The invariants, in the order they are checked: the more specific claim first, so it names the bug. */
import type { Invariant } from '../src/invariant.js';
import debugStatusConsumed from './debug-status-consumed.js';
import guestBreakpointsEffective from './guest-breakpoints-effective.js';
import guestBreakpointsQuietInHost from './guest-breakpoints-quiet-in-host.js';
import guestIsolation from './guest-isolation.js';
import guestStepPreserved from './guest-step-preserved.js';
import hostBreakpointsPreserved from './host-breakpoints-preserved.js';
import hostBreakpointsQuietInGuest from './host-breakpoints-quiet-in-guest.js';
import noStaleRead from './no-stale-read.js';
import policyTotal from './policy-total.js';
import traceFilterHonored from './trace-filter-honored.js';
import userspaceDebugHonored from './userspace-debug-honored.js';

/** Every invariant, in checking order. */
export const invariants: readonly Invariant[] = [
  policyTotal,
  guestIsolation,
  hostBreakpointsQuietInGuest,
  guestBreakpointsEffective,
  guestBreakpointsQuietInHost,
  guestStepPreserved,
  traceFilterHonored,
  hostBreakpointsPreserved,
  noStaleRead,
  userspaceDebugHonored,
  debugStatusConsumed,
];

/** The invariants that apply to `arch`. */
export function invariantsFor(arch: string): Invariant[] {
  return invariants.filter((i) => i.archs === undefined || i.archs.includes(arch));
}
