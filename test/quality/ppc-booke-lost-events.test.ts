/**
 * Book E debug events lost before delivery: DBSR is write-1-to-clear, so an event latched while
 * MSR[DE]=0 (DBSR[IDE]: the interrupt waits until DE is set) and then cleared by software is gone.
 * A planted mutant of the fixed design (the guest on its own MSR[DE], as upstream) is found only by
 * this judgement; upstream itself loses such events at the next guest entry (booke_interrupts.S
 * lightweight_exit clears DBSR before its rfi) and at vcpu_put (kvmppc_booke_vcpu_put ->
 * kvmppc_clear_dbsr); the fixed design and eager, which take every event at once, hold.
 */
import { describe, expect, it } from 'vitest';
import type { BookeHost, BookeVcpu } from '../../models/ppc-booke/model.js';
import { ppcBooke } from '../../models/ppc-booke/model.js';
import eager from '../../models/ppc-booke/policies/eager.js';
import upstream from '../../models/ppc-booke/policies/ppc-booke-2014.js';
import fixed from '../../models/ppc-booke/policies/ppc-booke-2014-fixed.js';
import { invariantsFor } from '../../properties/suites.js';
import type { Policy } from '../../src/engine/policy.js';
import { eventFromJSON, type TraceEvent } from '../../src/engine/trace.js';
import { check, makeExecutor } from '../../src/searches/check.js';
import { explore } from '../../src/searches/explore.js';
import { debugNotQueued, impreciseDropped, impreciseDroppedAtIoctl, impreciseDroppedAtPut, spyDebugExits } from './ppc-booke-mutants.js';

const all = invariantsFor('ppc-booke');
const LOST = /cleared before any debug interrupt took it: the event is lost/;

/**
 * Replays `trace` under `policy` with every invariant: the first violation's message, if any, and
 * how many debug exits the policy handled. `strict`: every event must be enabled when its turn
 * comes; otherwise one that is not (the run loop already left by a debug exit) is skipped.
 */
/** CPUs whose DBCR1/DBCR2 a user thread's prime left user-only (--dbcr-reset 1): no switch-code window. */
const primed = { 'dbcr-reset': 1 };

function replay(policy: Policy<BookeVcpu, BookeHost>, trace: TraceEvent[], strict = true): { message?: string; debugExits: number } {
  let debugExits = 0;
  const spy = spyDebugExits(policy, () => {
    debugExits++;
  });
  const x = makeExecutor(spy, ppcBooke, all);
  for (const e of trace) {
    const ev = eventFromJSON(x, e);
    if (typeof ev === 'string') throw new Error(ev);
    const enabled = x.kinds[ev[0] as number]?.accepts(x, ev) === true;
    if (strict) expect(enabled, JSON.stringify(e)).toBe(true);
    if (!enabled) continue;
    x.apply(ev);
    if (x.violation) return { message: x.violation.message, debugExits };
  }
  return { debugExits };
}

// The guest arms IAC1 at 0x1000 for itself (each emulated mtspr is an exit handled in the run loop),
// with its MSR[DE] clear (a new vCPU's MSR is 0), runs into it, and KVM_RUN returns (a signal)
// before it sets DE; vcpu_put follows.
const guestOwn: TraceEvent[] = [
  { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
  { event: 'GUEST_ENTER', vcpu: 0 },
  { event: 'GUEST_WRITE', vcpu: 0, reg: 'IAC1', value: 0x1000 },
  { event: 'GUEST_ENTER', vcpu: 0 },
  { event: 'GUEST_WRITE', vcpu: 0, reg: 'DBCR0', value: 0x40800000 },
  { event: 'GUEST_ENTER', vcpu: 0 },
  { event: 'GUEST_EXECUTE', vcpu: 0, addr: 0x1000 },
  { event: 'GUEST_EXIT', vcpu: 0, reason: 'irq' },
  { event: 'RUN_RETURN', vcpu: 0 },
  { event: 'VCPU_PUT', vcpu: 0 },
];

// guestOwn, with the run loop re-entering the guest after the exit instead of KVM_RUN returning:
// lightweight_exit clears DBSR before the guest can set its DE.
const guestOwnReentered: TraceEvent[] = [...guestOwn.slice(0, -2), { event: 'GUEST_ENTER', vcpu: 0 }];

// userspace sets a breakpoint at 0x1000; upstream's KVM_SET_GUEST_DEBUG does not force the shadow
// MSR[DE] (only kvmppc_set_msr calls kvmppc_vcpu_sync_debug), so the hit waits in DBSR.
const userspaceOwn: TraceEvent[] = [
  { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
  { event: 'VMM_SET_GUEST_DEBUG', vcpu: 0, enable: 'on', useHw: 'on', bps: '0x1000' },
  { event: 'GUEST_ENTER', vcpu: 0 },
  { event: 'GUEST_EXECUTE', vcpu: 0, addr: 0x1000 },
  { event: 'GUEST_EXIT', vcpu: 0, reason: 'irq' },
  { event: 'RUN_RETURN', vcpu: 0 },
  { event: 'VCPU_PUT', vcpu: 0 },
];

// The guest's own event of guestOwn, and userspace attaching between two KVM_RUNs instead of a
// vcpu_put: KVM_SET_GUEST_DEBUG runs vcpu_put() itself (kvm_vcpu_ioctl before 4.16, the arch
// function since), whose kvmppc_booke_vcpu_put clears DBSR.
const guestOwnThenIoctl: TraceEvent[] = [
  ...guestOwn.slice(0, -1),
  { event: 'VMM_SET_GUEST_DEBUG', vcpu: 0, enable: 'on', useHw: 'on', bps: '0x2000' },
];

// userspaceOwn, with userspace detaching (KVM_SET_GUEST_DEBUG off) between two KVM_RUNs: the
// ioctl's vcpu_put clears the event userspace's breakpoint latched, after it stopped debugging.
const userspaceOwnThenDetach: TraceEvent[] = [
  ...userspaceOwn.slice(0, -1),
  { event: 'VMM_SET_GUEST_DEBUG', vcpu: 0, enable: 'off', useHw: 'off', bps: 'none' },
];

describe('a latched debug event cleared before delivery is lost', () => {
  it('finds the mutant (guest on its own MSR[DE]) under debug-status-consumed, at the next entry', () => {
    const r = check(impreciseDropped, { arch: ppcBooke, invariants: all, seed: 1, runs: 3000 });
    expect(r.violation?.invariant).toBe('debug-status-consumed');
    expect(r.violation?.message).toMatch(/owed to the guest was cleared before any debug interrupt took it/);
    expect(r.trace.at(-1)?.event).toBe('GUEST_ENTER');
    expect(replay(impreciseDropped, guestOwnReentered).message).toMatch(LOST);
    // The shortest: the guest arms IAC1 (two emulated mtspr), runs into it, an exit, the re-entry.
    const shortest = explore(impreciseDropped, { arch: ppcBooke, invariants: all, depth: 10 });
    expect(shortest.violation?.message).toMatch(LOST);
    expect(shortest.trace).toHaveLength(9);
    expect(shortest.trace?.at(-1)?.event).toBe('GUEST_ENTER');
  });

  it("finds the mutants without the entry clear delivering the switch code's own latch to userspace on an unprimed CPU (3 steps)", () => {
    // lightweight_exit's clear is what makes upstream's prime order (DBCR0 before DBCR1) safe: userspace's
    // IAC1 at the switch code's address, live at any privilege between the two writes, latches there.
    for (const m of [impreciseDroppedAtPut, impreciseDroppedAtIoctl]) {
      const e = explore(m, { arch: ppcBooke, invariants: all, depth: 4 });
      expect(e.violation?.message, m.name).toMatch(
        /raised on cpu0 by code whose world did not arm that comparator .*delivered to userspace/,
      );
      expect(e.trace?.map((t) => t.event)).toEqual(['VCPU_LOAD', 'VMM_SET_GUEST_DEBUG', 'GUEST_ENTER']);
      expect(explore(m, { arch: ppcBooke, invariants: all, depth: 4, config: primed }).verdict, m.name).toBe('held');
    }
  });

  it('finds the mutant without the entry clear at vcpu_put (on primed CPUs, where no switch-code latch comes first)', () => {
    const r = check(impreciseDroppedAtPut, { arch: ppcBooke, invariants: all, seed: 1, runs: 3000, config: primed });
    expect(r.verdict).toBe('violated');
    expect(r.violation?.invariant).toBe('debug-status-consumed');
    expect(r.violation?.message).toMatch(LOST);
    expect(r.violation?.message).toMatch(/owed to the guest/);
    expect(r.trace.at(-1)?.event).toBe('VCPU_PUT');
    expect(replay(impreciseDroppedAtPut, guestOwn).message).toMatch(LOST);
    // The shortest: the guest arms IAC1 (two emulated mtspr), runs into it, KVM_RUN returns, vcpu_put.
    const shortest = explore(impreciseDroppedAtPut, { arch: ppcBooke, invariants: all, depth: 10, config: primed });
    expect(shortest.violation?.message).toMatch(LOST);
    expect(shortest.trace).toHaveLength(10);
  });

  it('finds nothing else wrong with the mutants: every other invariant holds on them', () => {
    const others = all.filter((i) => i.name !== 'debug-status-consumed');
    for (const m of [impreciseDropped, impreciseDroppedAtPut]) {
      const r = check(m, { arch: ppcBooke, invariants: others, seed: 1, runs: 3000 });
      expect(r.violation?.message, m.name).toBeUndefined();
      expect(explore(m, { arch: ppcBooke, invariants: others, depth: 8 }).verdict, m.name).toBe('held');
    }
  });

  it('upstream (3.15+) loses the same events at the next entry and at vcpu_put: the guest own, and userspace breakpoints', () => {
    const own = replay(upstream, guestOwn);
    expect(own.message).toMatch(/IAC1.*owed to the guest was cleared/);
    expect(own.debugExits).toBe(0);
    const reentered = replay(upstream, guestOwnReentered);
    expect(reentered.message).toMatch(/IAC1.*owed to the guest was cleared/);
    expect(reentered.debugExits).toBe(0);
    const gdb = replay(upstream, userspaceOwn);
    expect(gdb.message).toMatch(/IAC1.*owed to userspace \(KVM_SET_GUEST_DEBUG\) was cleared/);
    expect(gdb.debugExits).toBe(0);
  });

  it('the fixed design and eager take those events at once (a debug exit) and hold on the same traces and under check', () => {
    for (const policy of [fixed, eager] as Policy<BookeVcpu, BookeHost>[]) {
      for (const trace of [guestOwn, guestOwnReentered, userspaceOwn]) {
        const r = replay(policy, trace, false);
        expect(r.message, policy.name).toBeUndefined();
        expect(r.debugExits, policy.name).toBe(1);
      }
      const r = check(policy, { arch: ppcBooke, invariants: all, seed: 1, runs: 3000 });
      expect(r.violation?.message, policy.name).toBeUndefined();
    }
  });

  it("KVM_SET_GUEST_DEBUG's own vcpu_put clears DBSR: upstream loses the guest's latched event there too", () => {
    const r = replay(upstream, guestOwnThenIoctl);
    expect(r.message).toMatch(/IAC1.*cleared before any debug interrupt took it/);
    for (const policy of [fixed, eager] as Policy<BookeVcpu, BookeHost>[]) {
      expect(replay(policy, guestOwnThenIoctl, false).message, policy.name).toBeUndefined();
    }
  });

  it('finds the mutant whose vcpu_put hook keeps DBSR only through the ioctl, by check and by explore (primed CPUs)', () => {
    const r = check(impreciseDroppedAtIoctl, { arch: ppcBooke, invariants: all, seed: 1, runs: 3000, config: primed });
    expect(r.violation?.invariant).toBe('debug-status-consumed');
    expect(r.violation?.message).toMatch(LOST);
    expect(r.trace.at(-1)?.event).toBe('VMM_SET_GUEST_DEBUG');
    const e = explore(impreciseDroppedAtIoctl, { arch: ppcBooke, invariants: all, depth: 10, config: primed });
    expect(e.violation?.message).toMatch(LOST);
    expect(e.trace.at(-1)?.event).toBe('VMM_SET_GUEST_DEBUG');
    expect(replay(impreciseDroppedAtIoctl, guestOwnThenIoctl).message).toMatch(LOST);
    // Without the ioctl's put (its event replayed with VCPU_PUT, the mutant's hook) nothing is lost.
    expect(replay(impreciseDroppedAtIoctl, guestOwn).message).toBeUndefined();
  });

  it('names whom a lost event was owed to when it latched, not when it was cleared', () => {
    // Userspace's breakpoint event, cleared once userspace has stopped debugging: still userspace's.
    expect(replay(upstream, userspaceOwnThenDetach).message).toMatch(/IAC1.*owed to userspace \(KVM_SET_GUEST_DEBUG\) was cleared/);
    // The guest's own event, cleared by the ioctl that attaches userspace: still the guest's.
    expect(replay(upstream, guestOwnThenIoctl).message).toMatch(/IAC1.*owed to the guest was cleared/);
    // The mutant's loss at the ioctl, by check and by explore: the guest's event, whatever the ioctl did.
    const r = check(impreciseDroppedAtIoctl, { arch: ppcBooke, invariants: all, seed: 1, runs: 3000, config: primed });
    expect(r.violation?.message).toMatch(/owed to the guest was cleared/);
    const e = explore(impreciseDroppedAtIoctl, { arch: ppcBooke, invariants: all, depth: 10, config: primed });
    expect(e.violation?.message).toMatch(/owed to the guest was cleared/);
  });

  it('finds a debug exit that resumes the guest without queueing its event (the guest never gets it), and nothing else', () => {
    const r = check(debugNotQueued, { arch: ppcBooke, invariants: all, seed: 1, runs: 3000 });
    expect(r.violation?.invariant).toBe('debug-status-consumed');
    expect(r.violation?.message).toMatch(
      /never reached the guest: KVM handled the debug exit and resumed vcpu0 without queueing a debug interrupt/,
    );
    const e = explore(debugNotQueued, { arch: ppcBooke, invariants: all, depth: 8 });
    expect(e.violation?.message).toMatch(/never reached the guest/);
    const others = all.filter((i) => i.name !== 'debug-status-consumed');
    expect(check(debugNotQueued, { arch: ppcBooke, invariants: others, seed: 1, runs: 3000 }).violation?.message).toBeUndefined();
  });
});
