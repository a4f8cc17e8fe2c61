/**
 * Guest trace filtering (DESIGN §5 trace-filter-honored): the 2023 v1 posting is found reading
 * TRBLIMITR_EL1 on a CPU without TRBE (Suzuki Poulose's review of the series), the 6.14 upstream
 * form holds, and three planted slips in the per-CPU → vCPU → hardware chain are each found.
 */
import { describe, expect, it } from 'vitest';
import { arm64Nvhe } from '../../models/arm64-nvhe/model.js';
import arm64Trfcr2023 from '../../models/arm64-nvhe/policies/arm64-trfcr-2023.js';
import arm64Trfcr2025 from '../../models/arm64-nvhe/policies/arm64-trfcr-2025.js';
import { arm64Vhe } from '../../models/arm64-vhe/model.js';
import vheTrfcr2023 from '../../models/arm64-vhe/policies/arm64-trfcr-2023.js';
import vheTrfcr2025 from '../../models/arm64-vhe/policies/arm64-trfcr-2025.js';
import { invariantsFor } from '../../properties/suites.js';
import { check, makeExecutor } from '../../src/searches/check.js';
import { explore } from '../../src/searches/explore.js';
import { replay } from '../../src/searches/replay.js';
import {
  copyBeforeIrqsDisabled,
  hostTrfcrNotRestored,
  noCopyAfterMigration,
  noIrqDisable,
  vheWritesTrfcrEl1Encoding,
} from './trfcr-mutants.js';

const invariants = invariantsFor('arm64-nvhe');
/** A CPU with FEAT_TRBE as well as FEAT_TRF, where v1's TRBLIMITR_EL1 read is defined. */
const withTrbe = { trbe: 1 };

describe('arm64-trfcr-2023 (v1 as posted)', () => {
  it.each([1, 2, 3, 4, 5])('is found reading TRBLIMITR_EL1 on a FEAT_TRF CPU without TRBE (seed %i)', (seed) => {
    const r = check(arm64Trfcr2023, { arch: arm64Nvhe, invariants, seed, runs: 1000 });
    expect(r.verdict).toBe('violated');
    expect(r.violation?.invariant).toBe('policy-total');
    expect(r.violation?.message).toMatch(/reads TRBLIMITR_EL1, which this CPU does not implement/);
    // Shrunk to: load the vCPU, enter it.
    expect(r.trace.map((e) => e.event)).toHaveLength(2);
  });

  it('holds on a CPU with TRBE, where the read is defined (2000 interleavings, seed 1)', () => {
    const r = check(arm64Trfcr2023, { arch: arm64Nvhe, invariants, seed: 1, runs: 2000, config: withTrbe });
    expect(r.violation?.message).toBeUndefined();
    expect(r.verdict).toBe('held');
  });
});

describe('arm64-trfcr-2025 (Linux 6.14)', () => {
  it.each([
    ['without TRBE', {}],
    ['with TRBE', withTrbe],
    ['with one CPU and two vCPUs', { cpus: 1, vcpus: 2 }],
    ['with three CPUs', { cpus: 3 }],
  ])('holds %s (2000 interleavings, seed 1)', (_label, config) => {
    const r = check(arm64Trfcr2025, { arch: arm64Nvhe, invariants, seed: 1, runs: 2000, config });
    expect(r.violation?.message).toBeUndefined();
    expect(r.verdict).toBe('held');
  });
});

describe('planted trace-switch mutants are found (seed 1)', () => {
  it.each([
    // An interrupt between the copy and local_irq_disable() changes the session: the guest runs on the old filter.
    ['the copy made before interrupts are disabled', copyBeforeIrqsDisabled],
    // The vCPU keeps the filter it copied at its first load, whatever the session of the CPU it runs on now.
    ['no copy after a migration', noCopyAfterMigration],
    // The host runs on with the guests' filter.
    ["the host's TRFCR not restored on exit", hostTrfcrNotRestored],
  ] as const)('finds %s', (_bug, policy) => {
    const r = check(policy, { arch: arm64Nvhe, invariants, seed: 1, runs: 5000, config: withTrbe });
    expect(r.verdict).toBe('violated');
    expect(r.violation?.invariant, r.violation?.message).toBe('trace-filter-honored');
    expect(r.trace.length).toBeGreaterThan(0);
  });

  it('needs an interrupt in the run loop to find the early copy (the window is what the bug is about)', () => {
    const r = check(copyBeforeIrqsDisabled, { arch: arm64Nvhe, invariants, seed: 1, runs: 5000, config: withTrbe });
    expect(r.trace.map((e) => e.event)).toContain('RUN_LOOP_TRACE');
  });

  it('needs a second vcpu_load to find the missing copy', () => {
    const r = check(noCopyAfterMigration, { arch: arm64Nvhe, invariants, seed: 1, runs: 5000, config: withTrbe });
    expect(r.trace.filter((e) => e.event === 'VCPU_LOAD').length).toBeGreaterThanOrEqual(2);
  });

  it('reports a run loop that never disables interrupts as policy-total', () => {
    const r = check(noIrqDisable, { arch: arm64Nvhe, invariants, seed: 1, runs: 1000, config: withTrbe });
    expect(r.violation?.invariant).toBe('policy-total');
    expect(r.violation?.message).toMatch(/never called k\.localIrqDisable/);
  });
});

describe("VHE: the guests' filter written straight to TRFCR_EL12", () => {
  const vhe = invariantsFor('arm64-vhe');
  it.each([
    ['arm64-trfcr-2023', vheTrfcr2023, {}],
    ['arm64-trfcr-2025', vheTrfcr2025, {}],
    ['arm64-trfcr-2025 with userspace debugging and the OS Lock', vheTrfcr2025, { gdb: 1, oslock: 1 }],
  ] as const)('%s holds (2000 interleavings, seed 1)', (_label, policy, config) => {
    const r = check(policy, { arch: arm64Vhe, invariants: vhe, seed: 1, runs: 2000, config });
    expect(r.violation?.message).toBeUndefined();
    expect(r.verdict).toBe('held');
  });

  it("finds the TRFCR_EL1 encoding used instead of TRFCR_EL12: E2H sends it to the host's TRFCR_EL2", () => {
    const r = check(vheWritesTrfcrEl1Encoding, { arch: arm64Vhe, invariants: vhe, seed: 1, runs: 2000 });
    expect(r.verdict).toBe('violated');
    expect(['trace-filter-honored', 'host-breakpoints-preserved']).toContain(r.violation?.invariant);
    expect(r.violation?.message).toMatch(/TRFCR_EL[12]/);
  });
});

describe('breadth-first and replayed', () => {
  it.each([
    ['the copy made before interrupts are disabled', copyBeforeIrqsDisabled, 2],
    ["the host's TRFCR not restored on exit", hostTrfcrNotRestored, 3],
  ] as const)('explore finds %s in %i steps, and the saved trace replays to it', (_bug, policy, steps) => {
    const r = explore(policy, { arch: arm64Nvhe, invariants, depth: steps, config: withTrbe });
    expect(r.verdict, r.error).toBe('violated');
    expect(r.violation?.invariant).toBe('trace-filter-honored');
    expect(r.trace).toHaveLength(steps);
    const again = replay(makeExecutor(policy, arm64Nvhe, invariants, withTrbe), r.trace);
    expect(again.violation?.invariant).toBe('trace-filter-honored');
    expect(again.steps).toBe(steps);
  });

  it('arm64-trfcr-2025 holds for every interleaving of at most 4 events', () => {
    const r = explore(arm64Trfcr2025, { arch: arm64Nvhe, invariants, depth: 4 });
    expect(r.error).toBeUndefined();
    expect(r.verdict).toBe('held');
    expect(r.depthCompleted).toBe(4);
  });
});
