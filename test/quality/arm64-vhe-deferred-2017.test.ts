/**
 * "Planted bug must be found" for the VHE deferral series: the v2 posting reads and writes the
 * memory copy of a VM register while the live value is on the CPU (the hypervisor's own accesses,
 * a reset of a loaded vCPU), so the checker must find a stale read from every seed and shrink it.
 * 4.17 as merged still resets a loaded vCPU's memory copy only (PSCI CPU_ON from another vCPU,
 * fixed in 5.0); with 5.0's reset it holds, as eager does. The WARN+RAZ/WI variant never stops a
 * hook, and its WARNs are counted. Each kind of reader is proven covered by a mutant of the fix.
 */
import { describe, expect, it } from 'vitest';
import { arm64Vhe } from '../../models/arm64-vhe/model.js';
import arm64VheDeferred2017, { arm64VheDeferred2017Reset50 } from '../../models/arm64-vhe/policies/arm64-vhe-deferred-2017.js';
import arm64VheDeferred2017V2 from '../../models/arm64-vhe/policies/arm64-vhe-deferred-2017-v2.js';
import arm64VheDeferred2017Warn from '../../models/arm64-vhe/policies/arm64-vhe-deferred-2017-warn.js';
import eager from '../../models/arm64-vhe/policies/eager.js';
import { memoryCopy } from '../../models/arm64-vhe/policies/vhe.js';
import { HCR_TRVM, isVmReg } from '../../models/arm64-vhe/registers.js';
import { invariants as allInvariants, invariantsFor } from '../../properties/suites.js';
import { definePolicy } from '../../src/engine/policy.js';
import { type CheckResult, check } from '../../src/searches/check.js';
import { explore } from '../../src/searches/explore.js';

const invariants = invariantsFor('arm64-vhe');
const seeds = Array.from({ length: 20 }, (_, i) => i + 1);

const results = new Map<number, CheckResult>();
function checkV2(seed: number): CheckResult {
  let r = results.get(seed);
  if (r === undefined) results.set(seed, (r = check(arm64VheDeferred2017V2, { arch: arm64Vhe, invariants, seed, runs: 1000 })));
  return r;
}

describe('arm64-vhe-deferred-2017-v2 (only trapped writes know where the value lives)', () => {
  it.each(seeds)('finds a stale read or a BUG() with seed %i', (seed) => {
    const r = checkV2(seed);
    expect(r.verdict).toBe('violated');
    expect(['no-stale-read', 'policy-total']).toContain(r.violation?.invariant);
    expect(r.violation?.step).toBe(r.trace.length);
  });

  it.each(seeds)('shrinks the counterexample of seed %i to at most 8 steps', (seed) => {
    const r = checkV2(seed);
    expect(r.trace.length, r.trace.map((e) => e.event).join(', ')).toBeLessThanOrEqual(8);
  });
});

describe("4.17's reset of a loaded vCPU (PSCI CPU_ON from another vCPU's thread)", () => {
  it('is found: kvm_reset_vcpu resets the memory copy while the registers are on the CPU, and the guest runs on with them', () => {
    const e = explore(arm64VheDeferred2017, { arch: arm64Vhe, invariants, depth: 5 });
    expect(e.violation?.invariant).toBe('no-stale-read');
    expect(e.trace?.map((t) => t.event)).toEqual(['VCPU_LOAD', 'VMM_SET_REG', 'VCPU_RESET', 'GUEST_ENTER']);
    expect(e.violation?.message).toMatch(
      /reads SCTLR_EL1 untrapped on cpu0 and would see 0xc5007d; its value is 0xc50078, set by the vCPU reset at step 3/,
    );
    const r = check(arm64VheDeferred2017, { arch: arm64Vhe, invariants, seed: 1, runs: 1000 });
    expect(r.violation?.invariant).toBe('no-stale-read');
    expect(r.trace.map((t) => t.event)).toContain('VCPU_RESET');
  });

  it("holds with 5.0's reset (put, reset, load): the reset is the only thing wrong", () => {
    expect(explore(arm64VheDeferred2017Reset50, { arch: arm64Vhe, invariants, depth: 5 }).verdict).toBe('held');
  });
});

describe('the accessor-based fix (with 5.0 reset) and the baseline hold', () => {
  it.each([
    ['arm64-vhe-deferred-2017-reset50', arm64VheDeferred2017Reset50],
    ['eager', eager],
  ])('%s holds on 1000 interleavings (seeds 1 and 2)', (_name, policy) => {
    for (const seed of [1, 2]) {
      const r = check(policy, { arch: arm64Vhe, invariants, seed, runs: 1000 });
      expect(r.verdict, r.violation?.message).toBe('held');
      expect(r.runs).toBe(1000);
    }
  });
});

describe('WARN+RAZ/WI instead of BUG()', () => {
  it('never stops a hook (policy-total holds) and counts the WARNs it reached', () => {
    const policyTotal = allInvariants.filter((i) => i.name === 'policy-total');
    const r = check(arm64VheDeferred2017Warn, { arch: arm64Vhe, invariants: policyTotal, seed: 1, runs: 500 });
    expect(r.verdict).toBe('held');
    expect(r.stats.warnings).toBeGreaterThan(0);
  });

  it('reads as zero MDSCR_EL1, which 4.17 reads through the accessor at every entry, and is found with the WARN in the trace', () => {
    const r = check(arm64VheDeferred2017Warn, { arch: arm64Vhe, invariants, seed: 1, runs: 1000 });
    expect(r.verdict).toBe('violated');
    expect(r.warnings.length).toBeGreaterThan(0);
    expect(r.warnings.some((w) => w.message.includes('MDSCR_EL1'))).toBe(true);
    expect(r.warnings.every((w) => w.step >= 1 && w.step <= r.trace.length)).toBe(true);
  });
});

/** The fix (with 5.0's reset) with one reader going back to the memory copy, or (for trap emulation) VM reads trapped and emulated from memory. */
function staleReader(reader: 'getReg' | 'hypReadReg' | 'trap') {
  const hooks = arm64VheDeferred2017Reset50.hooks;
  if (reader === 'trap') {
    return definePolicy({
      name: 'trvm-from-memory',
      arch: 'arm64-vhe',
      hooks: {
        ...hooks,
        guestEnter(k) {
          k.vcpu.hcrEl2 |= HCR_TRVM;
          hooks.guestEnter?.(k);
        },
        trap(k, p) {
          if (isVmReg(p.reg) && !p.isWrite) p.regval = memoryCopy.read(k, p.reg);
          else hooks.trap?.(k, p);
        },
      },
    });
  }
  return definePolicy({ name: `${reader.toLowerCase()}-from-memory`, arch: 'arm64-vhe', hooks: { ...hooks, [reader]: memoryCopy.read } });
}

describe('no-stale-read covers every reader of a loaded vCPU', () => {
  it.each([
    ['KVM_GET_ONE_REG', 'getReg', 'KVM_GET_ONE_REG read'],
    ['the hypervisor itself', 'hypReadReg', 'the hypervisor read'],
    ['trap emulation', 'trap', 'trap emulation read'],
  ] as const)('finds %s reading the memory copy', (_who, reader, message) => {
    const r = check(staleReader(reader), { arch: arm64Vhe, invariants, seed: 1, runs: 2000 });
    expect(r.violation?.invariant).toBe('no-stale-read');
    expect(r.violation?.message).toContain(message);
  });
});
