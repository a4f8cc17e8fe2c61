/**
 * Messages blame the right actor (issue 15): every "by X at step N" a violation message says names
 * the actor of the event at step N of its own trace, on every architecture; a stale guest value is
 * not called a host breakpoint; a breakpoint userspace armed with KVM_SET_GUEST_DEBUG is never
 * said to be armed by the guest.
 */
import { describe, expect, it } from 'vitest';
import { isVmReg } from '../models/arm64-vhe/registers.js';
import { architectures, policies } from '../models/catalog.js';
import { x86Vmx } from '../models/x86/model.js';
import { invariantsFor } from '../properties/suites.js';
import { definePolicy, type Hooks, type Policy } from '../src/engine/policy.js';
import { check } from '../src/searches/check.js';
import { explore } from '../src/searches/explore.js';
import twoBugs from './fixtures/two-bugs.js';
import { mdccintNotRestored } from './quality/mutants.js';
import {
  exitsNotRearmed,
  generalDetectNotEmulated,
  hostAddressesNotRestored,
  userspaceBreakpointsNotLoaded,
} from './quality/x86-mutants.js';

/** The actor each event type stands for, as messages name it. */
const ACTOR: Record<string, string> = {
  GUEST_WRITE: 'the guest',
  VMM_SET_REG: 'userspace via KVM_SET_ONE_REG',
  VMM_SET_GUEST_DEBUG: 'userspace via KVM_SET_GUEST_DEBUG',
  VCPU_RESET: 'the vCPU reset',
  HOST_SET_BREAKPOINT: "the host's hw_breakpoint/ptrace user",
  HOST_CLEAR_BREAKPOINT: "the host's hw_breakpoint/ptrace user",
  HOST_TRACE: "the host's trace session",
  RUN_LOOP_TRACE: "the host's trace session",
  HYP_WRITE_REG: 'the hypervisor itself (vcpu_write_sys_reg)',
};
const expectedActor = (event: string): string =>
  ACTOR[event] ?? (event.startsWith('GUEST_') ? 'the guest' : event.startsWith('HOST_') ? 'the host' : event);

/** Every `by <actor> at step N` in `message`, checked against the trace. Returns how many it checked. */
function pinActors(message: string, trace: readonly { event: string }[]): number {
  let n = 0;
  for (const m of message.matchAll(/by (.+?) at step (\d+)/g)) {
    const event = trace[Number(m[2]) - 1]?.event ?? '?';
    expect(m[1], `${message}\n(step ${m[2]} is ${event})`).toBe(expectedActor(event));
    n++;
  }
  return n;
}

const archOf = (p: Policy) => architectures.find((a) => a.id === p.arch) ?? x86Vmx;

describe('every message names the actor of the step it cites', () => {
  const cases: Policy[] = [
    ...policies,
    mdccintNotRestored,
    generalDetectNotEmulated,
    hostAddressesNotRestored('x86-vmx'),
    userspaceBreakpointsNotLoaded('x86-svm'),
    // x86-svm's named actor ("armed by the guest at step 7"): userspaceBreakpointsNotLoaded's "set by userspace
    // via KVM_SET_ONE_REG" run (seed 1) now stops earlier, at the fast-path WRMSR whose step it loses (no TF).
    exitsNotRearmed('x86-svm'),
  ];
  const pinned = new Map<string, number>();
  it.each(cases.map((p) => [`${p.arch}/${p.name}`, p] as const))('%s (check and explore --continue)', (_name, policy) => {
    const arch = archOf(policy);
    const invariants = invariantsFor(arch.id);
    const c = check(policy, { arch, invariants, seed: 1, runs: 300, continue: true });
    const e = explore(policy, { arch, invariants, depth: 3, continue: true });
    for (const r of [c, e]) {
      for (const x of r.counterexamples ?? []) pinned.set(arch.id, (pinned.get(arch.id) ?? 0) + pinActors(x.violation.message, x.trace));
    }
  });
  it('pinned at least one named actor on every architecture (the checks above are not vacuous)', () => {
    for (const a of architectures) expect(pinned.get(a.id) ?? 0, a.id).toBeGreaterThan(0);
  });
});

describe('named actors', () => {
  it('the host breakpoint the v2 guest runs on is blamed on the host debug user who armed it', () => {
    const policy = policies.find((p) => p.name === 'arm64-dirty-2015-v2') as Policy;
    const r = check(policy, { arch: archOf(policy), invariants: invariantsFor('arm64-nvhe'), seed: 1 });
    expect(r.violation?.invariant).toBe('host-breakpoints-quiet-in-guest');
    expect(r.violation?.message).toMatch(/armed by the host's hw_breakpoint\/ptrace user at step \d+; the guest did not arm it/);
    expect(pinActors(r.violation?.message ?? '', r.trace)).toBe(1);
  });

  it('a value userspace set with KVM_SET_ONE_REG is blamed on it (arm64-vhe, KVM_SET_ONE_REG writing the CPU)', () => {
    // KVM_SET_ONE_REG runs with the vCPU put: a deferred register written on the CPU is lost at the next load.
    const owner = policies.find((p) => p.arch === 'arm64-vhe' && p.name === 'arm64-owner-2025') as Policy;
    const policy = definePolicy({
      name: 'one-reg-on-cpu',
      arch: 'arm64-vhe',
      hooks: {
        ...(owner.hooks as Hooks<never, never>),
        setReg: (k, reg, value) => (isVmReg(reg) ? k.hw.write(reg, value) : owner.hooks.setReg?.(k as never, reg, value)),
      },
    });
    const r = check(policy, { arch: archOf(policy), invariants: invariantsFor('arm64-vhe'), seed: 1 });
    expect(r.violation?.message).toMatch(/set by userspace via KVM_SET_ONE_REG at step \d+/);
  });

  it('x86: breakpoints userspace armed with KVM_SET_GUEST_DEBUG are userspace-debug-honored, never "armed by the guest"', () => {
    const r = check(userspaceBreakpointsNotLoaded('x86-vmx'), { arch: x86Vmx, invariants: invariantsFor('x86-vmx'), seed: 1, runs: 2000 });
    expect(r.violation?.invariant).toBe('userspace-debug-honored');
    expect(r.violation?.message).toMatch(/armed via KVM_SET_GUEST_DEBUG/);
    // Without that claim, the slot claims still blame userspace, never the guest.
    const slotsOnly = invariantsFor('x86-vmx').filter((i) => i.name !== 'userspace-debug-honored');
    const s = check(userspaceBreakpointsNotLoaded('x86-vmx'), { arch: x86Vmx, invariants: slotsOnly, seed: 1, runs: 2000, continue: true });
    for (const c of s.counterexamples ?? []) {
      expect(c.violation.message).not.toMatch(/armed by the guest|vcpu0 armed/);
      // The guest did not arm it, and the host did not either: whoever is named, it is never the guest.
      if (c.invariant === 'host-breakpoints-quiet-in-guest') expect(c.violation.message).toMatch(/did not arm it/);
    }
  });

  it('x86: a stale guest DR7 with no host breakpoint involved is not reported as a host breakpoint', () => {
    const r = check(generalDetectNotEmulated, { arch: x86Vmx, invariants: invariantsFor('x86-vmx'), seed: 1, runs: 2000 });
    // Since the MOV DR is modelled as #DB(BD) into the guest's DR6 (issue 17), the first claim to
    // break is the guest's own view of DR6: still the guest's state, never a host breakpoint.
    expect(r.violation?.invariant).not.toBe('host-breakpoints-quiet-in-guest');
    expect(r.violation?.message).toMatch(/set by the guest at step \d+/);
    expect(r.violation?.message).not.toMatch(/host/);
  });

  it('x86: a guest breakpoint left live in the host names the vCPU that armed it', () => {
    const r = check(hostAddressesNotRestored('x86-vmx'), { arch: x86Vmx, invariants: invariantsFor('x86-vmx'), seed: 1, runs: 2000 });
    expect(r.violation?.invariant).toBe('guest-breakpoints-quiet-in-host');
    // The host's DR7 came back over the guest's DR0-DR3: the live address is the vCPU's.
    expect(r.violation?.message).toMatch(
      /(holding vcpu0's DR\d \(0x[0-9a-f]+, set (at reset|by the guest at step \d+)\)|vcpu0's, armed by the guest at step \d+); the host did not arm it/,
    );
  });

  it('the host value a guest exit leaves behind is named as the host reset value, not as something a debug user armed', () => {
    const arch = archOf(twoBugs);
    const invariants = invariantsFor(arch.id).filter((i) => i.name !== 'no-stale-read');
    const r = check(twoBugs, { arch, invariants, seed: 1 });
    expect(r.violation?.invariant).toBe('host-breakpoints-preserved');
    expect(r.violation?.message).toMatch(/the host's value is 0x0, set at reset/);
  });
});
