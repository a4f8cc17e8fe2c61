/**
 * What userspace debugging is owed is an era's rule, chosen with `--debug-abi`: each era's policy
 * holds on its own ABI's rules and the other era's rule is found wanting, and a Linux 6.1–6.13
 * transliteration under userspace debugging shows what the split step and KVM_RUN's return find.
 */
import { describe, expect, it } from 'vitest';
import { arm64Vhe } from '../../models/arm64-vhe/model.js';
import guestdbg2022 from '../../models/arm64-vhe/policies/arm64-guestdbg-2022.js';
import owner2025 from '../../models/arm64-vhe/policies/arm64-owner-2025.js';
import { invariantsFor } from '../../properties/suites.js';
import { expectPolicy } from '../../src/expect-policy.js';
import { check } from '../../src/searches/check.js';

const all = invariantsFor('arm64-vhe');
/** Every invariant but the delivery of each step (the 6.1-6.13 finding below). */
const abiRules = all.filter((i) => i.name !== 'debug-status-consumed');

describe('--debug-abi', () => {
  it('2015: the 6.1-6.13 policy keeps the guest breakpoints userspace is owed, with and without USE_HW', () => {
    const r = check(guestdbg2022, { arch: arm64Vhe, invariants: abiRules, config: { gdb: 1, 'debug-abi': 2015 }, seed: 1, runs: 5000 });
    expect(r.verdict, r.violation?.message).toBe('held');
  });

  it("2025: the same policy is found keeping the guest's own breakpoints live while userspace debugs", () => {
    const r = check(guestdbg2022, { arch: arm64Vhe, invariants: abiRules, config: { gdb: 1, 'debug-abi': 2025 }, seed: 1, runs: 5000 });
    expect(r.violation?.invariant, r.violation?.message).toBe('host-breakpoints-quiet-in-guest');
  });

  it('2025: 6.14 holds; 2015: 6.14 is found turning off the guest breakpoints userspace relies on', () => {
    expect(check(owner2025, { arch: arm64Vhe, invariants: all, config: { gdb: 1 }, seed: 1, runs: 5000 }).verdict).toBe('held');
    const r = check(owner2025, { arch: arm64Vhe, invariants: all, config: { gdb: 1, 'debug-abi': 2015 }, seed: 1, runs: 5000 });
    expect(r.violation?.invariant, r.violation?.message).toBe('userspace-debug-honored');
  });
});

describe('Linux 6.1-6.13 single-step as modelled', () => {
  it('holds without userspace debugging', () => {
    const r = check(guestdbg2022, { arch: arm64Vhe, invariants: all, config: { oslock: 1, 'guest-step': 1 }, seed: 1, runs: 5000 });
    expect(r.verdict, r.violation?.message).toBe('held');
  });

  it('loses the step of an emulated instruction when KVM_RUN returns before the next entry (out: commits the PC, DBG_SS_ACTIVE_PENDING is not set)', () => {
    const r = check(guestdbg2022, { arch: arm64Vhe, invariants: all, config: { gdb: 1, 'debug-abi': 2015 }, seed: 1, runs: 5000 });
    expect(r.violation?.invariant, r.violation?.message).toBe('debug-status-consumed');
    expect(r.violation?.message).toMatch(/never reached userspace/);
    expect(r.trace.map((e) => e.event)).toContain('RUN_RETURN');
  });

  /**
   * The path upstream takes (arm.c kvm_arch_vcpu_ioctl_run, 6.1-6.13): the trapped DBGBVR2_EL1 read is
   * emulated (trap_bvr, kvm_incr_pc) with PSTATE.SS still 1, so kvm_arm_clear_debug leaves
   * DBG_SS_ACTIVE_PENDING clear; a pending signal makes the loop's xfer_to_guest_mode_handle_work()
   * return -EINTR, `out:` commits INCREMENT_PC (__kvm_adjust_pc -> kvm_skip_instr: PSTATE.SS = 0),
   * and the next KVM_RUN's kvm_arm_setup_debug sets PSTATE.SS = 1 again.
   */
  const lostStep: Readonly<Record<string, string | number | readonly number[]>>[] = [
    { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
    { event: 'VMM_SET_GUEST_DEBUG', vcpu: 0, enable: 'on', useHw: 'on', singleStep: 'on', bps: [] },
    { event: 'GUEST_ENTER', vcpu: 0 },
    { event: 'GUEST_READ', vcpu: 0, reg: 'DBGBVR2_EL1' },
    { event: 'RUN_RETURN', vcpu: 0 },
    { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
    { event: 'GUEST_ENTER', vcpu: 0 },
    { event: 'GUEST_READ', vcpu: 0, reg: 'DBGBCR5_EL1' },
  ];
  const stepOnly = { config: { gdb: 1, 'debug-abi': 2015 }, invariants: ['debug-status-consumed'] };

  it("needs KVM_RUN's return between the emulation and the next entry: re-entering at once commits the PC after kvm_arm_setup_debug, and the step is reported", () => {
    expect(() => expectPolicy('arm64-vhe/arm64-guestdbg-2022').toHoldOn(lostStep, stepOnly)).toThrow(/debug-status-consumed/);
    const reentered = lostStep.filter((_, i) => i !== 4 && i !== 5);
    expectPolicy('arm64-vhe/arm64-guestdbg-2022').toHoldOn(reentered, stepOnly);
  });

  it('a step exit ends KVM_RUN (kvm_handle_guest_debug: KVM_EXIT_DEBUG, return 0): the vCPU enters again only through a new KVM_RUN', () => {
    // The re-entry commits the emulated instruction's PC (PSTATE.SS = 0), so the next instruction takes the step exit.
    const stepped = lostStep.filter((_, i) => i !== 4 && i !== 5);
    const again = { event: 'GUEST_ENTER', vcpu: 0 };
    expect(() => expectPolicy('arm64-vhe/arm64-owner-2025').toHoldOn([...stepped, again], stepOnly)).toThrow(
      /stops applying at step 7 of 7, GUEST_ENTER/,
    );
    expectPolicy('arm64-vhe/arm64-owner-2025').toHoldOn([...stepped, { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 }, again], stepOnly);
  });

  it('6.14 reports it on the same trace: kvm_vcpu_put_debug runs after out: has committed the PC, and keeps the step Active-pending', () => {
    expectPolicy('arm64-vhe/arm64-owner-2025').toHoldOn(lostStep, stepOnly);
  });
});
