/** The invariants, in the order they are checked: the more specific claim first, so it names the bug. */
import type { Invariant } from '../src/engine/invariant.js';
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

/**
 * Every invariant, in checking order (DESIGN §10, README "Checking order"): when one observation
 * point breaks several, the first in this list is reported and the others are listed as also broken.
 * The more specific claim comes first: a hook's own failure; a host value the guest can see; the
 * userspace debugger's breakpoints (while it owns the slots, before the guest's slot claims); then
 * the slot claims, the trace filter, the host's registers, stale reads and debug status.
 */
export const invariants: readonly Invariant[] = [
  policyTotal,
  guestIsolation,
  userspaceDebugHonored,
  hostBreakpointsQuietInGuest,
  guestBreakpointsEffective,
  guestBreakpointsQuietInHost,
  guestStepPreserved,
  traceFilterHonored,
  hostBreakpointsPreserved,
  noStaleRead,
  debugStatusConsumed,
];

/** The invariants that apply to `arch`. */
export function invariantsFor(arch: string): Invariant[] {
  return invariants.filter((i) => i.archs === undefined || i.archs.includes(arch));
}
