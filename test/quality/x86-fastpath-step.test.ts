/**
 * The single-step of the guest's WRMSR the fast path completes (FASTPATH_EXIT: handle_fastpath_set_msr_irqoff
 * for TSC deadline or x2APIC ICR). kvm_skip_emulated_instruction reports it (KVM_EXIT_DEBUG) while
 * userspace single-steps; since 6.12 (f7f39c50edb9) the fast path then returns EXIT_FASTPATH_EXIT_USERSPACE
 * and KVM_RUN returns through the run loop's exit path. A fast path that ignores the skip's result
 * (as before 6.12) re-enters and the step is lost: found by `check` and `explore`, on VMX and SVM.
 */
import { describe, expect, it } from 'vitest';
import { ERA_5_7, ERA_5_10 } from '../../models/x86/eras.js';
import { x86Svm, x86Vmx } from '../../models/x86/model.js';
import { x86EagerSvm, x86EagerVmx } from '../../models/x86/policies/eager.js';
import { kvm_skip_emulated_instruction } from '../../models/x86/policies/kvm-x86.js';
import { svmOps } from '../../models/x86/policies/svm.js';
import { vmxOps } from '../../models/x86/policies/vmx.js';
import { x86Lazy2014Svm, x86Lazy2014Vmx } from '../../models/x86/policies/x86-lazy-2014.js';
import { lazyFixedHooks, x86Lazy2014FixedSvm, x86Lazy2014FixedVmx } from '../../models/x86/policies/x86-lazy-2014-fixed.js';
import { KVM_EXIT_DEBUG } from '../../models/x86/vm-switch.js';
import { invariantsFor } from '../../properties/suites.js';
import { definePolicy } from '../../src/engine/policy.js';
import type { TraceEvent } from '../../src/engine/trace.js';
import { expectPolicy, PolicyViolation, TraceDiverged } from '../../src/expect-policy.js';
import { check } from '../../src/searches/check.js';
import { explore } from '../../src/searches/explore.js';
import { fastpathExitPathSkipped, singleStepTfNotSet } from './x86-eager-mutants.js';
import { fastpathStepIgnored } from './x86-mutants.js';

const IDS = ['x86-vmx', 'x86-svm'] as const;
const archOf = (id: string) => (id === 'x86-vmx' ? x86Vmx : x86Svm);
const UNMUTATED = {
  'x86-vmx': [x86EagerVmx, x86Lazy2014Vmx, x86Lazy2014FixedVmx],
  'x86-svm': [x86EagerSvm, x86Lazy2014Svm, x86Lazy2014FixedSvm],
} as const;

/** The lost step, in kernel terms: the fast path re-entered, ignoring what the skip returned. */
const LOST =
  /DR6\[BS\] on cpu\d never reached userspace: vcpu0's WRMSR was handled on the fast path \(handle_fastpath_set_msr_irqoff\) and skipped, and the guest re-entered without its single-step: the fast path ignored kvm_skip_emulated_instruction's KVM_EXIT_DEBUG \(EXIT_FASTPATH_REENTER_GUEST instead of EXIT_FASTPATH_EXIT_USERSPACE; fixed by f7f39c50edb9, 6\.12\)/;

/** Userspace single-steps (`useHw` breakpoints or not); KVM_RUN; the guest's WRMSR completes on the fast path. */
const stepOverFastpath = (useHw: 'on' | 'off'): TraceEvent[] => [
  { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
  { event: 'VMM_SET_GUEST_DEBUG', vcpu: 0, enable: 'on', useHw, singleStep: 'on', bps: 'none' },
  { event: 'GUEST_ENTER', vcpu: 0 },
  { event: 'FASTPATH_EXIT', vcpu: 0 },
];

/** The same, then (KVM_RUN having returned KVM_EXIT_DEBUG) gdb stops stepping and the guest runs on. */
const STEP_THEN_CONTINUE: TraceEvent[] = [
  ...stepOverFastpath('off'),
  { event: 'VMM_SET_GUEST_DEBUG', vcpu: 0, enable: 'off', useHw: 'off', singleStep: 'off', bps: 'none' },
  { event: 'GUEST_ENTER', vcpu: 0 },
  { event: 'FASTPATH_EXIT', vcpu: 0 },
  { event: 'GUEST_EXECUTE', vcpu: 0, addr: 0x1000 },
];

describe('the single-step of a fast-path WRMSR (handle_fastpath_set_msr_irqoff, f7f39c50edb9)', () => {
  it.each(IDS)('on %s, a fast path that ignores the skip (before 6.12) is found by check', (id) => {
    const r = check(fastpathStepIgnored(id), { arch: archOf(id), invariants: invariantsFor(id), seed: 1, runs: 2000 });
    expect(r.verdict).toBe('violated');
    expect(r.violation?.invariant).toBe('debug-status-consumed');
    expect(r.violation?.message).toMatch(LOST);
    expect(r.trace.at(-1)?.event).toBe('FASTPATH_EXIT');
    expect(r.trace.find((e) => e.event === 'VMM_SET_GUEST_DEBUG')).toMatchObject({ singleStep: 'on' });
  });

  it.each(IDS)('on %s, explore finds it at the fast-path WRMSR itself (4 events); the built-ins hold there', (id) => {
    const e = explore(fastpathStepIgnored(id), { arch: archOf(id), invariants: invariantsFor(id), depth: 5 });
    expect(e.violation?.invariant).toBe('debug-status-consumed');
    expect(e.violation?.message).toMatch(LOST);
    expect(e.trace).toHaveLength(4);
    expect(e.trace?.at(-1)?.event).toBe('FASTPATH_EXIT');
    for (const policy of UNMUTATED[id]) expectPolicy(policy).toHoldOn(e.trace ?? []);
  });

  it.each(IDS)('on %s, the unmutated built-ins hold where the mutant fails, with and without breakpoints', (id) => {
    for (const useHw of ['on', 'off'] as const) {
      const run = () => expectPolicy(fastpathStepIgnored(id)).toHoldOn(stepOverFastpath(useHw));
      expect(run).toThrow(PolicyViolation);
      expect(run).toThrow(LOST);
      for (const policy of UNMUTATED[id]) expectPolicy(policy).toHoldOn(stepOverFastpath(useHw));
    }
    // Without single-step there is no step to lose: the mutant's re-entry is upstream's.
    expectPolicy(fastpathStepIgnored(id)).toHoldOn([
      { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
      { event: 'GUEST_ENTER', vcpu: 0 },
      { event: 'FASTPATH_EXIT', vcpu: 0 },
      { event: 'GUEST_EXECUTE', vcpu: 0, addr: 0x1000 },
    ]);
  });

  it.each(IDS)('on %s, the built-ins exit to userspace with the step: KVM_RUN returned, so KVM_SET_GUEST_DEBUG applies at once', (id) => {
    for (const policy of UNMUTATED[id]) expectPolicy(policy).toHoldOn(STEP_THEN_CONTINUE);
    // The mutant re-entered instead: the vCPU is still in the guest, where no ioctl runs.
    const stillInGuest = STEP_THEN_CONTINUE.slice(0, 5);
    const run = () => expectPolicy(fastpathStepIgnored(id)).toHoldOn(stillInGuest, { invariants: ['policy-total'] });
    expect(run).toThrow(TraceDiverged);
  });

  it.each(IDS)('on %s, a step lost because the guest ran without TF is not blamed on the fast path', (id) => {
    // KVM_SET_GUEST_DEBUG without kvm_set_rflags: the upstream fast path has no step to report.
    const run = () => expectPolicy(singleStepTfNotSet(id)).toHoldOn(stepOverFastpath('off'));
    expect(run).toThrow(
      /DR6\[BS\] on cpu0 never reached userspace: vcpu0's WRMSR was handled on the fast path \(handle_fastpath_set_msr_irqoff\) and skipped, but the guest ran it without RFLAGS\.TF although userspace single-steps it/,
    );
    expect(run).not.toThrow(/ignored kvm_skip_emulated_instruction/);
  });

  it.each(IDS)('on %s, a fast path reporting a step userspace did not ask for is found, in kernel terms', (id) => {
    const ops = id === 'x86-vmx' ? vmxOps : svmOps;
    const always = definePolicy({
      name: 'fastpath-always-debug',
      arch: id,
      hooks: {
        ...lazyFixedHooks(ops),
        fastpath(k) {
          ops.run_exit(k);
          return KVM_EXIT_DEBUG;
        },
      },
    });
    const noStep: TraceEvent[] = [
      { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
      { event: 'GUEST_ENTER', vcpu: 0 },
      { event: 'FASTPATH_EXIT', vcpu: 0 },
    ];
    expect(() => expectPolicy(always).toHoldOn(noStep)).toThrow(
      /DR6\[BS\] on cpu0 was delivered to userspace as KVM_EXIT_DEBUG: userspace does not single-step vcpu0 \(and the guest never sets TF\), yet the fast path that handled its WRMSR exited to userspace with KVM_EXIT_DEBUG for a step/,
    );
    expectPolicy(always).toHoldOn(stepOverFastpath('off'));
  });
});

/**
 * Linux 5.10's SVM had no fast-path re-entry (`--x86-era 3`): svm_vcpu_run returned the fast path's result
 * (svm_exit_handlers_fastpath -> handle_fastpath_set_msr_irqoff, the x2APIC ICR write: EXIT_FASTPATH_EXIT_HANDLED)
 * to vcpu_enter_guest, whose exit path ran, then handle_exit's `if (exit_fastpath != EXIT_FASTPATH_NONE) return 1;`
 * and vcpu_run entered again: the KVM_EXIT_DEBUG the skip set up was dropped all the same.
 */
describe('5.10 SVM: the fast path goes on through handle_exit (--x86-era 3)', () => {
  const config = { 'x86-era': ERA_5_10 };
  const LOST_HANDLED =
    /DR6\[BS\] on cpu0 never reached userspace: vcpu0's WRMSR was handled on the fast path \(handle_fastpath_set_msr_irqoff\) and skipped, and the run loop entered the guest again without its single-step: the fast path ignored kvm_skip_emulated_instruction's KVM_EXIT_DEBUG \(EXIT_FASTPATH_EXIT_HANDLED\), and handle_exit returned 1 for the fast-path exit/;
  // The built-in eager SVM (6.17 code) with 5.10's fast path: the skip's result ignored.
  const exitHandled = definePolicy({
    name: 'fastpath-exit-handled',
    arch: 'x86-svm',
    hooks: {
      ...x86EagerSvm.hooks,
      fastpath(k) {
        svmOps.debugctl_exit(k);
        kvm_skip_emulated_instruction(k, svmOps); // `ret = EXIT_FASTPATH_EXIT_HANDLED;` whatever it returned
      },
    },
  });
  const invariants = invariantsFor('x86-svm');

  it('check and explore find the lost step at the fast-path WRMSR; eager (f7f39c50edb9) holds on the trace', () => {
    const c = check(exitHandled, { arch: x86Svm, invariants, seed: 1, runs: 2000, config });
    expect(c.violation?.invariant).toBe('debug-status-consumed');
    expect(c.violation?.message).toMatch(LOST_HANDLED);
    expect(c.trace.at(-1)?.event).toBe('FASTPATH_EXIT');
    const e = explore(exitHandled, { arch: x86Svm, invariants, depth: 5, config });
    expect(e.violation?.invariant).toBe('debug-status-consumed');
    expect(e.violation?.message).toMatch(LOST_HANDLED);
    expect(e.trace).toHaveLength(4);
    expectPolicy(x86EagerSvm).toHoldOn(e.trace ?? [], { config });
  });

  it('without single-step nothing is lost, and the vCPU is entered again by a full GUEST_ENTER', () => {
    const trace: TraceEvent[] = [
      { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
      { event: 'GUEST_ENTER', vcpu: 0 },
      { event: 'FASTPATH_EXIT', vcpu: 0 },
      { event: 'GUEST_ENTER', vcpu: 0 },
      { event: 'GUEST_EXECUTE', vcpu: 0, addr: 0x1000 },
    ];
    expectPolicy(exitHandled).toHoldOn(trace, { config });
    expectPolicy(x86EagerSvm).toHoldOn(trace, { config });
    // In the eras that re-enter inside the loop, the guest is still running after FASTPATH_EXIT: no GUEST_ENTER.
    expect(() => expectPolicy(x86EagerSvm).toHoldOn(trace, { invariants: ['policy-total'] })).toThrow(TraceDiverged);
  });

  it('the exit path runs after the fast path: skipping it there leaves the host without its breakpoints', () => {
    // vcpu_enter_guest's code after kvm_x86_ops.run (hw_breakpoint_restore) runs for a fast-path exit too.
    const noExitPath = fastpathExitPathSkipped(exitHandled);
    const e = explore(noExitPath, { arch: x86Svm, invariants, depth: 5, config });
    expect(e.violation?.invariant).toBe('host-breakpoints-preserved');
    expect(e.violation?.message).toMatch(/cpu0 runs host code with DR7 = 0x400; the host's value is 0x402/);
    expect(e.trace?.map((ev) => ev.event)).toEqual(['VCPU_LOAD', 'RUN_LOOP_IRQ', 'FASTPATH_EXIT']);
    expectPolicy(exitHandled).toHoldOn(e.trace ?? [], { config });
    // Where the fast path re-enters inside the loop (6.17), the same hooks never reach the host there.
    expectPolicy(noExitPath).toHoldOn(e.trace ?? []);
  });

  it('the baseline eager holds in this era: its fast path leaves the guest DEBUGCTL unloaded when no re-entry follows', () => {
    // Loading the guest's DEBUGCTL for a re-entry that 5.10 SVM never makes left it live for the host after the exit path.
    expect(explore(x86EagerSvm, { arch: x86Svm, invariants, depth: 5, config }).verdict).toBe('held');
    expect(check(x86EagerSvm, { arch: x86Svm, invariants, seed: 1, runs: 2000, config }).verdict).toBe('held');
    const reloads = definePolicy({
      name: 'fastpath-reloads-guest-debugctl',
      arch: 'x86-svm',
      hooks: {
        ...x86EagerSvm.hooks,
        fastpath(k) {
          const exit = x86EagerSvm.hooks.fastpath?.(k);
          if (exit === undefined) svmOps.debugctl_enter(k, 0);
          return exit;
        },
      },
    });
    const e = explore(reloads, { arch: x86Svm, invariants, depth: 4, config });
    expect(e.violation?.invariant).toBe('host-breakpoints-preserved');
    expect(e.violation?.message).toMatch(/IA32_DEBUGCTL = 0x0; the host's value is 0x1/);
  });

  it('only the era without a re-entry finds them: with no fast path (5.7) the mutant holds as eager does', () => {
    const old = { 'x86-era': ERA_5_7 };
    expect(check(exitHandled, { arch: x86Svm, invariants, seed: 1, runs: 300, config: old }).verdict).toBe('held');
  });

  it('the step is not lost where userspace gets it: the same trace single-stepped exits with KVM_EXIT_DEBUG', () => {
    expect(() => expectPolicy(exitHandled).toHoldOn(stepOverFastpath('off'), { config })).toThrow(LOST_HANDLED);
    // KVM_RUN returned with the step (EXIT_FASTPATH_EXIT_USERSPACE), so KVM_SET_GUEST_DEBUG applies at once;
    // the next fast path without a step goes on through handle_exit, and the loop enters the guest again.
    const stepThenContinue: TraceEvent[] = [
      ...STEP_THEN_CONTINUE.slice(0, 7),
      { event: 'GUEST_ENTER', vcpu: 0 },
      { event: 'GUEST_EXECUTE', vcpu: 0, addr: 0x1000 },
    ];
    expectPolicy(x86EagerSvm).toHoldOn(stepThenContinue, { config });
    expect(() => expectPolicy(exitHandled).toHoldOn(stepThenContinue, { config, invariants: ['policy-total'] })).toThrow(TraceDiverged);
  });
});
