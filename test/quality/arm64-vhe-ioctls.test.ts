/**
 * Userspace's ioctls on arm64 since 4.16 run with the vCPU put (ModelInstance.ioctlsPut): KVM_SET_ONE_REG
 * writing the memory copy, as upstream's kvm_arm_set_reg does (__vcpu_sys_reg), is right, and one
 * that writes the CPU's register as if the vCPU were loaded is a bug (the next vcpu_load overwrites
 * it). Before, the model ran the ioctls loaded and had it the other way round.
 */
import { describe, expect, it } from 'vitest';
import { storage } from '../../models/arm64-nvhe/model.js';
import { arm64Vhe } from '../../models/arm64-vhe/model.js';
import owner2025 from '../../models/arm64-vhe/policies/arm64-owner-2025.js';
import v2 from '../../models/arm64-vhe/policies/arm64-vhe-deferred-2017-v2.js';
import { isVmReg } from '../../models/arm64-vhe/registers.js';
import { invariantsFor } from '../../properties/suites.js';
import { definePolicy, type Hooks } from '../../src/engine/policy.js';
import type { TraceEvent } from '../../src/engine/trace.js';
import { check } from '../../src/searches/check.js';
import { explore } from '../../src/searches/explore.js';
import { makeExecutor } from '../../src/searches/make-executor.js';
import { replay } from '../../src/searches/replay.js';

const invariants = invariantsFor('arm64-vhe');
const withOneReg = (name: string, oneReg: Pick<Hooks<never, never>, 'getReg' | 'setReg'>) =>
  definePolicy({ name, arch: 'arm64-vhe', hooks: { ...(owner2025.hooks as Hooks<never, never>), ...oneReg } });

// 6.x sys_regs.c: KVM_SET_ONE_REG / KVM_GET_ONE_REG on the memory copy (__vcpu_sys_reg), no vcpu_load.
const upstream = withOneReg('one-reg-in-memory', {
  getReg: (k, reg) => storage(k.vcpu as never, reg)[reg] as number,
  setReg(k, reg, value) {
    storage(k.vcpu as never, reg)[reg] = value;
  },
});
// The planted slip: KVM_SET_ONE_REG writes a deferred VM register on the CPU, as vcpu_write_sys_reg
// does while the vCPU is loaded, and every other register in memory.
const onCpu = withOneReg('one-reg-on-cpu', {
  setReg(k, reg, value) {
    if (isVmReg(reg)) k.hw.write(reg, value);
    else storage(k.vcpu as never, reg)[reg] = value;
  },
});

describe('KVM_GET/SET_ONE_REG run between two KVM_RUNs on arm64-vhe', () => {
  it('the memory copy, as upstream writes it, holds (check and explore)', { timeout: 120_000 }, () => {
    expect(check(upstream, { arch: arm64Vhe, invariants, seed: 1, runs: 1000 }).verdict).toBe('held');
    expect(explore(upstream, { arch: arm64Vhe, invariants, depth: 4 }).verdict).toBe('held');
  });

  it('a write to the CPU as if the vCPU were loaded is found: the next load puts the memory copy back', () => {
    const r = explore(onCpu, { arch: arm64Vhe, invariants, depth: 4 });
    expect(r.violation?.invariant, r.violation?.message).toBe('no-stale-read');
    expect(r.trace.map((e) => e.event)).toEqual(['VCPU_LOAD', 'VMM_SET_REG', 'GUEST_ENTER']);
  });

  it("the 2017 v2 series' stale copy still breaks on a path KVM takes: exception injection writing ESR_EL1", () => {
    const trace: TraceEvent[] = [
      { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
      { event: 'HYP_WRITE_REG', vcpu: 0, reg: 'ESR_EL1', value: 0x2000 },
      { event: 'GUEST_ENTER', vcpu: 0 },
    ];
    const r = replay(makeExecutor(v2, arm64Vhe, invariants), trace);
    expect(r.violation?.invariant).toBe('no-stale-read');
  });
});
