/**
 * "Planted bug must be found": the 2008 gdb breakpoint posting for KVM/440 sets DBCR1 to 0 for the
 * guest and never restores it, and arms the guest's IACs for every privilege level, so the
 * world-switch code itself latches a debug event on a gdb breakpoint placed at its address; the
 * event reaches userspace as a spurious KVM_EXIT_DEBUG and stays latched in DBSR. The checker must
 * find both from the engine alone and shrink them; the reviewed fix must not show either.
 *
 * The host arms its comparators as upstream Book E does (ptrace of the current thread, user-only,
 * MSR[PR]=1), and the guest runs with MSR[PR]=1. Both 2008 variants switch the debug registers only
 * while userspace debugs the vCPU, so a host comparator stays armed, and effective, while the guest
 * runs: host-breakpoints-quiet-in-guest is violated by the posting and by the reviewed fix alike,
 * and an event such a comparator raises in the guest is delivered to userspace (debug-status-consumed).
 */
import { describe, expect, it } from 'vitest';
import { ppcBooke } from '../../models/ppc-booke/model.js';
import eager from '../../models/ppc-booke/policies/eager.js';
import gdb2008 from '../../models/ppc-booke/policies/ppc-booke-gdb-2008.js';
import gdb2008Fixed from '../../models/ppc-booke/policies/ppc-booke-gdb-2008-fixed.js';
import { invariantsFor } from '../../properties/suites.js';
import type { TraceEvent } from '../../src/engine/trace.js';
import { type CheckResult, check } from '../../src/searches/check.js';

const all = invariantsFor('ppc-booke');
const only = (name: string) => all.filter((i) => i.name === name);
const seeds = Array.from({ length: 20 }, (_, i) => i + 1);
const steps = (r: CheckResult): string => r.trace.map((e) => e.event).join(', ');
const hostArms = (t: readonly TraceEvent[]): boolean => t.some((e) => e.event === 'HOST_SET_BREAKPOINT');
const userspaceDebugs = (t: readonly TraceEvent[]): boolean => t.some((e) => e.event === 'VMM_SET_GUEST_DEBUG' && e.enable === 'on');

describe('ppc-booke-gdb-2008 (as posted)', () => {
  it.each(seeds)('violates debug-status-consumed alone, with a shrunk trace (seed %i)', (seed) => {
    const r = check(gdb2008, { arch: ppcBooke, invariants: only('debug-status-consumed'), seed, runs: 1000 });
    expect(r.verdict).toBe('violated');
    expect(r.violation?.invariant).toBe('debug-status-consumed');
    expect(r.trace.length, steps(r)).toBeLessThanOrEqual(5);
    // Someone armed the comparator whose event was misdelivered: userspace (a gdb breakpoint the
    // switch code hits) or the host (a user-only comparator left armed in the guest).
    expect(userspaceDebugs(r.trace) || hostArms(r.trace), steps(r)).toBe(true);
  });

  it('finds both debug-status-consumed stories over seeds 1..20: the switch-code event and the host comparator in the guest', () => {
    const traces = seeds.map(
      (seed) => check(gdb2008, { arch: ppcBooke, invariants: only('debug-status-consumed'), seed, runs: 1000 }).trace,
    );
    // The review's finding: no host comparator at all, a gdb breakpoint, and the entry alone latches it.
    expect(traces.some((t) => userspaceDebugs(t) && !hostArms(t))).toBe(true);
    // The host comparator left armed while the guest runs, with userspace not debugging.
    expect(traces.some((t) => hostArms(t) && !userspaceDebugs(t))).toBe(true);
  });

  it.each(seeds)('violates host-breakpoints-preserved alone on DBCR1, with a shrunk trace (seed %i)', (seed) => {
    const r = check(gdb2008, { arch: ppcBooke, invariants: only('host-breakpoints-preserved'), seed, runs: 1000 });
    expect(r.verdict).toBe('violated');
    expect(r.violation?.register).toBe('DBCR1');
    expect(r.trace.length, steps(r)).toBeLessThanOrEqual(6);
  });

  it('reports a guest comparator never loaded, a host comparator in the guest, or the userspace view first with every invariant on over seeds 1..20', () => {
    // 2008 KVM emulated the guest's DBCR0/DBCR1 mtspr into storage it never loaded (guest-breakpoints-effective);
    // its guest view is checked against the 3.15+ KVM_SET_GUEST_DEBUG ABI, which userspace-debug-honored
    // reports first where userspace debugs (the checking order).
    const found = new Set(seeds.map((seed) => check(gdb2008, { arch: ppcBooke, invariants: all, seed, runs: 1000 }).violation?.invariant));
    expect([...found].sort()).toEqual(['guest-breakpoints-effective', 'host-breakpoints-quiet-in-guest', 'userspace-debug-honored']);
  });
});

describe('ppc-booke-gdb-2008-fixed (as the review asked)', () => {
  it('leaves a host comparator armed while the guest runs and userspace does not debug (host-breakpoints-quiet-in-guest)', () => {
    const r = check(gdb2008Fixed, { arch: ppcBooke, invariants: only('host-breakpoints-quiet-in-guest'), seed: 1, runs: 2000 });
    expect(r.violation?.invariant).toBe('host-breakpoints-quiet-in-guest');
    expect(hostArms(r.trace), steps(r)).toBe(true);
    expect(userspaceDebugs(r.trace), steps(r)).toBe(false);
    expect(r.trace.at(-1)?.event).toBe('GUEST_ENTER');
  });

  it('delivers an event of that host comparator to userspace (debug-status-consumed), never a switch-code event', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = check(gdb2008Fixed, { arch: ppcBooke, invariants: only('debug-status-consumed'), seed, runs: 2000 });
      expect(r.violation?.invariant).toBe('debug-status-consumed');
      expect(hostArms(r.trace), steps(r)).toBe(true);
      expect(userspaceDebugs(r.trace), steps(r)).toBe(false);
    }
  });

  it('holds the host-side invariants, host-breakpoints-preserved included, on 2000 interleavings (seed 1)', () => {
    const r = check(gdb2008Fixed, {
      arch: ppcBooke,
      invariants: all.filter((i) => ['policy-total', 'host-breakpoints-preserved', 'guest-breakpoints-quiet-in-host'].includes(i.name)),
      seed: 1,
      runs: 2000,
    });
    expect(r.violation).toBeUndefined();
    expect(r.verdict).toBe('held');
    expect(r.warnings).toEqual([]);
  });
});

describe('the eager baseline', () => {
  it('holds every invariant on 2000 interleavings (seed 1)', () => {
    const r = check(eager, { arch: ppcBooke, invariants: all, seed: 1, runs: 2000 });
    expect(r.violation).toBeUndefined();
    expect(r.verdict).toBe('held');
    expect(r.warnings).toEqual([]);
  });
});

describe("on a host of the posting's own era (ptrace 0: 2.6.26, the host kernel arms no IAC or DAC)", () => {
  const era2008 = { ptrace: 0 };
  it("keeps the review's finding: a gdb breakpoint on the switch code latches an event the switch code raised", () => {
    const r = check(gdb2008, { arch: ppcBooke, invariants: only('debug-status-consumed'), config: era2008, seed: 1, runs: 2000 });
    expect(r.violation?.invariant).toBe('debug-status-consumed');
    expect(hostArms(r.trace)).toBe(false);
    expect(r.trace).toContainEqual(expect.objectContaining({ event: 'VMM_SET_GUEST_DEBUG', bps: '0x2000' }));
  });

  it('loses the findings that need a 2.6.34+ host: no host comparator to leak, and DBCR1 is inert with DBCR0[IDM] clear', () => {
    for (const policy of [gdb2008, gdb2008Fixed]) {
      for (const name of ['host-breakpoints-quiet-in-guest', 'host-breakpoints-preserved']) {
        expect(check(policy, { arch: ppcBooke, invariants: only(name), config: era2008, seed: 1, runs: 2000 }).verdict).toBe('held');
      }
    }
    expect(
      check(gdb2008Fixed, { arch: ppcBooke, invariants: only('debug-status-consumed'), config: era2008, seed: 1, runs: 2000 }).verdict,
    ).toBe('held');
  });
});
