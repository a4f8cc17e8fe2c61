/**
 * `--guest-trfcr 1`: guests that write TRFCR_EL1 although KVM hides FEAT_TRF from them. Kernels with
 * a354a64d91ee ("KVM: arm64: Disable guest access to trace filter controls", 5.12) trap the MSR with
 * MDCR_EL2.TTRF and inject an UNDEF; older ones let it reach the live register, the host's own filter
 * on nVHE. The built-in policies of 5.12+ code hold, the older ones are found, and a 6.14 policy with
 * TTRF dropped is found only with the option.
 */
import { describe, expect, it } from 'vitest';
import { arm64Nvhe } from '../../models/arm64-nvhe/model.js';
import nvheDirty2015 from '../../models/arm64-nvhe/policies/arm64-dirty-2015.js';
import nvheOwner2025 from '../../models/arm64-nvhe/policies/arm64-owner-2025.js';
import nvheTrfcr2023 from '../../models/arm64-nvhe/policies/arm64-trfcr-2023.js';
import nvheTrfcr2025 from '../../models/arm64-nvhe/policies/arm64-trfcr-2025.js';
import nvheEager from '../../models/arm64-nvhe/policies/eager.js';
import { MDCR_EL2, MDCR_EL2_TTRF, TRFCR_EL1 } from '../../models/arm64-nvhe/registers.js';
import { arm64Vhe } from '../../models/arm64-vhe/model.js';
import vheGuestdbg2022 from '../../models/arm64-vhe/policies/arm64-guestdbg-2022.js';
import vheOwner2025 from '../../models/arm64-vhe/policies/arm64-owner-2025.js';
import vheTrfcr2023 from '../../models/arm64-vhe/policies/arm64-trfcr-2023.js';
import vheTrfcr2025 from '../../models/arm64-vhe/policies/arm64-trfcr-2025.js';
import vheDeferred2017 from '../../models/arm64-vhe/policies/arm64-vhe-deferred-2017.js';
import vheEager from '../../models/arm64-vhe/policies/eager.js';
import { invariantsFor } from '../../properties/suites.js';
import type { Policy } from '../../src/engine/policy.js';
import type { TraceEvent } from '../../src/engine/trace.js';
import { check, makeExecutor } from '../../src/searches/check.js';
import { explore } from '../../src/searches/explore.js';
import { replay } from '../../src/searches/replay.js';
import { ttrfDropped } from './trfcr-mutants.js';

const on = { 'guest-trfcr': 1 };
const nvhe = { arch: arm64Nvhe, invariants: invariantsFor('arm64-nvhe') };
const vhe = { arch: arm64Vhe, invariants: invariantsFor('arm64-vhe') };
// biome-ignore lint/suspicious/noExplicitAny: built-in policies of both models, each run on its own.
type AnyPolicy = Policy<any, any>;

describe('built-in policies of 5.12+ code set MDCR_EL2.TTRF and hold (1000 interleavings, seed 1)', () => {
  it.each([
    ['arm64-nvhe/eager', nvheEager, nvhe, on],
    ['arm64-nvhe/arm64-owner-2025', nvheOwner2025, nvhe, on],
    ['arm64-nvhe/arm64-trfcr-2025', nvheTrfcr2025, nvhe, on],
    ['arm64-nvhe/arm64-trfcr-2023 (with TRBE, where v1 is defined)', nvheTrfcr2023, nvhe, { ...on, trbe: 1 }],
    ['arm64-vhe/eager', vheEager, vhe, on],
    ['arm64-vhe/arm64-guestdbg-2022', vheGuestdbg2022, vhe, on],
    ['arm64-vhe/arm64-owner-2025', vheOwner2025, vhe, on],
    ['arm64-vhe/arm64-trfcr-2023', vheTrfcr2023, vhe, on],
    ['arm64-vhe/arm64-trfcr-2025', vheTrfcr2025, vhe, on],
  ] as const)('%s', (_name, policy, model, config) => {
    const r = check(policy as AnyPolicy, { ...model, seed: 1, runs: 1000, config });
    expect(r.violation?.message).toBeUndefined();
    expect(r.verdict).toBe('held');
  });
});

describe("older policies let the guest's MSR reach TRFCR_EL1 (explore, 3 events)", () => {
  it.each([
    ['arm64-nvhe/arm64-dirty-2015 (4.5)', nvheDirty2015, nvhe],
    ['arm64-vhe/arm64-vhe-deferred-2017 (4.17)', vheDeferred2017, vhe],
  ] as const)('%s', (_name, policy, model) => {
    const r = explore(policy as AnyPolicy, { ...model, depth: 3, config: on });
    expect(r.verdict, r.error).toBe('violated');
    expect(r.violation?.invariant).toBe('trace-filter-honored');
    expect(r.trace.map((e) => e.event)).toEqual(['VCPU_LOAD', 'GUEST_ENTER', 'GUEST_TRFCR']);
    expect(r.violation?.message).toMatch(/guest code of vcpu0, which is traced at EL0, EL1.*TRFCR_EL1 = 0x3/);
  });

  it("on nVHE the host then runs with the guest's value in its own filter", () => {
    const invariants = nvhe.invariants.filter((i) => i.name !== 'trace-filter-honored');
    const r = explore(nvheDirty2015, { arch: arm64Nvhe, invariants, depth: 4, config: on });
    expect(r.verdict, r.error).toBe('violated');
    expect(r.violation?.invariant).toBe('host-breakpoints-preserved');
    expect(r.violation?.message).toMatch(/runs host code with TRFCR_EL1 = 0x3; the host's value is 0x0/);
  });
});

describe('a trapped MSR TRFCR_EL1 is an exit and an UNDEF, nothing else', () => {
  const trace: TraceEvent[] = [
    { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
    { event: 'GUEST_ENTER', vcpu: 0 },
    { event: 'GUEST_TRFCR', vcpu: 0, value: 'E0TRE|E1TRE' },
  ];
  it('arm64-owner-2025: TTRF is live in the guest; the write exits and leaves TRFCR_EL1 as it was', () => {
    const x = makeExecutor(nvheOwner2025, arm64Nvhe, nvhe.invariants, on);
    expect(replay(x, trace.slice(0, 2)).violation).toBeUndefined();
    expect((x.world.hw[MDCR_EL2] as number) & MDCR_EL2_TTRF).toBe(MDCR_EL2_TTRF);
    const y = makeExecutor(nvheOwner2025, arm64Nvhe, nvhe.invariants, on);
    const after = replay(y, trace);
    expect(after.violation).toBeUndefined();
    expect(after.steps).toBe(3);
    expect(y.world.hw[TRFCR_EL1]).toBe(0);
    expect(y.world.cpuContext[0]).not.toBe(x.world.cpuContext[0]);
  });

  it('arm64-dirty-2015 (no TTRF): the same write reaches the CPU', () => {
    const x = makeExecutor(nvheDirty2015, arm64Nvhe, [], on);
    expect(replay(x, trace).steps).toBe(3);
    expect(x.world.hw[TRFCR_EL1]).toBe(3);
  });
});

describe('planted: arm64-trfcr-2025 with TTRF dropped', () => {
  it('is found with --guest-trfcr 1 (check seed 1, explore 3 events)', () => {
    const r = check(ttrfDropped, { ...nvhe, seed: 1, runs: 2000, config: on });
    expect(r.verdict).toBe('violated');
    expect(['trace-filter-honored', 'host-breakpoints-preserved']).toContain(r.violation?.invariant);
    expect(r.trace.map((e) => e.event)).toContain('GUEST_TRFCR');
    const e = explore(ttrfDropped, { ...nvhe, depth: 3, config: on });
    expect(e.verdict, e.error).toBe('violated');
    expect(e.trace.map((s) => s.event)).toEqual(['VCPU_LOAD', 'GUEST_ENTER', 'GUEST_TRFCR']);
  });

  it('holds without it: no guest writes TRFCR_EL1 (2000 interleavings, seed 1; explore depth 4)', () => {
    const r = check(ttrfDropped, { ...nvhe, seed: 1, runs: 2000 });
    expect(r.violation?.message).toBeUndefined();
    expect(r.verdict).toBe('held');
    expect(explore(ttrfDropped, { ...nvhe, depth: 4 }).verdict).toBe('held');
  });

  it('the unmutated policy holds with it at the same depth', () => {
    const r = explore(nvheTrfcr2025, { ...nvhe, depth: 4, config: on });
    expect(r.error).toBeUndefined();
    expect(r.verdict).toBe('held');
  });
});

it('keeps TRFCR_EL1 a register the guest cannot see: not in guestVisible', () => {
  const m = arm64Nvhe.instantiate(on);
  expect([...m.view.guestVisible]).not.toContain(TRFCR_EL1);
  expect(m.events.map((e) => e.type)).toContain('GUEST_TRFCR');
  expect(arm64Nvhe.instantiate({}).events.map((e) => e.type)).not.toContain('GUEST_TRFCR');
});
