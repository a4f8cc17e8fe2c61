/**
 * Planted slips in x86-lazy-2014 (on top of x86-lazy-2014-fixed, which holds): each is found by
 * random checking and by exhaustive exploration (depth 7), under the invariant that names it.
 */
import { describe, expect, it } from 'vitest';
import { x86Svm, x86Vmx } from '../../models/x86/model.js';
import { invariantsFor } from '../../properties/suites.js';
import { check } from '../../src/searches/check.js';
import { explore } from '../../src/searches/explore.js';
import { exitsNotRearmed, generalDetectNotEmulated, hostAddressesNotRestored, userspaceBreakpointsNotLoaded } from './x86-mutants.js';

const CASES = [
  // After the guest used DR0-DR3, the host's DR7 comes back while the guest's addresses stay.
  ['host DR0-DR3 not restored while perf uses them', 'x86-vmx', hostAddressesNotRestored('x86-vmx'), 'guest-breakpoints-quiet-in-host'],
  ['host DR0-DR3 not restored while perf uses them', 'x86-svm', hostAddressesNotRestored('x86-svm'), 'guest-breakpoints-quiet-in-host'],
  // WONT_EXIT is cleared but DR accesses no longer exit: the guest reads DR0-DR3 the host left there.
  ['MOV-DR exiting not re-armed after the sync', 'x86-vmx', exitsNotRearmed('x86-vmx'), 'guest-isolation'],
  ['DR intercepts not re-armed after the sync', 'x86-svm', exitsNotRearmed('x86-svm'), 'guest-isolation'],
  // The guest's MOV DR executes although DR7.GD is set: no #DB(BD) reaches its DR6, and GD stays
  // set. No host breakpoint is involved: the guest's own view of DR6 is what is wrong.
  ['guest DR7.GD not emulated by handle_dr', 'x86-vmx', generalDetectNotEmulated, 'no-stale-read'],
  // KVM_SET_GUEST_DEBUG(USE_HW_BP) never reaches GUEST_DR7: the guest's own DR7 stays in force.
  // The debugger owns the slots, so its claim is the one reported (checking order).
  ['userspace breakpoints not loaded', 'x86-vmx', userspaceBreakpointsNotLoaded('x86-vmx'), 'userspace-debug-honored'],
  ['userspace breakpoints not loaded', 'x86-svm', userspaceBreakpointsNotLoaded('x86-svm'), 'userspace-debug-honored'],
] as const;

const archOf = (id: string) => (id === 'x86-vmx' ? x86Vmx : x86Svm);

describe('mutants of x86-lazy-2014 are found (seed 1)', () => {
  it.each(CASES)('finds "%s" on %s, with a short trace', (_bug, id, policy, invariant) => {
    const arch = archOf(id);
    const r = check(policy, { arch, invariants: invariantsFor(id), seed: 1, runs: 2000 });
    expect(r.verdict).toBe('violated');
    expect(r.violation?.invariant).toBe(invariant);
    expect(r.trace.length).toBeLessThanOrEqual(8);
  });

  it.each(CASES)('explores "%s" on %s to a violation within 7 events', (_bug, id, policy) => {
    const r = explore(policy, { arch: archOf(id), invariants: invariantsFor(id), depth: 7 });
    expect(r.verdict).toBe('violated');
    expect(r.trace?.length).toBeLessThanOrEqual(7);
  });

  it('finds the userspace-breakpoint slip under userspace-debug-honored when that claim is checked alone', () => {
    const only = invariantsFor('x86-vmx').filter((i) => i.name === 'userspace-debug-honored' || i.name === 'policy-total');
    const r = check(userspaceBreakpointsNotLoaded('x86-vmx'), { arch: x86Vmx, invariants: only, seed: 1, runs: 2000 });
    expect(r.violation?.invariant).toBe('userspace-debug-honored');
    expect(r.violation?.message).toMatch(/userspace's breakpoint DR\d for vcpu0 \(armed via KVM_SET_GUEST_DEBUG\) is not effective/);
  });

  it('finds the GD slip under no-stale-read when that claim is checked alone', () => {
    const only = invariantsFor('x86-vmx').filter((i) => i.name === 'no-stale-read' || i.name === 'policy-total');
    const r = check(generalDetectNotEmulated, { arch: x86Vmx, invariants: only, seed: 1, runs: 2000 });
    expect(r.violation?.invariant).toBe('no-stale-read');
    expect(r.violation?.register).toMatch(/DR[0-7]/);
  });
});
