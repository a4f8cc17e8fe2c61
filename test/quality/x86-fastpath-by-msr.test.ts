/**
 * Linux 5.10's VMX fast path goes on in two ways, by the MSR the guest wrote (`--x86-era 3`, FASTPATH_EXIT's
 * operand `msr`): handle_fastpath_set_msr_irqoff returns EXIT_FASTPATH_REENTER_GUEST for the TSC deadline,
 * and vmx_vcpu_run goes to `reenter_guest`; it returns EXIT_FASTPATH_EXIT_HANDLED for the x2APIC ICR, so
 * vmx_vcpu_run returns to vcpu_enter_guest, whose exit path runs, then __vmx_handle_exit's
 * `if (exit_fastpath != EXIT_FASTPATH_NONE) return 1;`, and vcpu_run enters again (openharmony/kernel_linux_5.10
 * x86.c @001420d1, vmx.c @0508804a). Both skip the WRMSR and ignore the skip's KVM_EXIT_DEBUG.
 */
import { describe, expect, it } from 'vitest';
import { ERA_5_10, ERA_5_15, MSR_IA32_TSC_DEADLINE, X2APIC_ICR_MSR } from '../../models/x86/eras.js';
import { x86Vmx } from '../../models/x86/model.js';
import { x86EagerVmx } from '../../models/x86/policies/eager.js';
import { invariantsFor } from '../../properties/suites.js';
import { definePolicy } from '../../src/engine/policy.js';
import type { TraceEvent } from '../../src/engine/trace.js';
import { expectPolicy, TraceDiverged } from '../../src/expect-policy.js';
import { explore } from '../../src/searches/explore.js';
import { vmx as vmx515 } from '../fixtures/eras/x86-5.15.js';
import vmx510 from '../fixtures/eras/x86-vmx-5.10.js';
import { fastpathExitPathSkipped } from './x86-eager-mutants.js';

const config = { 'x86-era': ERA_5_10 };
const invariants = invariantsFor('x86-vmx');
type Msr = 'tsc-deadline' | 'x2apic-icr';

/** KVM_RUN, then the guest's WRMSR of `msr` completes on the fast path, then the guest executes. */
const runOn = (msr: Msr, enter: boolean): TraceEvent[] => [
  { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
  { event: 'GUEST_ENTER', vcpu: 0 },
  { event: 'FASTPATH_EXIT', vcpu: 0, msr },
  ...(enter ? [{ event: 'GUEST_ENTER', vcpu: 0 }] : []),
  { event: 'GUEST_EXECUTE', vcpu: 0, addr: 0x1000 },
];

/** Userspace single-steps; KVM_RUN; the guest's WRMSR of `msr` completes on the fast path. */
const stepOver = (msr: Msr): TraceEvent[] => [
  { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
  { event: 'VMM_SET_GUEST_DEBUG', vcpu: 0, enable: 'on', useHw: 'off', singleStep: 'on', bps: 'none' },
  { event: 'GUEST_ENTER', vcpu: 0 },
  { event: 'FASTPATH_EXIT', vcpu: 0, msr },
];

describe('5.10 VMX: the fast path re-enters after a TSC-deadline WRMSR and goes through handle_exit after an x2APIC ICR one', () => {
  it('the TSC deadline re-enters in vmx_vcpu_run; the x2APIC ICR needs the run loop to enter again', () => {
    expectPolicy(vmx510).toHoldOn(runOn('tsc-deadline', false), { config });
    expectPolicy(vmx510).toHoldOn(runOn('x2apic-icr', true), { config });
    expect(() => expectPolicy(vmx510).toHoldOn(runOn('x2apic-icr', false), { config, invariants: ['policy-total'] })).toThrow(
      TraceDiverged,
    );
    expect(() => expectPolicy(vmx510).toHoldOn(runOn('tsc-deadline', true), { config, invariants: ['policy-total'] })).toThrow(
      TraceDiverged,
    );
  });

  it("the policy's fastpath hook is given the MSR's index (kvm_rcx_read)", () => {
    const seen: (number | undefined)[] = [];
    const recording = definePolicy({
      name: 'fastpath-records-msr',
      arch: 'x86-vmx',
      defaults: config,
      hooks: {
        ...x86EagerVmx.hooks,
        fastpath(k, msr) {
          seen.push(msr);
          return x86EagerVmx.hooks.fastpath?.(k, msr);
        },
      },
    });
    expectPolicy(recording).toHoldOn(runOn('tsc-deadline', false), { config });
    expectPolicy(recording).toHoldOn(runOn('x2apic-icr', true), { config });
    expect(seen).toEqual([MSR_IA32_TSC_DEADLINE, X2APIC_ICR_MSR]);
    expect([MSR_IA32_TSC_DEADLINE, X2APIC_ICR_MSR]).toEqual([0x6e0, 0x830]); // msr-index.h; APIC_BASE_MSR + (APIC_ICR >> 4)
  });

  it('5.10 loses the single-step either way, each in its own words', () => {
    expect(() => expectPolicy(vmx510).toHoldOn(stepOver('tsc-deadline'), { config })).toThrow(
      /the guest re-entered without its single-step: the fast path ignored kvm_skip_emulated_instruction's KVM_EXIT_DEBUG \(EXIT_FASTPATH_REENTER_GUEST/,
    );
    expect(() => expectPolicy(vmx510).toHoldOn(stepOver('x2apic-icr'), { config })).toThrow(
      /the run loop entered the guest again without its single-step: the fast path ignored kvm_skip_emulated_instruction's KVM_EXIT_DEBUG \(EXIT_FASTPATH_EXIT_HANDLED\), and handle_exit returned 1/,
    );
  });

  it('eager, whose fast path re-arms only a re-entry, holds; a mutant that skips the exit path after the ICR is found', () => {
    expect(explore(x86EagerVmx, { arch: x86Vmx, invariants, depth: 5, config }).verdict).toBe('held');
    // vcpu_enter_guest's code after kvm_x86_ops.run (hw_breakpoint_restore) runs after the x2APIC ICR fast path too.
    const noExitPath = fastpathExitPathSkipped(x86EagerVmx);
    const e = explore(noExitPath, { arch: x86Vmx, invariants, depth: 5, config });
    expect(e.violation?.invariant).toBe('host-breakpoints-preserved');
    expect(e.trace?.map((ev) => ev.event)).toEqual(['VCPU_LOAD', 'RUN_LOOP_IRQ', 'FASTPATH_EXIT']);
    expect(e.trace?.at(-1)).toMatchObject({ msr: 'x2apic-icr' });
    // Only the ICR goes there: after the TSC deadline the guest runs on, and the same hooks hold.
    const tsc = (e.trace ?? []).map((ev) => (ev.event === 'FASTPATH_EXIT' ? { ...ev, msr: 'tsc-deadline' } : ev));
    expectPolicy(noExitPath).toHoldOn(tsc, { config });
    expectPolicy(x86EagerVmx).toHoldOn(e.trace ?? [], { config });
  });
});

/**
 * Linux 5.15 (`--x86-era 4`) kept 5.10's returns (android13-5.15-lts x86.c) under the re-entry loop that moved into
 * vcpu_enter_guest: the TSC deadline re-enters there, reloading vmx_vcpu_run's stale DR6 over the one the guest wrote
 * untrapped (c2fee09fc167, 6.14); the x2APIC ICR leaves the loop, and the exit path's sync reads the guest's DR6 first.
 */
describe("5.15 VMX: only the TSC deadline's re-entry clobbers the guest's DR6", () => {
  const era515 = { 'x86-era': ERA_5_15 };
  it('explore finds the clobber at a TSC-deadline FASTPATH_EXIT; with the x2APIC ICR the same trace holds', () => {
    const noStaleRead = invariants.filter((i) => i.name === 'no-stale-read');
    const e = explore(vmx515, { arch: x86Vmx, invariants: noStaleRead, depth: 5, config: era515 });
    expect(e.violation?.invariant).toBe('no-stale-read');
    expect(e.violation?.message).toMatch(/vcpu0 reads DR6 untrapped on cpu0 and would see 0xffff0ff0; its value is 0xffff0ff1/);
    expect(e.trace?.at(-1)).toMatchObject({ event: 'FASTPATH_EXIT', msr: 'tsc-deadline' });
    const icr = (e.trace ?? []).map((ev) => (ev.event === 'FASTPATH_EXIT' ? { ...ev, msr: 'x2apic-icr' } : ev));
    expectPolicy(vmx515).toHoldOn([...icr, { event: 'GUEST_ENTER', vcpu: 0 }], { config: era515, invariants: ['no-stale-read'] });
  });
});
