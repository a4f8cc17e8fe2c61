/**
 * The hypervisor's own accesses to a loaded VHE vCPU (HYP_READ_REG / HYP_WRITE_REG) are the ones
 * KVM's code makes outside the debug switch and the trap handlers, over the eras: reads of SCTLR_EL1
 * (kvm_vcpu_is_be, enter_exception64), MDSCR_EL1 (kvm_arm_setup_debug), ESR_EL1
 * (kvm_inject_size_fault, 5.19+), TCR_EL1 and TTBR0/1_EL1 (inject_abt64's stage-1 walk, 6.18+),
 * writes of ESR_EL1 and FAR_EL1 (inject_abt64). Until 2026-12-03 they ranged over every
 * guest-readable register and every VM register, so a policy whose accessor handled only these
 * was reported violated on a path no kernel takes. Each test below can fail: the alphabet pins,
 * a policy correct on the real paths holds, and a mutant on each real path is found.
 */
import { describe, expect, it } from 'vitest';
import { MDSCR_EL1 } from '../../models/arm64-nvhe/registers.js';
import { arm64Vhe } from '../../models/arm64-vhe/model.js';
import { arm64VheDeferred2017Reset50, vcpuSysRegAccess } from '../../models/arm64-vhe/policies/arm64-vhe-deferred-2017.js';
import eager from '../../models/arm64-vhe/policies/eager.js';
import { memoryCopy } from '../../models/arm64-vhe/policies/vhe.js';
import { ESR_EL1, FAR_EL1, SCTLR_EL1, TCR_EL1, TTBR0_EL1, TTBR1_EL1 } from '../../models/arm64-vhe/registers.js';
import { invariantsFor } from '../../properties/suites.js';
import { definePolicy } from '../../src/engine/policy.js';
import type { TraceEvent } from '../../src/engine/trace.js';
import { check } from '../../src/searches/check.js';
import { explore } from '../../src/searches/explore.js';
import { makeExecutor } from '../../src/searches/make-executor.js';
import { replay } from '../../src/searches/replay.js';

const invariants = invariantsFor('arm64-vhe');
const names = arm64Vhe.instantiate({}).registers.names;

/** The registers `event` is replayed with on a loaded vCPU, as a saved trace would name them. */
function accepted(event: 'HYP_READ_REG' | 'HYP_WRITE_REG'): string[] {
  return names.filter((reg) => {
    const trace: TraceEvent[] = [
      { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
      event === 'HYP_READ_REG' ? { event, vcpu: 0, reg } : { event, vcpu: 0, reg, value: 0 },
    ];
    try {
      replay(makeExecutor(eager as never, arm64Vhe, invariants), trace);
      return true;
    } catch (e) {
      expect(String(e)).toMatch(
        new RegExp(`step 2: ${event} \\{ vcpu: 0, reg: ${reg}.* is not enabled in this state or not in the model's alphabet`),
      );
      return false;
    }
  });
}

describe("the hypervisor's accesses while loaded are the kernel's", () => {
  it('HYP_READ_REG reads MDSCR_EL1, SCTLR_EL1, TTBR0/1_EL1, TCR_EL1 and ESR_EL1 only', () => {
    expect(accepted('HYP_READ_REG')).toEqual(['MDSCR_EL1', 'SCTLR_EL1', 'TTBR0_EL1', 'TTBR1_EL1', 'TCR_EL1', 'ESR_EL1']);
  });

  it('HYP_WRITE_REG writes ESR_EL1 and FAR_EL1 only', () => {
    expect(accepted('HYP_WRITE_REG')).toEqual(['ESR_EL1', 'FAR_EL1']);
  });
});

/** 5.0-reset 4.17 whose hypervisor reaches the CPU copy for `real` only, and memory for every other register. */
function realPathsOnly(name: string, real: readonly number[]) {
  const base = arm64VheDeferred2017Reset50;
  return definePolicy({
    ...base,
    name,
    hooks: {
      ...base.hooks,
      hypReadReg: (k, reg) => (real.includes(reg) ? vcpuSysRegAccess : memoryCopy).read(k, reg),
      hypWriteReg: (k, reg, value) => (real.includes(reg) ? vcpuSysRegAccess : memoryCopy).write(k, reg, value),
    },
  });
}

const REAL = [SCTLR_EL1, MDSCR_EL1, ESR_EL1, TCR_EL1, TTBR0_EL1, TTBR1_EL1, FAR_EL1];

describe('a deferral whose accessor covers exactly the real paths', () => {
  it('holds: no false alarm on an access no kernel path makes (CONTEXTIDR_EL1 was one)', () => {
    const p = realPathsOnly('real-paths-only', REAL);
    expect(explore(p as never, { arch: arm64Vhe, invariants, depth: 5 }).verdict).toBe('held');
    expect(check(p as never, { arch: arm64Vhe, invariants, seed: 1, runs: 1000 }).verdict).toBe('held');
  });

  it.each([
    ['ESR_EL1', 'HYP_WRITE_REG', ESR_EL1],
    ['FAR_EL1', 'HYP_WRITE_REG', FAR_EL1],
    ['SCTLR_EL1', 'HYP_READ_REG', SCTLR_EL1],
    ['TCR_EL1', 'HYP_READ_REG', TCR_EL1],
  ] as const)('the mutant that leaves %s on the memory copy is found, through %s', (reg, event, id) => {
    const real = REAL.filter((r) => r !== id);
    const e = explore(realPathsOnly(`no-${reg.toLowerCase()}`, real) as never, { arch: arm64Vhe, invariants, depth: 5 });
    expect(e.violation?.invariant, e.violation?.message).toBe('no-stale-read');
    expect(e.violation?.message).toContain(reg);
    expect(e.trace?.map((t) => t.event)).toContain(event);
  });
});
