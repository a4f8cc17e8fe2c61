/**
 * `--pmu-counters N` (arm64): the host's MDCR_EL2.HPMN from boot is PMCR_EL0.N, KVM keeps it per CPU
 * (kvm_arm_init_debug) and every vCPU's mdcr_el2 starts from it. With the default 0 a host that loses
 * its HPMN to a zero cannot be told apart; with 6 (Cortex-A57) the engine finds 263d6287da14's bug:
 * on VHE, from 4.17's load/put (d5a21bcc2995) to 5.12, vcpu_load writes the zero mdcr_el2 of a vCPU
 * that has not run yet, so the host's EL2 counters from HPMN up stop while it is loaded, and a
 * vcpu_put before its first entry keeps that HPMN for the host (deactivate_traps_vhe_put). The bug is
 * found by running the engine, never by name.
 */
import { describe, expect, it } from 'vitest';
import { arm64Nvhe } from '../../models/arm64-nvhe/model.js';
import { debugSr2015 } from '../../models/arm64-nvhe/policies/arm64-dirty-2015.js';
import nvheOwner2025 from '../../models/arm64-nvhe/policies/arm64-owner-2025.js';
import nvheEager from '../../models/arm64-nvhe/policies/eager.js';
import { __sysreg_restore_state, __sysreg_save_guest_pstate, __sysreg_save_state } from '../../models/arm64-nvhe/policies/hyp.js';
import { MDCR_EL2, MDCR_EL2_HPMN_MASK } from '../../models/arm64-nvhe/registers.js';
import { type Arm64VheHost, type Arm64VheVcpu, arm64Vhe } from '../../models/arm64-vhe/model.js';
import vheGuestdbg2022 from '../../models/arm64-vhe/policies/arm64-guestdbg-2022.js';
import vheOwner2025 from '../../models/arm64-vhe/policies/arm64-owner-2025.js';
import vheDeferred2017 from '../../models/arm64-vhe/policies/arm64-vhe-deferred-2017.js';
import vheEager from '../../models/arm64-vhe/policies/eager.js';
import { invariantsFor } from '../../properties/suites.js';
import type { ArchModel, ModelConfig } from '../../src/engine/model.js';
import { definePolicy, type Policy } from '../../src/engine/policy.js';
import type { TraceEvent } from '../../src/engine/trace.js';
import { World, worldShape } from '../../src/engine/world.js';
import { makeExecutor } from '../../src/searches/check.js';
import { explore } from '../../src/searches/explore.js';
import { replay } from '../../src/searches/replay.js';
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

describe("263d6287da14: a new vCPU's first vcpu_load gives the VHE host its zero HPMN", () => {
  it('4.17 (arm64-vhe-deferred-2017): found at the first VCPU_LOAD with 6 counters, held at depth 3 without', () => {
    const r = explore(vheDeferred2017 as AnyPolicy, { ...vhe, depth: 3, config: six });
    expect(r.verdict).toBe('violated');
    expect(r.violation?.invariant).toBe('host-breakpoints-preserved');
    expect(r.violation?.message).toMatch(/^cpu0 runs host code with MDCR_EL2\.HPMN = 0x0 \(MDCR_EL2 = 0x0\); the host's is 0x6/);
    expect(r.trace.map((e) => e.event)).toEqual(['VCPU_LOAD']);
    expect(explore(vheDeferred2017 as AnyPolicy, { ...vhe, depth: 3 }).verdict).toBe('held');
  });

  it('v5.10 finds it; 5.10.y and 5.15, with kvm_arm_vcpu_init_debug before the first vcpu_load, hold at depth 4', {
    timeout: T,
  }, async () => {
    const v510 = await run('explore', 'test/fixtures/eras/arm64-vhe-5.10.ts', '--pmu-counters', '6', '--depth', '3');
    expect(v510.code).toBe(1);
    expect(v510.report.invariant).toBe('host-breakpoints-preserved');
    expect(events(v510.report)).toEqual(['VCPU_LOAD']);
    for (const file of ['test/fixtures/eras/arm64-vhe-5.10-later-fixes.ts', 'test/fixtures/eras/arm64-vhe-5.15.ts']) {
      const y = await run('explore', file, '--pmu-counters', '6', '--depth', '4');
      expect([file, y.report.verdict, y.code]).toEqual([file, 'held', 0]);
    }
  });

  it("the put before the first entry keeps that HPMN for the host (4.17's deactivate_traps_vhe_put keeps the live one)", () => {
    const trace: TraceEvent[] = [
      { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
      { event: 'VCPU_PUT', vcpu: 0 },
    ];
    const x = makeExecutor(vheDeferred2017 as AnyPolicy, arm64Vhe, [], six);
    expect(replay(x, trace).steps).toBe(2);
    expect([x.world.hw[MDCR_EL2], x.world.hostIntent[MDCR_EL2]]).toEqual([0, 6]);
    // guestdbg-2022 saves the host's MDCR_EL2 at the load and writes it back at the put.
    const y = makeExecutor(vheGuestdbg2022 as AnyPolicy, arm64Vhe, [], six);
    expect(replay(y, trace).steps).toBe(2);
    expect(y.world.hw[MDCR_EL2]).toBe(6);
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

/** A slip only the loaded check shows: the vCPU's MDCR_EL2 goes on the CPU without the host's HPMN (the put restores the host's). */
const loadedWithoutHpmn = definePolicy<Arm64VheVcpu, Arm64VheHost>({
  ...vheGuestdbg2022,
  name: 'loaded-without-hpmn',
  hooks: {
    ...vheGuestdbg2022.hooks,
    vcpuLoad(k) {
      vheGuestdbg2022.hooks.vcpuLoad?.(k);
      k.hw.write(MDCR_EL2, k.hw.read(MDCR_EL2) & ~MDCR_EL2_HPMN_MASK);
    },
  },
});

describe('planted: a VHE load without the host HPMN, restored at put', () => {
  it('is found with 6 counters at the load, and not without them (held at depth 4)', () => {
    const r = explore(loadedWithoutHpmn as AnyPolicy, { ...vhe, depth: 4, config: six });
    expect(r.verdict).toBe('violated');
    expect(r.violation?.invariant).toBe('host-breakpoints-preserved');
    expect(r.trace.map((e) => e.event)).toEqual(['VCPU_LOAD']);
    expect(explore(loadedWithoutHpmn as AnyPolicy, { ...vhe, depth: 4 }).verdict).toBe('held');
  });
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
