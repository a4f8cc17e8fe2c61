/**
 * `--pmu-counters N` (arm64): the host's MDCR_EL2.HPMN from boot is PMCR_EL0.N, KVM keeps it per CPU
 * (kvm_arm_init_debug) and every vCPU's mdcr_el2 starts from it. With the default 0 a host that loses
 * its HPMN to a zero cannot be told apart; with 6 (Cortex-A57) the engine finds 263d6287da14's bug:
 * on VHE, from 4.17's load/put (d5a21bcc2995) to 5.12, vcpu_load writes the zero mdcr_el2 of a vCPU
 * that has not run yet, and a vcpu_put before its first entry keeps that HPMN for the host
 * (deactivate_traps_vhe_put). The bug is found by running the engine, never by name.
 */
import { describe, expect, it } from 'vitest';
import { arm64Nvhe } from '../../models/arm64-nvhe/model.js';
import { debugSr2015 } from '../../models/arm64-nvhe/policies/arm64-dirty-2015.js';
import nvheOwner2025 from '../../models/arm64-nvhe/policies/arm64-owner-2025.js';
import nvheEager from '../../models/arm64-nvhe/policies/eager.js';
import { __sysreg_restore_state, __sysreg_save_guest_pstate, __sysreg_save_state } from '../../models/arm64-nvhe/policies/hyp.js';
import { MDCR_EL2 } from '../../models/arm64-nvhe/registers.js';
import { arm64Vhe } from '../../models/arm64-vhe/model.js';
import vheGuestdbg2022 from '../../models/arm64-vhe/policies/arm64-guestdbg-2022.js';
import vheOwner2025 from '../../models/arm64-vhe/policies/arm64-owner-2025.js';
import vheDeferred2017 from '../../models/arm64-vhe/policies/arm64-vhe-deferred-2017.js';
import vheEager from '../../models/arm64-vhe/policies/eager.js';
import { invariantsFor } from '../../properties/suites.js';
import type { ArchModel, ModelConfig } from '../../src/engine/model.js';
import type { Policy } from '../../src/engine/policy.js';
import { World, worldShape } from '../../src/engine/world.js';
import { explore } from '../../src/searches/explore.js';
import { events, run, T } from './era-harness.js';
import { mutant } from './mutants.js';

const nvhe = { arch: arm64Nvhe, invariants: invariantsFor('arm64-nvhe') };
const vhe = { arch: arm64Vhe, invariants: invariantsFor('arm64-vhe') };
const six = { 'pmu-counters': 6 };
// biome-ignore lint/suspicious/noExplicitAny: built-in policies of both models, each run on its own.
type AnyPolicy = Policy<any, any>;

describe('the host boots with MDCR_EL2.HPMN = PMCR_EL0.N, and KVM keeps that per CPU', () => {
  /** `model` reset with `config`: each CPU's MDCR_EL2 in hardware and in the host ctxt (kvm_arm_init_debug's per-CPU copy). */
  function resetMdcr(model: ArchModel, config: ModelConfig): number[] {
    const m = model.instantiate(config);
    const w = new World(worldShape(m));
    m.reset(w);
    const R = m.registers.count;
    const areas = w.shape.hostAreas;
    return [0, 1].flatMap((cpu) => [w.hw[cpu * R + MDCR_EL2] as number, w.hostMem[cpu * areas * R + MDCR_EL2] as number]);
  }

  it.each([
    ['arm64-nvhe', arm64Nvhe],
    ['arm64-vhe', arm64Vhe],
  ] as const)('%s: every CPU resets with HPMN = 6, in the hardware and in the host ctxt', (_arch, model) => {
    expect(resetMdcr(model, six)).toEqual([6, 6, 6, 6]);
    // Without the option the host has no event counters: HPMN 0, as before the option.
    expect(resetMdcr(model, {})).toEqual([0, 0, 0, 0]);
  });
});

describe('with 6 counters, policies that hand the host its HPMN back still hold (explore --depth 4)', () => {
  it.each([
    ['arm64-nvhe/eager', nvheEager, nvhe],
    ['arm64-nvhe/arm64-owner-2025', nvheOwner2025, nvhe],
    ['arm64-vhe/eager', vheEager, vhe],
    ['arm64-vhe/arm64-guestdbg-2022 (saves the host MDCR_EL2 at load, 5.15+)', vheGuestdbg2022, vhe],
    ['arm64-vhe/arm64-owner-2025', vheOwner2025, vhe],
  ] as const)('%s', (_name, policy, model) => {
    const r = explore(policy as AnyPolicy, { ...model, depth: 4, config: six });
    expect(r.violation?.message).toBeUndefined();
    expect(r.verdict).toBe('held');
  });
});

describe("263d6287da14: a vcpu_put before the first entry gives the VHE host the new vCPU's zero HPMN", () => {
  it('4.17 (arm64-vhe-deferred-2017): found in 2 events with 6 counters, held at depth 3 without', () => {
    const r = explore(vheDeferred2017 as AnyPolicy, { ...vhe, depth: 3, config: six });
    expect(r.verdict).toBe('violated');
    expect(r.violation?.invariant).toBe('host-breakpoints-preserved');
    expect(r.violation?.message).toMatch(/MDCR_EL2/);
    expect(r.trace.map((e) => e.event)).toEqual(['VCPU_LOAD', 'VCPU_PUT']);
    expect(explore(vheDeferred2017 as AnyPolicy, { ...vhe, depth: 3 }).verdict).toBe('held');
  });

  it('v5.10 finds it (2 events); 5.10.y, with the backport (kvm_arm_vcpu_init_debug before the first vcpu_load), holds at depth 4', {
    timeout: T,
  }, async () => {
    const v510 = await run('explore', 'test/fixtures/eras/arm64-vhe-5.10.ts', '--pmu-counters', '6', '--depth', '3');
    expect(v510.code).toBe(1);
    expect(v510.report.invariant).toBe('host-breakpoints-preserved');
    expect(events(v510.report)).toEqual(['VCPU_LOAD', 'VCPU_PUT']);
    const y = await run('explore', 'test/fixtures/eras/arm64-vhe-5.10-later-fixes.ts', '--pmu-counters', '6', '--depth', '4');
    expect(y.report.verdict).toBe('held');
    expect(y.code).toBe(0);
  });
});

/** A slip only a host with event counters shows: the exit clears all of MDCR_EL2 instead of keeping its HPMN. */
const hpmnDropped = mutant('hpmn-dropped-at-exit', debugSr2015, {
  guestExit(k) {
    __sysreg_save_guest_pstate(k);
    __sysreg_save_state(k, k.vcpu.ctxt);
    k.hw.write(MDCR_EL2, 0); // __deactivate_traps keeps `read_sysreg(mdcr_el2) & MDCR_EL2_HPMN_MASK`
    __sysreg_restore_state(k, k.host.ctxt);
    debugSr2015.__debug_save_state(k, k.vcpu.debugState, k.vcpu.ctxt);
    debugSr2015.__debug_cond_restore_host_state(k);
  },
});

describe('planted: an nVHE exit that drops HPMN', () => {
  it('is found with 6 counters (3 events: the first exit) and cannot be seen without them (held at depth 4)', () => {
    const r = explore(hpmnDropped as AnyPolicy, { ...nvhe, depth: 4, config: six });
    expect(r.verdict).toBe('violated');
    expect(r.violation?.invariant).toBe('host-breakpoints-preserved');
    expect(r.trace.map((e) => e.event)).toEqual(['VCPU_LOAD', 'GUEST_ENTER', 'GUEST_EXIT']);
    expect(explore(hpmnDropped as AnyPolicy, { ...nvhe, depth: 4 }).verdict).toBe('held');
  });

  it('the unmutated policy holds with 6 counters, so the finding is the mutation', () => {
    const merged = mutant('unmutated', debugSr2015);
    expect(explore(merged as AnyPolicy, { ...nvhe, depth: 4, config: six }).verdict).toBe('held');
  });
});
