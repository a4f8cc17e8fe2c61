/**
 * What the x86 models check beyond DR0-DR3 and DR7: the host's DR6 in every host context, the
 * IA32_DEBUGCTL the guest runs with and the one the host gets back (VMX, SVM with and without the
 * kvm_amd `lbrv` parameter), and host changes made by an interrupt in the run loop before
 * local_irq_disable(). Each planted slip is found by `check` and by `explore`; the unmutated policies hold.
 */
import { describe, expect, it } from 'vitest';
import { x86Svm, x86Vmx } from '../../models/x86/model.js';
import { x86EagerSvm, x86EagerVmx } from '../../models/x86/policies/eager.js';
import { x86Lazy2014FixedSvm, x86Lazy2014FixedVmx } from '../../models/x86/policies/x86-lazy-2014-fixed.js';
import { invariantsFor } from '../../properties/suites.js';
import type { ModelConfig } from '../../src/engine/model.js';
import type { TraceEvent } from '../../src/engine/trace.js';
import { expectPolicy, PolicyViolation } from '../../src/expect-policy.js';
import { check } from '../../src/searches/check.js';
import { explore } from '../../src/searches/explore.js';
import {
  debugAlwaysToUserspace,
  debugctlSnapshotBeforeIrqOff,
  debugctlWriteNotInVmcs,
  dr6NotReset,
  dr7NotSavedOnExit,
  guestDebugctlNotLoaded,
  hostDebugctlNotRestored,
  singleStepInjected,
  singleStepTfNotSet,
} from './x86-eager-mutants.js';

const archOf = (id: string) => (id === 'x86-vmx' ? x86Vmx : x86Svm);
const SETUPS = [
  ['x86-vmx', {}],
  ['x86-svm', { lbrv: 1 }],
  ['x86-svm', { lbrv: 0 }],
] as const satisfies readonly (readonly [string, ModelConfig])[];

const CASES = [
  ['the VMX sync forgets set_debugreg(DR6_RESERVED, 6)', 'x86-vmx', {}, dr6NotReset, 'host-breakpoints-preserved', 'DR6'],
  ...SETUPS.flatMap(([id, config]) => [
    ['the guest runs with the host DEBUGCTL', id, config, guestDebugctlNotLoaded(id), 'guest-isolation', 'IA32_DEBUGCTL'] as const,
    ['the host runs without its DEBUGCTL', id, config, hostDebugctlNotRestored(id), 'host-breakpoints-preserved', 'IA32_DEBUGCTL'] as const,
  ]),
] as const;

describe('x86 DR6 and DEBUGCTL slips are found (seed 1)', () => {
  it.each(CASES)('check finds "%s" on %s (%o)', (_bug, id, config, policy, invariant, register) => {
    const r = check(policy, { arch: archOf(id), config, invariants: invariantsFor(id), seed: 1, runs: 2000 });
    expect(r.verdict).toBe('violated');
    expect(r.violation?.invariant).toBe(invariant);
    expect(r.violation?.register).toBe(register);
    expect(r.trace.length).toBeLessThanOrEqual(6);
  });

  it.each(CASES)('explore finds "%s" on %s (%o) within 5 events', (_bug, id, config, policy, invariant, register) => {
    const r = explore(policy, { arch: archOf(id), config, invariants: invariantsFor(id), depth: 5 });
    expect(r.verdict).toBe('violated');
    expect(r.violation?.invariant).toBe(invariant);
    expect(r.violation?.register).toBe(register);
  });
});

describe('the VMX debug controls', () => {
  it('a vmcs01 without VM_EXIT_SAVE_DEBUG_CONTROLS loses the DR7 the guest wrote untrapped (found by check and explore)', () => {
    const invariants = invariantsFor('x86-vmx');
    const r = check(dr7NotSavedOnExit, { arch: x86Vmx, invariants, seed: 1, runs: 2000 });
    expect(r.violation?.invariant).toBe('guest-breakpoints-effective');
    const e = explore(dr7NotSavedOnExit, { arch: x86Vmx, invariants, depth: 5 });
    expect(e.violation?.invariant).toBe('guest-breakpoints-effective');
    expect(e.violation?.message).toMatch(/DR7 is 0x400/);
  });
});

describe('host changes from interrupts in the run loop', () => {
  it.each(SETUPS)('a DEBUGCTL snapshot taken before local_irq_disable() is found on %s (%o), only through RUN_LOOP_IRQ', (id, config) => {
    const policy = debugctlSnapshotBeforeIrqOff(id);
    const arch = archOf(id);
    const r = check(policy, { arch, config, invariants: invariantsFor(id), seed: 1, runs: 2000 });
    expect(r.violation?.invariant).toBe('host-breakpoints-preserved');
    expect(r.violation?.register).toBe('IA32_DEBUGCTL');
    expect(r.trace.some((e) => e.event === 'RUN_LOOP_IRQ')).toBe(true);
    const e = explore(policy, { arch, config, invariants: invariantsFor(id), depth: 5 });
    expect(e.violation?.register).toBe('IA32_DEBUGCTL');
    expect(e.trace?.some((ev) => ev.event === 'RUN_LOOP_IRQ')).toBe(true);
  });
});

describe('KVM_GUESTDBG_SINGLESTEP (RFLAGS.TF, DR6.BS)', () => {
  it.each(['x86-vmx', 'x86-svm'] as const)(
    'on %s, a KVM_SET_GUEST_DEBUG that never sets TF is found: the step never reaches userspace',
    (id) => {
      const policy = singleStepTfNotSet(id);
      const arch = archOf(id);
      const r = check(policy, { arch, invariants: invariantsFor(id), seed: 1, runs: 2000 });
      expect(r.violation?.invariant).toBe('debug-status-consumed');
      expect(r.violation?.message).toMatch(/DR6\[BS\] on cpu\d never reached userspace/);
      // The cause named is the missing TF, not the exit handler's skip, which did what upstream does.
      expect(r.violation?.message).toMatch(/the guest ran it without RFLAGS\.TF although userspace single-steps it/);
      const e = explore(policy, { arch, invariants: invariantsFor(id), depth: 5 });
      expect(e.violation?.invariant).toBe('debug-status-consumed');
      expect(e.trace?.find((ev) => ev.event === 'VMM_SET_GUEST_DEBUG')).toMatchObject({ singleStep: 'on' });
    },
  );
});

/** Userspace single-steps (no hardware breakpoints) and the guest runs one instruction, twice. */
const STEPPED: TraceEvent[] = [
  { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
  { event: 'VMM_SET_GUEST_DEBUG', vcpu: 0, enable: 'on', useHw: 'off', singleStep: 'on', bps: 'none' },
  { event: 'GUEST_ENTER', vcpu: 0 },
  { event: 'GUEST_EXECUTE', vcpu: 0, addr: 0x1000 },
  { event: 'GUEST_ENTER', vcpu: 0 },
  { event: 'GUEST_EXECUTE', vcpu: 0, addr: 0x1000 },
];

describe('a step owed to userspace is judged by who received it, not only by whether it was taken', () => {
  it.each(['x86-vmx', 'x86-svm'] as const)("on %s, a #DB handler that injects userspace's step into the guest is found", (id) => {
    const run = () => expectPolicy(singleStepInjected(id)).toHoldOn(STEPPED);
    expect(run).toThrow(PolicyViolation);
    expect(run).toThrow(
      /debug-status-consumed: DR6\[BS\] on cpu0 is owed to userspace \(KVM_SET_GUEST_DEBUG\) but was delivered to the guest/,
    );
    const e = explore(singleStepInjected(id), { arch: archOf(id), invariants: invariantsFor(id), depth: 4 });
    expect(e.violation?.invariant).toBe('debug-status-consumed');
    expect(e.trace).toHaveLength(4);
  });

  it.each([
    ['x86-vmx', 'x86-lazy-2014-fixed', x86Lazy2014FixedVmx],
    ['x86-svm', 'x86-lazy-2014-fixed', x86Lazy2014FixedSvm],
    ['x86-vmx', 'eager', x86EagerVmx],
    ['x86-svm', 'eager', x86EagerSvm],
  ] as const)('on %s, %s returns KVM_EXIT_DEBUG for each step and holds', (_id, _name, policy) => {
    expectPolicy(policy).toHoldOn(STEPPED);
  });
});

/** The guest arms an execute breakpoint on DR0 (DR exits off on eager) and runs into it; userspace does not debug. */
const GUEST_OWN_BREAKPOINT: TraceEvent[] = [
  { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
  { event: 'GUEST_ENTER', vcpu: 0 },
  { event: 'GUEST_WRITE', vcpu: 0, reg: 'DR0', value: 0x2000 },
  { event: 'GUEST_WRITE', vcpu: 0, reg: 'DR7', value: 0x401 },
  { event: 'GUEST_EXECUTE', vcpu: 0, addr: 0x2000 },
];

describe("the guest's own #DB is delivered to the guest, not to a userspace that never asked", () => {
  it.each(['x86-vmx', 'x86-svm'] as const)('on %s, a #DB handler that always returns KVM_EXIT_DEBUG is found', (id) => {
    const run = () => expectPolicy(debugAlwaysToUserspace(id)).toHoldOn(GUEST_OWN_BREAKPOINT);
    expect(run).toThrow(PolicyViolation);
    expect(run).toThrow(
      /guest-breakpoints-effective: DR6\[B0\] on cpu0, a debug event of vcpu0's own, went to userspace as KVM_EXIT_DEBUG, but userspace does not debug vcpu0/,
    );
    const e = explore(debugAlwaysToUserspace(id), { arch: archOf(id), invariants: invariantsFor(id), depth: 4 });
    expect(e.violation?.invariant).toBe('guest-breakpoints-effective');
  });

  it.each([
    ['x86-vmx', x86EagerVmx],
    ['x86-svm', x86EagerSvm],
  ] as const)('on %s, eager injects it and holds', (_id, policy) => {
    expectPolicy(policy).toHoldOn(GUEST_OWN_BREAKPOINT);
  });
});

/** The host runs with LBR (perf), then the guest turns LBR on itself: both want DEBUGCTL.LBR. */
const GUEST_LBR_UNDER_HOST_LBR: TraceEvent[] = [
  { event: 'HOST_SET_DEBUGCTL', cpu: 0, value: 1 },
  { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
  { event: 'GUEST_ENTER', vcpu: 0 },
  { event: 'GUEST_WRITE', vcpu: 0, reg: 'IA32_DEBUGCTL', value: 1 },
  { event: 'GUEST_ENTER', vcpu: 0 },
];

describe('the DEBUGCTL the guest runs with is its own, not only "not the host\'s"', () => {
  it('a WRMSR kept in a software copy the VM entry never loads is found although the host value differs from the stale one', () => {
    const run = () => expectPolicy(debugctlWriteNotInVmcs).toHoldOn(GUEST_LBR_UNDER_HOST_LBR);
    expect(run).toThrow(PolicyViolation);
    expect(run).toThrow(
      /no-stale-read: vcpu0 runs on cpu0 with IA32_DEBUGCTL = 0x0 in force, not its own value 0x1, set by the guest at step 4/,
    );
  });

  it.each([
    ['eager', x86EagerVmx],
    ['x86-lazy-2014-fixed', x86Lazy2014FixedVmx],
  ] as const)("%s on x86-vmx loads the guest's LBR and holds", (_name, policy) => {
    expectPolicy(policy).toHoldOn(GUEST_LBR_UNDER_HOST_LBR);
  });
});

describe('the unmutated policies hold, with run-loop interrupts exercised', () => {
  const POLICIES = [
    ['eager', 'x86-vmx', {}, x86EagerVmx],
    ['eager', 'x86-svm', { lbrv: 1 }, x86EagerSvm],
    ['eager', 'x86-svm', { lbrv: 0 }, x86EagerSvm],
    ['x86-lazy-2014-fixed', 'x86-vmx', {}, x86Lazy2014FixedVmx],
    ['x86-lazy-2014-fixed', 'x86-svm', { lbrv: 1 }, x86Lazy2014FixedSvm],
  ] as const;

  it.each(POLICIES)('%s on %s (%o) holds on 2000 interleavings and every one of at most 6 events', (_name, id, config, policy) => {
    const arch = archOf(id);
    const r = check(policy, { arch, config, invariants: invariantsFor(id), seed: 1, runs: 2000, coverage: true });
    expect(r.violation).toBeUndefined();
    expect(r.coverage?.events.find((c) => c.event === 'RUN_LOOP_IRQ')?.applied).toBeGreaterThan(0);
    const e = explore(policy, { arch, config, invariants: invariantsFor(id), depth: 6, coverage: true });
    expect(e.violation).toBeUndefined();
    expect(e.depthCompleted).toBe(6);
    expect(e.coverage?.events.find((c) => c.event === 'RUN_LOOP_IRQ')?.applied).toBeGreaterThan(0);
  });
});
