/**
 * Late 6.1.y/6.6.y (`--x86-era 5`, test/fixtures/eras/x86-lts-2025.ts): 6.1 and 6.6 as released are 5.15 in
 * every modelled fact, and the August 2025 stable backports fix three of 5.15's findings on VMX (the DR6 clobber
 * at a fast-path re-entry, the host DEBUGCTL snapshot taken in vmx_vcpu_load, the dropped FREEZE_IN_SMM) but not
 * the fast path's lost single-step, nor SVM's DEBUGCTL without LBRV. Each backport taken out again is a planted
 * mutant the engine finds; the file as backported holds for what they fixed. README "Upstream eras written as user
 * policies" has the rows.
 */
import { describe, expect, it, vi } from 'vitest';
import { ERA_5_15, ERA_6_17, ERA_LTS_2025 } from '../../models/x86/eras.js';
import { type X86Hooks, x86Svm, x86Vmx } from '../../models/x86/model.js';
import { x86EagerVmx } from '../../models/x86/policies/eager.js';
import { KVM_DEBUGREG_WONT_EXIT, KVM_RUN_LOAD_GUEST_DR6 } from '../../models/x86/policies/kvm-x86.js';
import { vmxOps } from '../../models/x86/policies/vmx.js';
import { invariantsFor } from '../../properties/suites.js';
import { definePolicy, PolicyScopeError } from '../../src/engine/policy.js';
import { check, makeExecutor } from '../../src/searches/check.js';
import { explore } from '../../src/searches/explore.js';
import { cli } from '../cli-harness.js';
import { enter_load, vmx as vmx515 } from '../fixtures/eras/x86-5.15.js';
import { svm as svmLts, vmxDr6Backport, vmx as vmxLts } from '../fixtures/eras/x86-lts-2025.js';

vi.setConfig({ testTimeout: 180_000 });

const config = { 'x86-era': ERA_LTS_2025 };
const vmxInvariants = invariantsFor('x86-vmx');
/** Everything but the fast path's lost single-step, which no 2025 backport fixed (f7f39c50edb9 is 6.12's). */
const allButStep = vmxInvariants.filter((i) => i.name !== 'debug-status-consumed');
const isolation = vmxInvariants.filter((i) => i.name === 'guest-isolation');
const lts = vmxLts.hooks as X86Hooks;
const old = vmx515.hooks as X86Hooks;
const mutant = (name: string, hooks: Partial<X86Hooks>) =>
  definePolicy({ name, arch: 'x86-vmx', summary: `vmx-lts-2025 ${name}`, defaults: config, hooks: { ...lts, ...hooks } });

describe("--x86-era 5 in the model: the run loop is 5.15's", () => {
  it('offers FASTPATH_EXIT with its MSR on VMX, as 5.15 does', () => {
    const operands = (era: number) =>
      makeExecutor(x86EagerVmx, x86Vmx, [], { 'x86-era': era })
        .kinds.find((k) => k.type === 'FASTPATH_EXIT')
        ?.operands?.map((o) => o[0]);
    expect(operands(ERA_LTS_2025)).toContain('msr');
    expect(operands(ERA_LTS_2025)).toEqual(operands(ERA_5_15));
    expect(operands(ERA_6_17)).not.toContain('msr'); // 6.12+: both WRMSRs re-enter
  });
});

describe('late 6.1.y/6.6.y VMX', () => {
  it('holds at depth 6 for all but the lost single-step, which it still has (4 steps, at a fast-path WRMSR)', () => {
    expect(explore(vmxLts, { arch: x86Vmx, invariants: allButStep, depth: 6, config }).violation).toBeUndefined();
    const step = explore(vmxLts, { arch: x86Vmx, invariants: vmxInvariants, depth: 5, config });
    expect(step.violation?.invariant).toBe('debug-status-consumed');
    expect(step.trace?.at(-1)).toMatchObject({ event: 'FASTPATH_EXIT' });
  });

  it("keeps the host's FREEZE_IN_SMM under check's full domain (seeds 1-3)", () => {
    for (const seed of [1, 2, 3]) {
      expect(check(vmxLts, { arch: x86Vmx, invariants: isolation, config, seed, runs: 1500 }).violation).toBeUndefined();
    }
  });

  it('without the DR6 backport (c2fee09fc167), a TSC-deadline re-entry reloads a stale DR6: found, 5 steps', () => {
    const r = explore(mutant('dr6-every-entry', { fastpath: old.fastpath }), { arch: x86Vmx, invariants: allButStep, depth: 5, config });
    expect(r.violation?.invariant).toBe('no-stale-read');
    expect(r.violation?.register).toBe('DR6');
    expect(r.trace?.at(-1)).toMatchObject({ event: 'FASTPATH_EXIT', msr: 'tsc-deadline' });
  });

  it('without the snapshot after local_irq_disable() (189ecdb3e112), a host DEBUGCTL change is undone: found, 3 steps', () => {
    const noSnapshot = mutant('snapshot-in-vcpu-load', {
      vcpuLoad: old.vcpuLoad, // vmx_vcpu_load: vmx->host_debugctlmsr = get_debugctlmsr()
      guestEnter(k) {
        enter_load(k);
        vmxOps.run_enter(k, k.vcpu.switchDbRegs & KVM_DEBUGREG_WONT_EXIT ? KVM_RUN_LOAD_GUEST_DR6 : 0);
      },
    });
    const r = explore(noSnapshot, { arch: x86Vmx, invariants: allButStep, depth: 4, config });
    expect(r.violation?.invariant).toBe('host-breakpoints-preserved');
    expect(r.violation?.register).toBe('IA32_DEBUGCTL');
    expect(r.trace?.map((e) => e.event)).toEqual(['VCPU_LOAD', 'RUN_LOOP_IRQ', 'GUEST_EXIT']);
  });

  it("without the FREEZE_IN_SMM backport (6b1dd26544d0), a guest's WRMSR drops the host's bit: found by check", () => {
    const noFreeze = mutant('no-freeze-in-smm', { trap: old.trap, getReg: old.getReg, setReg: old.setReg });
    const r = check(noFreeze, { arch: x86Vmx, invariants: isolation, config, seed: 1, runs: 1500 });
    expect(r.violation?.invariant).toBe('guest-isolation');
    expect(r.violation?.register).toBe('IA32_DEBUGCTL');
  });
});

describe('late 6.1.y/6.6.y SVM: DEBUGCTL without LBRV was not backported', () => {
  it('runs the guest with the host DEBUGCTL (2 steps) and loses the fast-path step (4 steps)', () => {
    const invariants = invariantsFor('x86-svm');
    const r = explore(svmLts, { arch: x86Svm, invariants, depth: 5, config });
    expect(r.violation?.invariant).toBe('guest-isolation');
    expect(r.trace).toHaveLength(2);
    const rest = invariants.filter((i) => i.name !== 'guest-isolation' && i.name !== 'no-stale-read');
    const step = explore(svmLts, { arch: x86Svm, invariants: rest, depth: 5, config });
    expect(step.violation?.invariant).toBe('debug-status-consumed');
    expect(step.trace).toHaveLength(4);
  });
});

describe('the DR6 backport alone (5.15.182+, 6.1.138-6.1.148, 6.6.90-6.6.102: --x86-era 4)', () => {
  const era4 = { 'x86-era': ERA_5_15 };
  const noDebugctl = allButStep.filter((i) => i.name !== 'host-breakpoints-preserved' && i.name !== 'guest-isolation');
  it("closes 5.15's DR6 clobber (held at depth 6 where 5.15 is found in 5) and keeps its DEBUGCTL snapshot finding", () => {
    expect(explore(vmxDr6Backport, { arch: x86Vmx, invariants: noDebugctl, depth: 6, config: era4 }).violation).toBeUndefined();
    expect(explore(vmx515, { arch: x86Vmx, invariants: noDebugctl, depth: 5, config: era4 }).violation?.register).toBe('DR6');
    const r = explore(vmxDr6Backport, { arch: x86Vmx, invariants: allButStep, depth: 4, config: era4 });
    expect(r.violation?.invariant).toBe('host-breakpoints-preserved');
    expect(r.trace?.map((e) => e.event)).toEqual(['VCPU_LOAD', 'RUN_LOOP_IRQ', 'GUEST_EXIT']);
  });
});

describe('era scope', () => {
  it('the late-LTS file gives no verdict under another era, nor the built-in 6.13/6.17 code under era 5', async () => {
    expect(() => check(vmxLts, { arch: x86Vmx, invariants: vmxInvariants, config: { 'x86-era': ERA_5_15 }, seed: 1 })).toThrow(
      PolicyScopeError,
    );
    const r = await cli('check', 'x86-vmx/x86-lazy-2014', '--x86-era', '5');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/does not model --x86-era 5/);
  });
});
