/**
 * The `x86-era` model option: the built-in upstream policies follow the era's DEBUGCTL code, so Linux
 * 6.13 shows the two bugs the 6.14 series "KVM: SVM: Fix DEBUGCTL bugs" fixed (a host DEBUGCTL change
 * made while the vCPU is loaded is undone at the next exit on VMX; SVM runs the guest with the host's
 * DEBUGCTL when LBR virtualisation is off), and Linux 5.7 has no fast-path re-entry to offer.
 */
import { describe, expect, it } from 'vitest';
import { ERA_5_7, ERA_6_13, KVM_DEBUGREG_FLAGS } from '../../models/x86/eras.js';
import { x86Svm, x86Vmx } from '../../models/x86/model.js';
import { x86EagerSvm, x86EagerVmx } from '../../models/x86/policies/eager.js';
import { KVM_DEBUGREG_AUTO_SWITCH } from '../../models/x86/policies/kvm-x86.js';
import { x86Lazy2014FixedSvm, x86Lazy2014FixedVmx } from '../../models/x86/policies/x86-lazy-2014-fixed.js';
import { DEBUGCTL } from '../../models/x86/registers.js';
import { invariantsFor } from '../../properties/suites.js';
import { check, makeExecutor } from '../../src/searches/check.js';
import { explore } from '../../src/searches/explore.js';

describe('x86-era 1 (Linux 6.13)', () => {
  it('VMX: an interrupt that sets host DEBUGCTL while the vCPU is loaded is undone by the exit (vmx_vcpu_load snapshot)', () => {
    const config = { 'x86-era': ERA_6_13 };
    const r = explore(x86Lazy2014FixedVmx, { arch: x86Vmx, config, invariants: invariantsFor('x86-vmx'), depth: 4 });
    expect(r.violation?.invariant).toBe('host-breakpoints-preserved');
    expect(r.violation?.register).toBe('IA32_DEBUGCTL');
    expect(r.trace?.map((e) => e.event)).toEqual(['VCPU_LOAD', 'RUN_LOOP_IRQ', 'GUEST_EXIT']);
    const c = check(x86Lazy2014FixedVmx, { arch: x86Vmx, config, invariants: invariantsFor('x86-vmx'), seed: 1, runs: 2000 });
    expect(c.violation?.register).toBe('IA32_DEBUGCTL');
  });

  it("SVM without LBRV: the guest runs with the host's DEBUGCTL (no switch by hand before 6.14)", () => {
    const config = { 'x86-era': ERA_6_13 };
    const r = explore(x86Lazy2014FixedSvm, { arch: x86Svm, config, invariants: invariantsFor('x86-svm'), depth: 4 });
    expect(r.violation?.invariant).toBe('guest-isolation');
    expect(r.violation?.message).toMatch(/runs on cpu0 with IA32_DEBUGCTL = 0x1, the host's value/);
  });

  it('eager, the baseline, holds in every era', () => {
    for (const era of [ERA_6_13, ERA_5_7]) {
      const r = check(x86EagerVmx, { arch: x86Vmx, config: { 'x86-era': era }, invariants: invariantsFor('x86-vmx'), seed: 1, runs: 500 });
      expect(r.violation).toBeUndefined();
    }
  });
});

describe('x86-era 2 (Linux 5.7)', () => {
  it('offers no FASTPATH_EXIT (EXIT_FASTPATH_REENTER_GUEST came in 5.8); the newer eras do', () => {
    const kinds = (era: number) => makeExecutor(x86EagerVmx, x86Vmx, [], { 'x86-era': era }).kinds.map((k) => k.type);
    expect(kinds(ERA_5_7)).not.toContain('FASTPATH_EXIT');
    expect(kinds(ERA_6_13)).toContain('FASTPATH_EXIT');
  });

  it('offers no IA32_DEBUGCTL writes on VMX (vmx_set_msr had no DEBUGCTL case before 5.12), and SVM keeps them', () => {
    const writable = (p: typeof x86EagerVmx, arch: typeof x86Vmx, era: number) => [
      ...makeExecutor(p, arch, [], { 'x86-era': era }).model.guestWritable,
    ];
    expect(writable(x86EagerVmx, x86Vmx, ERA_5_7)).not.toContain(DEBUGCTL);
    expect(writable(x86EagerVmx, x86Vmx, ERA_6_13)).toContain(DEBUGCTL);
    expect(writable(x86EagerSvm, x86Svm, ERA_5_7)).toContain(DEBUGCTL);
  });
});

describe('KVM_DEBUGREG_* per era', () => {
  it('bit 2 was RELOAD until 5.14 and is AUTO_SWITCH since 6.16 (TDX), as the model exports it', () => {
    expect(KVM_DEBUGREG_FLAGS['4.x'].RELOAD).toBe(KVM_DEBUGREG_FLAGS['6.16'].AUTO_SWITCH);
    expect(KVM_DEBUGREG_FLAGS['6.16'].AUTO_SWITCH).toBe(KVM_DEBUGREG_AUTO_SWITCH);
    expect('RELOAD' in KVM_DEBUGREG_FLAGS['5.15']).toBe(false);
  });
});
