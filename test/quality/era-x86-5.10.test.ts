/**
 * Linux 5.10's KVM debug-register code written as user policies (test/fixtures/eras/x86-{vmx,svm}-5.10.ts,
 * importing 'worldswitch' and 'worldswitch/x86' as a user's file does; run through the CLI, so `dist/` must
 * be built, as `npm test` does first) and the model's 5.10 era (`--x86-era 3`). Each verdict asserted here
 * is justified in README "Upstream eras written as user policies".
 */
import { describe, expect, it, vi } from 'vitest';
import { ERA_5_7, ERA_5_10, ERA_5_15, ERA_6_13 } from '../../models/x86/eras.js';
import { x86Svm, x86Vmx } from '../../models/x86/model.js';
import { x86EagerSvm, x86EagerVmx } from '../../models/x86/policies/eager.js';
import { DEBUGCTL } from '../../models/x86/registers.js';
import { makeExecutor } from '../../src/searches/check.js';
import { cli } from '../cli-harness.js';

// Each CLI run is a full check or explore (10-30 s on a shared core).
vi.setConfig({ testTimeout: 180_000 });

const VMX = './test/fixtures/eras/x86-vmx-5.10.ts';
const SVM = './test/fixtures/eras/x86-svm-5.10.ts';

describe('--x86-era 3 (Linux 5.10) in the model', () => {
  it('has the fast-path WRMSR on both vendors (vmx_vcpu_run re-enters; svm_vcpu_run returns it to vcpu_enter_guest)', () => {
    const kinds = (p: typeof x86EagerVmx, arch: typeof x86Vmx, era: number) =>
      makeExecutor(p, arch, [], { 'x86-era': era }).kinds.map((k) => k.type);
    expect(kinds(x86EagerVmx, x86Vmx, ERA_5_10)).toContain('FASTPATH_EXIT');
    expect(kinds(x86EagerSvm, x86Svm, ERA_5_10)).toContain('FASTPATH_EXIT');
    expect(kinds(x86EagerSvm, x86Svm, ERA_5_7)).not.toContain('FASTPATH_EXIT');
  });

  it.each([
    ['x86-svm', x86EagerSvm, x86Svm, 'trapped'], // through the exit path and handle_exit; vcpu_run enters again
    ['x86-vmx', x86EagerVmx, x86Vmx, 'guest'], // vmx_vcpu_run's goto reenter_guest
  ] as const)('on %s, the fast path leaves the vCPU %s', (_id, policy, arch, state) => {
    const x = makeExecutor(policy, arch, [], { 'x86-era': ERA_5_10 });
    x.reset();
    x.load(0, 0);
    x.enter(0);
    const ev = new Float64Array(6);
    ev[0] = x.kinds.findIndex((k) => k.type === 'FASTPATH_EXIT');
    x.apply(ev);
    expect(x.model.lifecycle.states[x.world.vcpuState[0] as number]).toBe(state);
    expect(x.violation).toBeUndefined();
  });

  it('offers no IA32_DEBUGCTL writes on VMX (kvm_set_msr_common ignored them before 5.12), as 6.13 does', () => {
    const writable = (era: number) => [...makeExecutor(x86EagerVmx, x86Vmx, [], { 'x86-era': era }).model.guestWritable];
    expect(writable(ERA_5_10)).not.toContain(DEBUGCTL);
    expect(writable(ERA_6_13)).toContain(DEBUGCTL);
    expect(writable(ERA_5_15)).toContain(DEBUGCTL); // 5.15 has 5.12's guest LBR
  });
});

describe('x86-vmx 5.10 as a user policy', () => {
  it('without the 5.10 era, the model has userspace set a DEBUGCTL 5.10 ignores: a false alarm era 3 removes', async () => {
    const era1 = await cli('explore', VMX, '--depth', '3', '--x86-era', '1');
    expect(era1.code).toBe(1);
    expect(era1.out).toMatch(/violated guest-isolation/);
    expect(era1.out).toMatch(/VMM_SET_REG \{ vcpu: 0, reg: IA32_DEBUGCTL, value: 0x1 \(LBR\) \}/);
    const era3 = await cli('explore', VMX, '--depth', '5', '--continue');
    expect(era3.out).toMatch(/x86-era=3/);
    expect(era3.out).not.toMatch(/violated guest-isolation|^ +[0-9]+ +guest-isolation /m);
  });

  it('explore: the host DEBUGCTL snapshot of vmx_vcpu_load is stale after an interrupt (fixed in 6.14)', async () => {
    const r = await cli('explore', VMX, '--depth', '5', '--continue');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/violated 2 invariants \(--continue\): host-breakpoints-preserved, debug-status-consumed/);
    expect(r.out).toMatch(/State 2: RUN_LOOP_IRQ \{ vcpu: 0, change: debugctl-LBR \}/);
    expect(r.out).toMatch(/cpu0 runs host code with IA32_DEBUGCTL = 0x0; the host's value is 0x1/);
  });

  it('explore: a single-stepped fast-path WRMSR loses its step (handle_fastpath_set_msr_irqoff ignored the skip; fixed in 6.12)', async () => {
    const r = await cli('explore', VMX, '--depth', '5', '--continue');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/ 2 +debug-status-consumed +4 +FASTPATH_EXIT +after the event/);
    expect(r.out).toMatch(/State 2: VMM_SET_GUEST_DEBUG \{ vcpu: 0, enable: on, useHw: off, singleStep: on, bps: none \}/);
    expect(r.out).toMatch(/State 4: FASTPATH_EXIT \{ vcpu: 0, msr: tsc-deadline \} +<== debug-status-consumed broke here/);
    expect(r.out).toContain(
      "debug-status-consumed: DR6[BS] on cpu0 never reached userspace: vcpu0's WRMSR was handled on the fast path (handle_fastpath_set_msr_irqoff) and skipped, and the guest re-entered without its single-step: the fast path ignored kvm_skip_emulated_instruction's KVM_EXIT_DEBUG (EXIT_FASTPATH_REENTER_GUEST instead of EXIT_FASTPATH_EXIT_USERSPACE; fixed by f7f39c50edb9, 6.12)",
    );
  });

  it('check --seed 1: FREEZE_IN_SMM lost (6.17), the DEBUGCTL snapshot (6.14), the re-executed MOV DR (unfixed)', async () => {
    const r = await cli('check', VMX, '--seed', '1', '--continue');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/guest-isolation: vcpu0 runs on cpu\d with IA32_DEBUGCTL = 0x0; the host-owned bits 0x4000 must stay/);
    expect(r.out).toMatch(/ 2 +host-breakpoints-preserved +3 +GUEST_EXIT +after the event +IA32_DEBUGCTL/);
    expect(r.out).toMatch(/ 4 +debug-status-consumed +4 +FASTPATH_EXIT +after the event/);
    // check's draw is the x2APIC ICR WRMSR, which 5.10 VMX completes with EXIT_FASTPATH_EXIT_HANDLED.
    expect(r.out).toMatch(/State 4: FASTPATH_EXIT \{ vcpu: 0, msr: x2apic-icr \}/);
    expect(r.out).toContain('the run loop entered the guest again without its single-step');
    expect(r.out).toMatch(/userspace-debug-honored +7 +RUN_LOOP_IRQ +after the event +DR0/);
  });
});

describe('x86-svm 5.10 as a user policy', () => {
  it('explore: the guest runs with the host DEBUGCTL without LBRV (6.14), and guest DR6 left in the host (5.15)', async () => {
    for (const lbrv of ['1', '0']) {
      const r = await cli('explore', SVM, '--depth', '5', '--continue', '--lbrv', lbrv);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/guest-isolation +2 +RUN_LOOP_IRQ +after the event +IA32_DEBUGCTL/);
      expect(r.out).toMatch(/host-breakpoints-preserved +4 +GUEST_EXIT +after the event +DR6/);
      expect(r.out).toMatch(/vcpu0\.switchDbRegs: 0x0 -> 0x4 \(RELOAD\)/);
    }
  });
});

describe('x86-svm 5.10: the single-stepped fast-path WRMSR (f7f39c50edb9)', () => {
  const LOST_SVM =
    "debug-status-consumed: DR6[BS] on cpu0 never reached userspace: vcpu0's WRMSR was handled on the fast path (handle_fastpath_set_msr_irqoff) and skipped, and the run loop entered the guest again without its single-step: the fast path ignored kvm_skip_emulated_instruction's KVM_EXIT_DEBUG (EXIT_FASTPATH_EXIT_HANDLED), and handle_exit returned 1 for the fast-path exit (fixed by f7f39c50edb9, 6.12: EXIT_FASTPATH_EXIT_USERSPACE)";

  it('explore: the step is lost through handle_exit, at the fast-path WRMSR (4 events)', async () => {
    for (const lbrv of ['1', '0']) {
      const r = await cli('explore', SVM, '--depth', '5', '--continue', '--lbrv', lbrv);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/ 4 +debug-status-consumed +4 +FASTPATH_EXIT +after the event/);
      expect(r.out).toMatch(/State 2: VMM_SET_GUEST_DEBUG \{ vcpu: 0, enable: on, useHw: off, singleStep: on, bps: none \}/);
      expect(r.out).toMatch(/State 4: FASTPATH_EXIT \{ vcpu: 0 \} +<== debug-status-consumed broke here/);
      expect(r.out).toMatch(/vcpu0: guest on cpu0 -> trapped on cpu0/); // not re-entered inside the loop
      expect(r.out).toContain(LOST_SVM);
    }
  });

  it('check --seed 1 finds it too, 4 events', async () => {
    const r = await cli('check', SVM, '--seed', '1', '--continue');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/ 3 +debug-status-consumed +4 +FASTPATH_EXIT +after the event/);
    expect(r.out).toContain(LOST_SVM);
  });
});

describe('the 5.10 policies with the later upstream fixes applied (x86-5.10-later-fixes.ts)', () => {
  // Every finding above is one of the fixed bugs: with the fixes on top, nothing is left to report.
  it.each(['vmx', 'svm'])('%s holds: check --seed 1 and explore --depth 5', async (which) => {
    const file = `./test/fixtures/eras/x86-5.10-later-fixes.ts#${which}`;
    const c = await cli('check', file, '--seed', '1');
    expect(c.out).toMatch(/: held\n/);
    expect(c.code).toBe(0);
    const e = await cli('explore', file, '--depth', '5');
    expect(e.out).toMatch(/held for every interleaving of at most 5 events/);
  });
});

describe('5.15 where it differs (x86-5.15.ts): the guest DR6 load moved into vmx_vcpu_run / kept in svm_vcpu_run', () => {
  // 375e28ffc0cf (VMX) and d67668e9dd76 (SVM) load vcpu->arch.dr6 on every entry, and since the
  // re-entry loop is in vcpu_enter_guest a fast-path re-entry clobbers the DR6 the guest wrote
  // untrapped: fixed by c2fee09fc167 (6.14). 5.10 loads DR6 outside the loop (its later-fixes variant holds).
  // In 5.15 only the TSC-deadline WRMSR re-enters, and only on VMX (--x86-era 4); the x2APIC ICR one goes
  // through the exit path, whose sync reads the guest's DR6 back first.
  it('vmx: no-stale-read DR6 at a TSC-deadline FASTPATH_EXIT (explore --depth 5)', async () => {
    const r = await cli('explore', './test/fixtures/eras/x86-5.15.ts#vmx', '--depth', '5', '--continue');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/no-stale-read +5 +FASTPATH_EXIT +after the event +DR6/);
    expect(r.out).toMatch(/State 5: FASTPATH_EXIT \{ vcpu: 0, msr: tsc-deadline \} +<== no-stale-read broke here/);
    expect(r.out).toMatch(/no-stale-read: vcpu0 reads DR6 untrapped on cpu0 and would see 0xffff0ff0; its value is 0xffff0ff1/);
  });

  it("svm: no fast path re-enters in 5.15, so no DR6 clobber; under 6.13's run loop (x2APIC ICR re-entering, 0dd45f2cd8cc) the same code has it", async () => {
    const r = await cli('explore', './test/fixtures/eras/x86-5.15.ts#svmDebugctlFixed', '--depth', '5', '--continue');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/x86-era=4/);
    expect(r.out).not.toMatch(/violated no-stale-read|^ +[0-9]+ +no-stale-read /m);
    const e613 = await cli('explore', './test/fixtures/eras/x86-5.15.ts#svmDebugctlFixed', '--depth', '5', '--continue', '--x86-era', '1');
    expect(e613.code).toBe(1);
    expect(e613.out).toMatch(/no-stale-read +5 +FASTPATH_EXIT +after the event +DR6/);
  });

  // handle_fastpath_set_msr_irqoff still ignored the skip's KVM_EXIT_DEBUG (until f7f39c50edb9, 6.12), now on both vendors.
  it.each(['vmx', 'svm', 'svmDebugctlFixed'])('%s: a single-stepped fast-path WRMSR loses its step (explore --depth 5)', async (which) => {
    const r = await cli('explore', `./test/fixtures/eras/x86-5.15.ts#${which}`, '--depth', '5', '--continue');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/debug-status-consumed +4 +FASTPATH_EXIT +after the event/);
    expect(r.out).toMatch(/debug-status-consumed: DR6\[BS\] on cpu0 never reached userspace: vcpu0's WRMSR was handled on the fast path/);
  });
});
