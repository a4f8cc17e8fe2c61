/**
 * x86-lazy-2014 (upstream) against every invariant. The checker finds one upstream bug: a DR-access
 * exit sets KVM_DEBUGREG_WONT_EXIT after the run loop's sync, so when KVM_RUN returns to userspace
 * before re-entering, KVM_SET_GUEST_DEBUG with hardware breakpoints leaves DR exits off and the guest
 * runs with userspace's DR0-DR3/DR7 readable and writable (the WARN_ON in vcpu_enter_guest would fire
 * at the next exit). With that fixed (x86-lazy-2014-fixed), and for eager, every invariant holds.
 */
import { describe, expect, it } from 'vitest';
import { x86Svm, x86Vmx } from '../../models/x86/model.js';
import { x86EagerSvm, x86EagerVmx } from '../../models/x86/policies/eager.js';
import { x86Lazy2014Svm, x86Lazy2014Vmx } from '../../models/x86/policies/x86-lazy-2014.js';
import { x86Lazy2014FixedSvm, x86Lazy2014FixedVmx } from '../../models/x86/policies/x86-lazy-2014-fixed.js';
import { invariantsFor } from '../../properties/suites.js';
import { check } from '../../src/check.js';
import { explore } from '../../src/explore.js';

const VARIANTS = [
  ['x86-vmx', x86Vmx, x86Lazy2014Vmx, x86Lazy2014FixedVmx, x86EagerVmx],
  ['x86-svm', x86Svm, x86Lazy2014Svm, x86Lazy2014FixedSvm, x86EagerSvm],
] as const;

describe.each(VARIANTS)('%s', (id, arch, upstream, fixed, eager) => {
  const all = invariantsFor(id);

  it('finds userspace breakpoints readable by the guest after a DR exit that returned to userspace (seed 1)', () => {
    const r = check(upstream, { arch, invariants: all, seed: 1, runs: 2000 });
    expect(r.verdict).toBe('violated');
    // The guest reads userspace's DR0-DR3 untrapped: no-stale-read, or guest-isolation when a host
    // breakpoint at the same address makes the value the host's too (seed 1 draws that one).
    expect(['no-stale-read', 'guest-isolation']).toContain(r.violation?.invariant);
    expect(r.violation?.message).toMatch(/read(s)? (DR\d untrapped|untrapped DR\d)/);
    const events = r.trace.map((e) => e.event);
    // A trapped DR access, back to userspace, KVM_SET_GUEST_DEBUG, and the next entry.
    expect(events.slice(-4)).toEqual(['VCPU_PUT', 'VCPU_LOAD', 'VMM_SET_GUEST_DEBUG', 'GUEST_ENTER']);
    expect(r.trace.find((e) => e.event === 'VMM_SET_GUEST_DEBUG')).toMatchObject({ enable: 'on', useHw: 'on' });
    expect(events.some((e) => e === 'GUEST_READ' || e === 'GUEST_WRITE')).toBe(true);
  });

  it('finds it exhaustively too: the shortest trace has 7 events', () => {
    const r = explore(upstream, { arch, invariants: all, depth: 7 });
    expect(r.verdict).toBe('violated');
    expect(r.trace).toHaveLength(7);
  });

  it.each([
    ['x86-lazy-2014-fixed', fixed],
    ['eager', eager],
  ] as const)('%s holds every invariant on 2000 interleavings and every interleaving of at most 7 events', (_name, policy) => {
    const r = check(policy, { arch, invariants: all, seed: 1, runs: 2000 });
    expect(r.violation).toBeUndefined();
    expect(r.verdict).toBe('held');
    expect(r.warnings).toEqual([]);
    const e = explore(policy, { arch, invariants: all, depth: 7 });
    expect(e.violation).toBeUndefined();
    expect(e.depthCompleted).toBe(7);
  });
});
