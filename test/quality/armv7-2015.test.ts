/**
 * "Planted bug must be found" for the 2015 ARMv7 debug review: the checker must find, by running
 * the engine, that arm32 KVM without debug switching lets the guest read the host's DBGDSCRext,
 * and that the posted dirty bit leaves the host's breakpoints live in a guest that does not debug;
 * while the control-register check, the owner-tracking trap, hw_breakpoint_enabled() (the host arms
 * its reserved breakpoint only for a watchpoint that keeps its wp_on_reg slot, and never under
 * KVM_RUN) and the eager baseline hold on random runs.
 */
import { describe, expect, it } from 'vitest';
import { armv7 } from '../../models/armv7/model.js';
import armv7CtrlCheck from '../../models/armv7/policies/armv7-ctrl-check.js';
import armv7Dirty2015 from '../../models/armv7/policies/armv7-dirty-2015.js';
import armv7HwbpEnabled, { hw_breakpoint_enabled } from '../../models/armv7/policies/armv7-hwbp-enabled.js';
import armv7None from '../../models/armv7/policies/armv7-none.js';
import armv7OwnerTrap from '../../models/armv7/policies/armv7-owner-trap.js';
import eager from '../../models/armv7/policies/eager.js';
import { switchWhenEnabled } from '../../models/armv7/policies/hyp.js';
import { CTRL_E, DBGBCR, DBGDIDR, didrCounts } from '../../models/armv7/registers.js';
import { invariantsFor } from '../../properties/suites.js';
import type { ModelConfig } from '../../src/engine/model.js';
import { definePolicy } from '../../src/engine/policy.js';
import { expectPolicy } from '../../src/expect-policy.js';
import { check } from '../../src/searches/check.js';
import { cost } from '../../src/searches/cost.js';
import { explore } from '../../src/searches/explore.js';
import { makeExecutor } from '../../src/searches/make-executor.js';

const invariants = invariantsFor('armv7');
const seeds = [1, 2, 3, 4, 5];

describe('armv7-none (debug registers neither trapped nor switched)', () => {
  it.each(seeds)('finds that the guest reads the host DBGDSCRext (guest-isolation), seed %i', (seed) => {
    const r = check(armv7None, { arch: armv7, invariants, seed, runs: 2000 });
    expect(r.verdict).toBe('violated');
    expect(r.violation?.invariant).toBe('guest-isolation');
    expect(r.trace.length).toBeLessThanOrEqual(4);
  });
});

describe('armv7-dirty-2015 (the patch as posted)', () => {
  it.each(seeds)('finds a host breakpoint left live in a guest that neither writes debug registers nor sets MDBGen, seed %i', (seed) => {
    const r = check(armv7Dirty2015, { arch: armv7, invariants, seed, runs: 2000 });
    expect(r.verdict).toBe('violated');
    expect(r.violation?.invariant).toBe('host-breakpoints-quiet-in-guest');
    expect(r.trace.map((e) => e.event)).toContain('HOST_SET_BREAKPOINT');
    expect(r.trace.length).toBeLessThanOrEqual(5);
  });
});

describe('armv7-hwbp-enabled (asks hw_breakpoint_enabled())', () => {
  it.each(seeds)('holds on 2000 interleavings: the reserved breakpoint is armed only with its watchpoint in wp_on_reg, seed %i', (seed) => {
    const r = check(armv7HwbpEnabled, { arch: armv7, invariants, seed, runs: 2000 });
    expect(r.violation?.message).toBeUndefined();
    expect(r.verdict).toBe('held');
  });

  it('holds with 4 breakpoints and 2 watchpoints too, and on every interleaving of 5 events (small domain)', () => {
    const r = check(armv7HwbpEnabled, { arch: armv7, invariants, config: { brps: 4, wrps: 2 }, seed: 1, runs: 2000 });
    expect(r.verdict, r.violation?.message).toBe('held');
    expect(explore(armv7HwbpEnabled, { arch: armv7, invariants, depth: 5 }).verdict).toBe('held');
  });

  it("asking about the reserved breakpoint too (Will Deacon's remark, applied) holds as well, and only costs", () => {
    const withReserved = definePolicy({
      name: 'hwbp-enabled-with-reserved',
      arch: 'armv7',
      hooks: switchWhenEnabled((k) => {
        const reserved = didrCounts(k.hw.read(DBGDIDR)).brps - 1;
        return hw_breakpoint_enabled(k) || (k.hw.read(DBGBCR(reserved)) & CTRL_E) !== 0;
      }),
    });
    const r = check(withReserved, { arch: armv7, invariants, seed: 1, runs: 2000 });
    expect(r.verdict, r.violation?.message).toBe('held');
    const asked = cost(withReserved, { arch: armv7 }).cases;
    const plain = cost(armv7HwbpEnabled, { arch: armv7 }).cases;
    // Two more MRCs (DBGDIDR, then DBGBCR5) on an entry that does not switch: 8 cycles each.
    expect((asked.neither?.entryCycles ?? 0) - (plain.neither?.entryCycles ?? 0)).toBe(16);
  });
});

describe('the review alternatives and the baseline', () => {
  it.each([
    ['armv7-ctrl-check', armv7CtrlCheck],
    ['armv7-owner-trap', armv7OwnerTrap],
    ['eager', eager],
  ])('%s holds on 2000 interleavings (seed 1)', (_name, policy) => {
    const r = check(policy, { arch: armv7, invariants, seed: 1, runs: 2000 });
    expect(r.violation).toBeUndefined();
    expect(r.verdict).toBe('held');
  });

  it('the control-register check and eager hold with a guest that keeps MDBGen set', () => {
    for (const policy of [armv7CtrlCheck, eager]) {
      const r = check(policy, { arch: armv7, invariants, config: { mdbgen: 1 }, seed: 2, runs: 500 });
      expect(r.verdict, r.violation?.message).toBe('held');
    }
  });

  it('explore finds what random runs missed in armv7-owner-trap, with the era interfaces only: an untrapped write makes no owner', () => {
    // No KVM_SET_ONE_REG on CP14 (one-reg = 0, the default): 8 steps with a guest kernel keeping MDBGen.
    const r = explore(armv7OwnerTrap, { arch: armv7, invariants, depth: 8, config: { mdbgen: 1 } });
    expect(r.verdict).toBe('violated');
    expect(r.violation?.invariant).toBe('guest-breakpoints-effective');
    expect(r.trace).toHaveLength(8);
    expect(r.trace.map((e) => e.event)).toContain('GUEST_WRITE');
    expect(r.trace.map((e) => e.event).filter((e) => e.startsWith('VMM_'))).toEqual([]);
    // Shorter than 8 steps, nothing breaks it: the one-reg ioctl below is what made it 4.
    expect(explore(armv7OwnerTrap, { arch: armv7, invariants, depth: 7, config: { mdbgen: 1 } }).verdict).toBe('held');
  });

  it('with --one-reg 1 (a CP14 KVM_SET_ONE_REG the era lacked) a userspace write makes no owner either: 4 steps', () => {
    const r = explore(armv7OwnerTrap, { arch: armv7, invariants, depth: 4, config: { 'one-reg': 1 } });
    expect(r.verdict).toBe('violated');
    expect(r.violation?.invariant).toBe('guest-breakpoints-effective');
    expect(r.trace.map((e) => e.event)).toContain('VMM_SET_REG');
    expect(r.trace.map((e) => e.event)).not.toContain('GUEST_WRITE');
  });

  it('KVM_GET/SET_ONE_REG are in the armv7 alphabet only with one-reg = 1', () => {
    const types = (config: ModelConfig) => makeExecutor(eager, armv7, [], config).kinds.map((k) => k.type);
    expect(types({})).not.toContain('VMM_SET_REG');
    expect(types({})).not.toContain('VMM_GET_REG');
    expect(types({ 'one-reg': 1 })).toEqual(expect.arrayContaining(['VMM_GET_REG', 'VMM_SET_REG']));
  });

  it('armv7-owner-trap breaks without KVM_SET_ONE_REG too (32-bit KVM/arm had none for CP14): an untrapped write makes no owner', () => {
    // The guest writes its BCR while its CPU's host owns the registers (live, untrapped), then migrates
    // to a CPU whose host owns nothing: nobody owns them there, so the entry loads nothing.
    const trace: Record<string, string | number>[] = [
      { event: 'VCPU_LOAD', vcpu: 0, cpu: 1 },
      { event: 'HOST_SET_BREAKPOINT', cpu: 1, kind: 'wp', slot: 3, el: 'el0', addr: 0x1000 },
      { event: 'GUEST_ENTER', vcpu: 0 },
      { event: 'GUEST_WRITE', vcpu: 0, reg: 'DBGBCR4', value: 0x1e3 },
      { event: 'GUEST_EXIT', vcpu: 0, reason: 'irq' },
      { event: 'VCPU_PUT', vcpu: 0 },
      { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
      { event: 'GUEST_ENTER', vcpu: 0 },
    ];
    expect(() => expectPolicy('armv7/armv7-owner-trap').toHoldOn(trace, { config: { mdbgen: 1 } })).toThrow(/guest-breakpoints-effective/);
    expectPolicy('armv7/armv7-ctrl-check').toHoldOn(trace, { config: { mdbgen: 1 } });
  });

  it('explore proves the control-register check to depth 4 on the small domain', () => {
    const r = explore(armv7CtrlCheck, { arch: armv7, invariants, depth: 4 });
    expect(r.verdict).toBe('held');
  });
});
