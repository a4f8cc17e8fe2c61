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
import type { TraceEvent } from '../../src/engine/trace.js';
import { expectPolicy, PolicyViolation } from '../../src/expect-policy.js';
import { check } from '../../src/searches/check.js';
import { explore } from '../../src/searches/explore.js';

/** The finding with the debugger's breakpoint at 0x2000: the MOV that handle_dr left to run again reads it. */
const REEXECUTED_READ: TraceEvent[] = [
  { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
  { event: 'GUEST_ENTER', vcpu: 0 },
  { event: 'GUEST_READ', vcpu: 0, reg: 'DR0' },
  { event: 'VCPU_PUT', vcpu: 0 },
  { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
  { event: 'VMM_SET_GUEST_DEBUG', vcpu: 0, enable: 'on', useHw: 'on', singleStep: 'off', bps: '0x2000' },
  { event: 'GUEST_ENTER', vcpu: 0 },
];

const VARIANTS = [
  ['x86-vmx', x86Vmx, x86Lazy2014Vmx, x86Lazy2014FixedVmx, x86EagerVmx],
  ['x86-svm', x86Svm, x86Lazy2014Svm, x86Lazy2014FixedSvm, x86EagerSvm],
] as const;

describe.each(VARIANTS)('%s', (id, arch, upstream, fixed, eager) => {
  const all = invariantsFor(id);

  it('finds userspace breakpoints readable by the guest after a DR exit that returned to userspace (seed 1)', () => {
    const r = check(upstream, { arch, invariants: all, seed: 1, runs: 2000 });
    expect(r.verdict).toBe('violated');
    // The guest reads userspace's DR0-DR7 untrapped: no-stale-read, or userspace-debug-honored (the
    // guest's own view while userspace debugs), which comes first in the checking order (seed 1).
    expect(['no-stale-read', 'userspace-debug-honored']).toContain(r.violation?.invariant);
    expect(r.violation?.message).toMatch(/read(s)? (DR\d untrapped|untrapped DR\d)|the guest read DR\d as/);
    const events = r.trace.map((e) => e.event);
    // A trapped DR access, back to userspace, KVM_SET_GUEST_DEBUG, and the next entry: KVM_RUN, with
    // or without an interrupt in its run loop (RUN_LOOP_IRQ, SVM at seed 1).
    expect(events.slice(-4, -1)).toEqual(['VCPU_PUT', 'VCPU_LOAD', 'VMM_SET_GUEST_DEBUG']);
    expect(['GUEST_ENTER', 'RUN_LOOP_IRQ']).toContain(events.at(-1));
    expect(r.trace.find((e) => e.event === 'VMM_SET_GUEST_DEBUG')).toMatchObject({ enable: 'on', useHw: 'on' });
    expect(events.some((e) => e === 'GUEST_READ' || e === 'GUEST_WRITE')).toBe(true);
  });

  it("the trapped MOV DR0 runs again after the debugger attached and reads the debugger's breakpoint; the fix holds on it", () => {
    const run = () => expectPolicy(upstream).toHoldOn(REEXECUTED_READ);
    expect(run).toThrow(PolicyViolation);
    expect(run).toThrow('no-stale-read: the guest read DR0 of vcpu0 as 0x2000; its value is 0x0');
    expect(run).toThrow('ghost.vcpu0.retryAccess: 0x1 -> 0x0');
    expectPolicy(fixed).toHoldOn(REEXECUTED_READ);
  });

  it('finds it exhaustively too: the shortest trace has 7 events', () => {
    const r = explore(upstream, { arch, invariants: all, depth: 7 });
    expect(r.verdict).toBe('violated');
    expect(r.trace).toHaveLength(7);
  });

  it.each([
    ['x86-lazy-2014-fixed', fixed],
    ['eager', eager],
  ] as const)('%s holds every invariant on 2000 interleavings and every interleaving of at most 6 events', (_name, policy) => {
    const r = check(policy, { arch, invariants: all, seed: 1, runs: 2000 });
    expect(r.violation).toBeUndefined();
    expect(r.verdict).toBe('held');
    expect(r.warnings).toEqual([]);
    const e = explore(policy, { arch, invariants: all, depth: 6 });
    expect(e.violation).toBeUndefined();
    expect(e.depthCompleted).toBe(6);
  });
});
