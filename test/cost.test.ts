/**
 * `cost` measures, it does not compute: the numbers below come from running each policy through the
 * executor on the generated workloads, and the assertions are the claims of the 2015 ARMv7 review.
 */
import { describe, expect, it } from 'vitest';
import { armv7 } from '../models/armv7/model.js';
import armv7CtrlCheck from '../models/armv7/policies/armv7-ctrl-check.js';
import armv7Dirty2015 from '../models/armv7/policies/armv7-dirty-2015.js';
import armv7None from '../models/armv7/policies/armv7-none.js';
import armv7OwnerTrap from '../models/armv7/policies/armv7-owner-trap.js';
import eager from '../models/armv7/policies/eager.js';
import { architectures, policies } from '../models/catalog.js';
import { type CaseCost, cost, costCases } from '../src/searches/cost.js';
import { vectorCatchNotSwitched } from './quality/armv7-mutants.js';

const perSwitch = (c: CaseCost | undefined): number => (c ? c.entryCycles + c.exitCycles : Number.NaN);

describe('cost on armv7 (Cortex-A15 default: 6 breakpoints, 4 watchpoints)', () => {
  const eagerCost = cost(eager, { arch: armv7 });
  // The review's claims compare with the series' own full switch: eager without DBGVCR, which the
  // series' save/restore leaves out (an MRC and an MCR, 8 + 5 cycles, each way).
  const seriesCost = cost(vectorCatchNotSwitched, { arch: armv7 });

  it("charges eager the series' full switch plus DBGVCR's and the OS Lock's MRC and MCR each way", () => {
    // DBGVCR: MRC + MCR; the OS Lock: MRC of DBGOSLSR + MCR of DBGOSLAR; 8 + 5 cycles each pair, entry and exit.
    for (const c of costCases(armv7))
      expect(perSwitch(eagerCost.cases[c.name]), c.name).toBe(perSwitch(seriesCost.cases[c.name]) + 2 * 2 * 13);
  });

  it('charges eager at least 260 cycles per switch direction in every case (20 registers read and written)', () => {
    for (const c of costCases(armv7)) {
      const k = eagerCost.cases[c.name];
      expect(k?.entryCycles, c.name).toBeGreaterThanOrEqual(260);
      expect(k?.exitCycles, c.name).toBeGreaterThanOrEqual(260);
      expect(k?.traps, c.name).toBe(0);
    }
  });

  it('grows with the CPU: 16 + 16 slots cost more than 6 + 4', () => {
    const big = cost(eager, { arch: armv7, config: { brps: 16, wrps: 16 }, rounds: 4 });
    expect(big.cases.neither?.entryCycles).toBeGreaterThan(eagerCost.cases.neither?.entryCycles ?? Number.POSITIVE_INFINITY);
  });

  it('shows armv7-dirty-2015 saving nothing with an MDBGen-always guest, and most of the switch when nobody debugs', () => {
    const dirty = cost(armv7Dirty2015, { arch: armv7 });
    expect(perSwitch(dirty.cases.mdbgenAlways)).toBe(perSwitch(seriesCost.cases.mdbgenAlways));
    expect(perSwitch(dirty.cases.neither)).toBeLessThan(perSwitch(seriesCost.cases.neither) / 10);
  });

  it('shows the control-register check paying its host reads on every entry, and saving with an MDBGen-always guest', () => {
    const ctrl = cost(armv7CtrlCheck, { arch: armv7 });
    const none = cost(armv7None, { arch: armv7 });
    expect(ctrl.cases.neither?.entryCycles).toBeGreaterThan(none.cases.neither?.entryCycles ?? 0);
    expect(perSwitch(ctrl.cases.mdbgenAlways)).toBeLessThan(perSwitch(seriesCost.cases.mdbgenAlways));
    expect(perSwitch(ctrl.cases.hostOnly)).toBeGreaterThan(perSwitch(seriesCost.cases.hostOnly));
  });

  it('shows the owner-tracking trap switching in full only when the host or the guest owns the registers', () => {
    const owner = cost(armv7OwnerTrap, { arch: armv7 });
    expect(perSwitch(owner.cases.hostOnly)).toBe(perSwitch(seriesCost.cases.hostOnly));
    expect(perSwitch(owner.cases.neither)).toBeLessThan(perSwitch(seriesCost.cases.neither) / 10);
  });

  it('counts traps: arm64-dirty-2015 sets MDCR_EL2.TDA before its MDE check, so a debugging guest traps once per run; armv7-none never traps', () => {
    const arm64 = architectures.find((a) => a.id === 'arm64-nvhe');
    const merged = policies.find((p) => p.arch === 'arm64-nvhe' && p.name === 'arm64-dirty-2015');
    if (!arm64 || !merged) throw new Error('arm64-nvhe/arm64-dirty-2015 missing from the catalog');
    const r = cost(merged, { arch: arm64 });
    expect(r.cases.guestOnly?.traps).toBeGreaterThan(0);
    expect(r.cases.guestOnly?.trapCycles).toBeGreaterThan(0);
    expect(r.cases.neither?.traps).toBe(0);
    for (const c of Object.values(cost(armv7None, { arch: armv7 }).cases)) expect(c.traps).toBe(0);
  });

  it('is deterministic: the same seed gives the same numbers', () => {
    expect(cost(armv7Dirty2015, { arch: armv7, seed: 7 })).toEqual(cost(armv7Dirty2015, { arch: armv7, seed: 7 }));
  });
});

describe('cost on every built-in policy of every architecture', () => {
  it.each(policies.map((p) => [`${p.arch}/${p.name}`, p] as const))('%s measures every case of its architecture', (_name, policy) => {
    const arch = architectures.find((a) => a.id === policy.arch);
    if (!arch) throw new Error(`no arch ${policy.arch}`);
    // On arm64, a CPU with TRBE: without it arm64-trfcr-2023 reads TRBLIMITR_EL1 and stops (a
    // policy-total finding of `check`, and `cost` reports it as stopped).
    const config: Record<string, number> = arch.options.some((o) => o.name === 'trbe') ? { trbe: 1 } : {};
    const r = cost(policy, { arch, config, rounds: 4 });
    expect(r.error).toBeUndefined();
    expect(Object.keys(r.cases)).toEqual(costCases(arch).map((c) => c.name));
    for (const c of Object.values(r.cases)) {
      expect(Number.isFinite(c.entryCycles + c.exitCycles + c.traps + c.trapCycles)).toBe(true);
    }
  });
});
