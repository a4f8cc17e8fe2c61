/**
 * The single-step of an instruction KVM emulates (a trapped MOV DR, RDMSR/WRMSR of IA32_DEBUGCTL):
 * the exit handler skips it with kvm_skip_emulated_instruction, which returns KVM_EXIT_DEBUG with
 * DR6.BS when TF was set (kvm_vcpu_do_singlestep), and KVM_RUN ends. A pre-4.11 handler that skips
 * with the vendor's skip_emulated_instruction alone loses the step; one that reports a step userspace
 * did not ask for is found too. Both by `check` and by `explore`, on VMX and SVM.
 */
import { describe, expect, it } from 'vitest';
import { x86Svm, x86Vmx } from '../../models/x86/model.js';
import { x86EagerSvm, x86EagerVmx } from '../../models/x86/policies/eager.js';
import { x86Lazy2014Svm, x86Lazy2014Vmx } from '../../models/x86/policies/x86-lazy-2014.js';
import { x86Lazy2014FixedSvm, x86Lazy2014FixedVmx } from '../../models/x86/policies/x86-lazy-2014-fixed.js';
import { invariantsFor } from '../../properties/suites.js';
import type { TraceEvent } from '../../src/engine/trace.js';
import { expectPolicy, PolicyViolation, TraceDiverged } from '../../src/expect-policy.js';
import { check } from '../../src/searches/check.js';
import { explore } from '../../src/searches/explore.js';
import { emulatedStepEarly, emulatedStepInjected, emulatedStepLost, emulatedStepWithoutTf } from './x86-mutants.js';

const IDS = ['x86-vmx', 'x86-svm'] as const;
const archOf = (id: string) => (id === 'x86-vmx' ? x86Vmx : x86Svm);
const UNMUTATED = {
  'x86-vmx': [x86EagerVmx, x86Lazy2014Vmx, x86Lazy2014FixedVmx],
  'x86-svm': [x86EagerSvm, x86Lazy2014Svm, x86Lazy2014FixedSvm],
} as const;

/** The lost step, as the message names it: the emulated instruction and what upstream does instead. */
const LOST =
  /DR6\[BS\] on cpu\d never reached userspace: vcpu0's (MOV (to|from) DR[0-7]|(RD|WR)MSR of IA32_DEBUGCTL) trapped and KVM emulated it, but the exit handler skipped it and resumed the guest without its single-step \(kvm_skip_emulated_instruction -> kvm_vcpu_do_singlestep/;

/** The vCPU loaded, userspace's KVM_SET_GUEST_DEBUG (`useHw`, `singleStep`), KVM_RUN, then the guest's `access`. */
const debugged = (useHw: 'on' | 'off', singleStep: 'on' | 'off', access: TraceEvent): TraceEvent[] => [
  { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
  { event: 'VMM_SET_GUEST_DEBUG', vcpu: 0, enable: 'on', useHw, singleStep, bps: 'none' },
  { event: 'GUEST_ENTER', vcpu: 0 },
  access,
];

/** Userspace single-steps; the guest's MOV to DR7 traps and is emulated; the guest runs on. */
const STEP_OVER_MOV = debugged('off', 'on', { event: 'GUEST_WRITE', vcpu: 0, reg: 'DR7', value: 0x401 });

/** The same, then (KVM_RUN having returned KVM_EXIT_DEBUG) gdb stops stepping and the guest runs on. */
const STEP_THEN_CONTINUE: TraceEvent[] = [
  ...STEP_OVER_MOV,
  { event: 'VMM_SET_GUEST_DEBUG', vcpu: 0, enable: 'off', useHw: 'off', singleStep: 'off', bps: 'none' },
  { event: 'GUEST_ENTER', vcpu: 0 },
  { event: 'GUEST_READ', vcpu: 0, reg: 'IA32_DEBUGCTL' },
  { event: 'GUEST_ENTER', vcpu: 0 },
  { event: 'GUEST_EXECUTE', vcpu: 0, addr: 0x1000 },
];

describe('the single-step of an emulated instruction (kvm_skip_emulated_instruction)', () => {
  it.each(IDS)('on %s, a pre-4.11 handler (vendor skip_emulated_instruction alone) is found by check', (id) => {
    const r = check(emulatedStepLost(id), { arch: archOf(id), invariants: invariantsFor(id), seed: 1, runs: 2000 });
    expect(r.verdict).toBe('violated');
    expect(r.violation?.invariant).toBe('debug-status-consumed');
    expect(r.violation?.message).toMatch(LOST);
    expect(r.trace.find((e) => e.event === 'VMM_SET_GUEST_DEBUG')).toMatchObject({ singleStep: 'on' });
  });

  it.each(IDS)('on %s, explore finds it at the emulated instruction itself (4 events), and only there', (id) => {
    const e = explore(emulatedStepLost(id), { arch: archOf(id), invariants: invariantsFor(id), depth: 5 });
    expect(e.violation?.invariant).toBe('debug-status-consumed');
    expect(e.violation?.message).toMatch(LOST);
    expect(e.trace).toHaveLength(4);
    // The last event is the trapped access, not a later instruction: judged when the handler resumes the guest.
    expect(e.trace?.at(-1)?.event).toMatch(/^GUEST_(READ|WRITE)$/);
    // Every unmutated built-in holds on the mutant's counterexample.
    for (const policy of UNMUTATED[id]) expectPolicy(policy).toHoldOn(e.trace ?? []);
  });

  it.each(IDS)('on %s, the mutant steps hardware-executed instructions as upstream: only the emulated step is lost', (id) => {
    const hardwareOnly: TraceEvent[] = [
      ...debugged('off', 'on', { event: 'GUEST_EXECUTE', vcpu: 0, addr: 0x1000 }),
      { event: 'GUEST_ENTER', vcpu: 0 },
      { event: 'GUEST_EXECUTE', vcpu: 0, addr: 0x2000 },
    ];
    expectPolicy(emulatedStepLost(id)).toHoldOn(hardwareOnly);
    const run = () => expectPolicy(emulatedStepLost(id)).toHoldOn(STEP_OVER_MOV);
    expect(run).toThrow(PolicyViolation);
    expect(run).toThrow(LOST);
  });

  it.each(IDS)('on %s, a step reported while userspace does not single-step is found by check and explore', (id) => {
    const spurious =
      /DR6\[BS\] on cpu\d was delivered to userspace as KVM_EXIT_DEBUG: userspace does not single-step vcpu0, yet the exit handler that emulated its .* returned KVM_EXIT_DEBUG for a step/;
    const policy = emulatedStepWithoutTf(id);
    const r = check(policy, { arch: archOf(id), invariants: invariantsFor(id), seed: 1, runs: 2000 });
    expect(r.violation?.invariant).toBe('debug-status-consumed');
    expect(r.violation?.message).toMatch(spurious);
    const e = explore(policy, { arch: archOf(id), invariants: invariantsFor(id), depth: 5 });
    expect(e.violation?.invariant).toBe('debug-status-consumed');
    expect(e.violation?.message).toMatch(spurious);
    expect(e.trace?.find((ev) => ev.event === 'VMM_SET_GUEST_DEBUG')).toMatchObject({ singleStep: 'off' });
  });

  it.each(IDS)('on %s, a step queued into the guest while userspace single-steps is found by check and explore', (id) => {
    const injected =
      /DR6\[BS\] on cpu\d is owed to userspace \(KVM_SET_GUEST_DEBUG\) but was delivered to the guest: KVM_RUN never returned KVM_EXIT_DEBUG for it/;
    const policy = emulatedStepInjected(id);
    const r = check(policy, { arch: archOf(id), invariants: invariantsFor(id), seed: 1, runs: 2000 });
    expect(r.violation?.invariant).toBe('debug-status-consumed');
    expect(r.violation?.message).toMatch(injected);
    const e = explore(policy, { arch: archOf(id), invariants: invariantsFor(id), depth: 5 });
    expect(e.violation?.message).toMatch(injected);
    expect(e.trace).toHaveLength(4);
    expect(e.trace?.at(-1)?.event).toMatch(/^GUEST_(READ|WRITE)$/);
    // With hardware breakpoints too, its helper returns KVM_EXIT_DEBUG: only the plain single-step is misrouted.
    const withBps: TraceEvent[] = debugged('on', 'on', { event: 'GUEST_WRITE', vcpu: 0, reg: 'DR7', value: 0x401 });
    expectPolicy(policy).toHoldOn(withBps);
  });

  it.each(IDS)('on %s, a step queued into the guest by an emulated MOV to DR6 is told apart from a lost one', (id) => {
    // The MOV writes vcpu->arch.dr6 itself (kvm_set_dr); the value written has no BS, so a BS there after
    // the handler is its queued #DB(BS), not the guest's own write.
    const movToDr6: TraceEvent[] = debugged('off', 'on', { event: 'GUEST_WRITE', vcpu: 0, reg: 'DR6', value: 0xffff0ff1 });
    const injected = () => expectPolicy(emulatedStepInjected(id)).toHoldOn(movToDr6);
    expect(injected).toThrow(/DR6\[BS\] on cpu\d is owed to userspace \(KVM_SET_GUEST_DEBUG\) but was delivered to the guest/);
    expect(injected).not.toThrow(/never reached userspace/);
    const lost = () => expectPolicy(emulatedStepLost(id)).toHoldOn(movToDr6);
    expect(lost).toThrow(/DR6\[BS\] on cpu\d never reached userspace: vcpu0's MOV to DR6 trapped and KVM emulated it/);
    for (const policy of UNMUTATED[id]) expectPolicy(policy).toHoldOn(movToDr6);
  });

  it.each(IDS)('on %s, a step reported for a MOV left to run again is found, for a read as for a write', (id) => {
    // The handler returns KVM_EXIT_DEBUG without emulating or skipping the MOV (TrapParams.retry): the
    // instruction has not executed, so the step is spurious. A retried MOV from DRn is judged as a
    // retried MOV to DRn is (before, InstructionHooks.after never ran for a retried read).
    const early =
      /DR6\[BS\] on cpu\d was delivered to userspace as KVM_EXIT_DEBUG: the exit handler left vcpu0's MOV (to|from) DR[0-7] to run again \(not executed, so not stepped\), yet returned KVM_EXIT_DEBUG for a step/;
    const policy = emulatedStepEarly(id);
    const access = (ev: TraceEvent): TraceEvent[] => [...STEP_OVER_MOV.slice(0, 3), ev];
    for (const ev of [
      { event: 'GUEST_READ', vcpu: 0, reg: 'DR7' },
      { event: 'GUEST_WRITE', vcpu: 0, reg: 'DR7', value: 0x401 },
    ] as TraceEvent[]) {
      const run = () => expectPolicy(policy).toHoldOn(access(ev));
      expect(run).toThrow(PolicyViolation);
      expect(run).toThrow(early);
      for (const unmutated of UNMUTATED[id]) expectPolicy(unmutated).toHoldOn(access(ev));
    }
    // Userspace debugging without single-step: the handler is upstream's, and nothing is reported.
    expectPolicy(policy).toHoldOn([
      STEP_OVER_MOV[0] as TraceEvent,
      { event: 'VMM_SET_GUEST_DEBUG', vcpu: 0, enable: 'on', useHw: 'on', singleStep: 'off', bps: 'none' },
      { event: 'GUEST_ENTER', vcpu: 0 },
      { event: 'GUEST_READ', vcpu: 0, reg: 'DR7' },
    ]);
    const r = check(policy, { arch: archOf(id), invariants: invariantsFor(id), seed: 1, runs: 2000 });
    expect(r.violation?.message).toMatch(early);
    const e = explore(policy, { arch: archOf(id), invariants: invariantsFor(id), depth: 5 });
    expect(e.violation?.message).toMatch(early);
    expect(e.trace).toHaveLength(4);
  });

  it.each(IDS)('on %s, the built-ins report the step and KVM_RUN ends: userspace may call KVM_SET_GUEST_DEBUG at once', (id) => {
    for (const policy of UNMUTATED[id]) {
      expectPolicy(policy).toHoldOn(STEP_OVER_MOV);
      expectPolicy(policy).toHoldOn(STEP_THEN_CONTINUE);
    }
  });

  it.each(IDS)('on %s, without a step to report the run loop goes on: no ioctl until KVM_RUN returns', (id) => {
    // The same MOV with userspace debugging but not stepping: the handler returns 1 and the vCPU stays in
    // the run loop (`trapped`, where only a re-entry or a vcpu_put follows), so KVM_SET_GUEST_DEBUG
    // straight after it does not apply. With the step (above) it does: KVM_RUN returned KVM_EXIT_DEBUG.
    const noStep: TraceEvent[] = [
      ...debugged('on', 'off', { event: 'GUEST_WRITE', vcpu: 0, reg: 'DR7', value: 0x401 }),
      { event: 'VMM_SET_GUEST_DEBUG', vcpu: 0, enable: 'off', useHw: 'off', singleStep: 'off', bps: 'none' },
    ];
    expect(() => expectPolicy(UNMUTATED[id][2]).toHoldOn(noStep)).toThrow(TraceDiverged);
    expectPolicy(UNMUTATED[id][2]).toHoldOn(noStep.slice(0, 4));
  });
});
