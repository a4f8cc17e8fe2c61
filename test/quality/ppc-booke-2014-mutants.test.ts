/**
 * Mutants of the upstream Book E design that break userspace debugging (KVM_SET_GUEST_DEBUG with
 * hardware breakpoints). Each is a policy built here from the upstream hooks with one slip; the
 * checker must find it under userspace-debug-honored. None is looked up by name.
 */
import { describe, expect, it } from 'vitest';
import type { BookeHost, BookeVcpu } from '../../models/ppc-booke/model.js';
import { ppcBooke } from '../../models/ppc-booke/model.js';
import upstream from '../../models/ppc-booke/policies/ppc-booke-2014.js';
import { invariantsFor } from '../../properties/suites.js';
import { check } from '../../src/check.js';
import { definePolicy, type Hooks } from '../../src/policy.js';

const hooks = upstream.hooks as Hooks<BookeVcpu, BookeHost>;

/** kvm_arch_vcpu_ioctl_set_guest_debug drops userspace's breakpoint list (never calls kvmppc_booke_add_breakpoint). */
const breakpointsDropped = definePolicy<BookeVcpu, BookeHost>({
  name: 'breakpoints-dropped',
  arch: 'ppc-booke',
  summary: 'mutant: KVM_SET_GUEST_DEBUG keeps DE forced but loads none of userspace breakpoints',
  hooks: { ...hooks, setGuestDebug: (k, dbg) => hooks.setGuestDebug?.(k, { ...dbg, bps: [] }) },
});

/** The debug exit never returns KVM_EXIT_DEBUG: userspace's hits are resumed into the guest. */
const hitsNotToUserspace = definePolicy<BookeVcpu, BookeHost>({
  name: 'hits-not-to-userspace',
  arch: 'ppc-booke',
  summary: 'mutant: kvmppc_handle_debug result ignored, the vCPU resumes instead of exiting to userspace',
  hooks: {
    ...hooks,
    guestExit(k, reason) {
      hooks.guestExit?.(k, reason);
      return undefined;
    },
  },
});

const only = invariantsFor('ppc-booke').filter((i) => i.name === 'userspace-debug-honored' || i.name === 'policy-total');

describe('mutants of ppc-booke-2014 that break userspace debugging are found (seed 1)', () => {
  it.each([
    // The stub's breakpoint is in the intent but no IAC holds it while the guest runs.
    ['userspace breakpoints dropped by KVM_SET_GUEST_DEBUG', breakpointsDropped, /not effective/],
    // The IAC fires, but the exit goes back to the guest: gdb never sees its breakpoint.
    ['hits resumed into the guest instead of KVM_EXIT_DEBUG', hitsNotToUserspace, /not to userspace/],
  ] as const)('finds %s under userspace-debug-honored, with a short trace', (_bug, policy, message) => {
    const r = check(policy, { arch: ppcBooke, invariants: only, seed: 1, runs: 3000 });
    expect(r.verdict).toBe('violated');
    expect(r.violation?.invariant).toBe('userspace-debug-honored');
    expect(r.violation?.message).toMatch(message);
    expect(r.trace.some((e) => e.event === 'VMM_SET_GUEST_DEBUG')).toBe(true);
    expect(r.trace.length).toBeLessThanOrEqual(6);
  });

  it('leaves the upstream policy itself holding userspace-debug-honored, so each finding is the mutation', () => {
    expect(check(upstream, { arch: ppcBooke, invariants: only, seed: 1, runs: 3000 }).verdict).toBe('held');
  });

  it('finds both with every invariant on, too', () => {
    const all = invariantsFor('ppc-booke');
    // Userspace's breakpoints are what the vCPU's comparators must hold: the debugger owns the
    // slots, so its claim comes first in the checking order and names the missing IAC.
    const dropped = check(breakpointsDropped, { arch: ppcBooke, invariants: all, seed: 1, runs: 3000 });
    expect(dropped.violation?.invariant).toBe('userspace-debug-honored');
    expect(dropped.violation?.message).toMatch(/IAC1/);
    // A hit resumed into the guest breaks no state claim: only the delivery check sees it.
    const resumed = check(hitsNotToUserspace, { arch: ppcBooke, invariants: all, seed: 1, runs: 3000 });
    expect(resumed.violation?.invariant).toBe('userspace-debug-honored');
  });
});
