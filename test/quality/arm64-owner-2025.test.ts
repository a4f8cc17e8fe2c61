/**
 * The upstream 6.14 debug-owner design on VHE holds with and without userspace debugging and the
 * guest's OS Lock, and plausible slips in it are found by running the engine (mutants built here,
 * never looked up by name). The 2017 deferral, which treated the OS Lock as RAZ/WI and predates
 * this KVM_SET_GUEST_DEBUG handling, is found wanting once those are in play.
 */
import { describe, expect, it } from 'vitest';
import type { Arm64Host } from '../../models/arm64-nvhe/model.js';
import { type Arm64Vcpu, arm64Nvhe, storage } from '../../models/arm64-nvhe/model.js';
import nvheOwner2025 from '../../models/arm64-nvhe/policies/arm64-owner-2025.js';
import { VCPU_DEBUG_FREE } from '../../models/arm64-nvhe/policies/debug-owner.js';
import { DBG_SPSR_SS, DBGWCR, MDCCINT_EL1, MDCR_EL2, MDCR_EL2_TDA, MDSCR_EL1 } from '../../models/arm64-nvhe/registers.js';
import { type Arm64VheVcpu, arm64Vhe } from '../../models/arm64-vhe/model.js';
import owner2025 from '../../models/arm64-vhe/policies/arm64-owner-2025.js';
import arm64VheDeferred2017, { arm64VheDeferred2017Reset50 } from '../../models/arm64-vhe/policies/arm64-vhe-deferred-2017.js';
import { OSLAR_EL1, OSLAR_OSLK, OSLSR_EL1, OSLSR_OSLK } from '../../models/arm64-vhe/registers.js';
import { invariantsFor } from '../../properties/suites.js';
import { definePolicy, type Hooks, PolicyScopeError } from '../../src/engine/policy.js';
import { check } from '../../src/searches/check.js';

const invariants = invariantsFor('arm64-vhe');
const hooks = owner2025.hooks as Required<Hooks<Arm64VheVcpu, Arm64Host>>;
const mutant = (name: string, override: Hooks<Arm64VheVcpu, Arm64Host>) =>
  definePolicy<Arm64VheVcpu, Arm64Host>({ name, arch: 'arm64-vhe', hooks: { ...hooks, ...override } });

describe('arm64-owner-2025 on arm64-vhe holds', () => {
  it.each([
    ['the default model', {}],
    ['userspace debugging (KVM_SET_GUEST_DEBUG)', { gdb: 1 }],
    ['guests locking the OS Lock', { oslock: 1 }],
    ['both', { gdb: 1, oslock: 1 }],
  ])('with %s on 1000 interleavings (seed 1)', (_what, config) => {
    const r = check(owner2025, { arch: arm64Vhe, invariants, config, seed: 1, runs: 1000 });
    expect(r.verdict, r.violation?.message).toBe('held');
  });
});

describe('single-step: every instruction stepped exactly once, userspace sees each step', () => {
  const gdb = { gdb: 1 };
  it.each([
    [
      // The emulated instruction completes in KVM, but PSTATE.SS stays set: the next instruction runs before its step is reported.
      'trap emulation that does not advance the step state (no kvm_skip_instr)',
      mutant('no-skip-step', {
        trap(k, p) {
          const ss = k.vcpu.pstate & DBG_SPSR_SS;
          hooks.trap(k, p);
          k.vcpu.pstate = (k.vcpu.pstate & ~DBG_SPSR_SS) | ss;
        },
      }),
    ],
    [
      // After a step exit PSTATE.SS stays 0 (active-pending): the next entry steps again without executing anything.
      'a step exit that does not re-arm PSTATE.SS',
      mutant('step-not-rearmed', { guestExit: (k, reason) => hooks.guestExit(k, reason === 'step' ? 'debug' : reason) }),
    ],
    [
      // vcpu_put without kvm_vcpu_put_debug: an active-pending step is lost across preemption.
      'vcpu_put that does not save the step state',
      mutant('put-loses-step', {
        vcpuPut(k) {
          const { pstate, ssFlags } = k.vcpu;
          hooks.vcpuPut(k);
          k.vcpu.pstate = pstate;
          k.vcpu.ssFlags = ssFlags;
        },
      }),
    ],
  ] as const)('finds %s', (_slip, policy) => {
    const r = check(policy, { arch: arm64Vhe, invariants, config: gdb, seed: 1, runs: 3000 });
    expect(r.violation?.invariant, r.violation?.message).toBe('debug-status-consumed');
  });
});

describe('arm64-owner-2025 on arm64-nvhe', () => {
  const nvheInvariants = invariantsFor('arm64-nvhe');
  it('holds on 2000 interleavings (seed 1)', () => {
    const r = check(nvheOwner2025, { arch: arm64Nvhe, invariants: nvheInvariants, seed: 1, runs: 2000 });
    expect(r.verdict, r.violation?.message).toBe('held');
  });

  it('is found when a trapped write does not promote FREE to GUEST_OWNED', () => {
    const nvheHooks = nvheOwner2025.hooks as Required<Hooks<Arm64Vcpu, Arm64Host>>;
    const policy = definePolicy<Arm64Vcpu, Arm64Host>({
      name: 'no-promotion',
      arch: 'arm64-nvhe',
      hooks: {
        ...nvheHooks,
        trap(k, p) {
          const owner = k.vcpu.debugOwner;
          const mdcr = k.vcpu.mdcrEl2;
          nvheHooks.trap(k, p);
          k.vcpu.debugOwner = owner;
          k.vcpu.mdcrEl2 = mdcr;
        },
      },
    });
    const r = check(policy, { arch: arm64Nvhe, invariants: nvheInvariants, seed: 1, runs: 2000 });
    // The guest's MDSCR_EL1 goes live while the host's breakpoints (or none of the guest's) stay loaded.
    expect(['guest-breakpoints-effective', 'host-breakpoints-quiet-in-guest']).toContain(r.violation?.invariant);
  });
});

describe('the 2017 deferral predates OS Lock emulation; its guest-debug handling is not modelled', () => {
  it('reads OSLSR_EL1 as unlocked after the guest locked it (4.17 trap_oslsr_el1)', () => {
    // With 5.0's reset, so that 4.17's reset of a loaded vCPU (PSCI CPU_ON) is not found first.
    const r = check(arm64VheDeferred2017Reset50, { arch: arm64Vhe, invariants, config: { oslock: 1 }, seed: 1 });
    expect(r.verdict).toBe('violated');
    expect(r.violation?.register).toBe('OSLSR_EL1');
  });

  it('gives no verdict with userspace debugging: its transliteration leaves out 4.17 KVM_SET_GUEST_DEBUG (its scope)', () => {
    expect(() => check(arm64VheDeferred2017, { arch: arm64Vhe, invariants, config: { gdb: 1 }, seed: 1 })).toThrow(PolicyScopeError);
  });
});

describe('mutants of arm64-owner-2025 are found', () => {
  const isDebugTrap = (reg: number): boolean => reg <= DBGWCR(15) || reg === MDSCR_EL1 || reg === MDCCINT_EL1;
  it.each([
    [
      // A new trap handler that forgets kvm_debug_set_guest_ownership: the guest's breakpoints stay off until the next load.
      'a debug-register trap that does not promote FREE to GUEST_OWNED',
      mutant('no-promotion', {
        trap(k, p) {
          if (!isDebugTrap(p.reg)) return hooks.trap(k, p);
          const mem = storage(k.vcpu, p.reg);
          if (p.isWrite) mem[p.reg] = p.regval;
          else p.regval = mem[p.reg] as number;
        },
      }),
      {},
      // The guest's MDE/KDE go live on registers never swapped: its own are missing, or the host's
      // kernel breakpoints (HMC, PMC = EL1: they match the guest's EL1 too) are live in it.
      ['guest-breakpoints-effective', 'host-breakpoints-quiet-in-guest'],
    ],
    [
      // "Nobody uses debug, so why trap?": the guest then writes the host's live breakpoint registers.
      'TDA left clear while the debug registers are FREE',
      mutant('free-untrapped', {
        vcpuLoad(k) {
          hooks.vcpuLoad(k);
          if (k.vcpu.debugOwner !== VCPU_DEBUG_FREE) return;
          // kvm_arm_setup_mdcr_el2 without TDA for FREE: on VHE it writes MDCR_EL2 at once.
          k.vcpu.mdcrEl2 &= ~MDCR_EL2_TDA;
          k.hw.write(MDCR_EL2, k.vcpu.mdcrEl2);
        },
      }),
      {},
      ['host-breakpoints-preserved', 'guest-isolation', 'guest-breakpoints-quiet-in-host'],
    ],
    [
      // OSLAR_EL1 emulated without putting and loading the vCPU: ownership lags the OS Lock until the next load.
      'an OS Lock change that does not decide ownership again',
      mutant('oslar-no-reload', {
        trap(k, p) {
          if (p.reg !== OSLAR_EL1 || !p.isWrite) return hooks.trap(k, p);
          const oslsr = k.vcpu.ctxt[OSLSR_EL1] as number;
          k.vcpu.ctxt[OSLSR_EL1] = p.regval & OSLAR_OSLK ? oslsr | OSLSR_OSLK : oslsr & ~OSLSR_OSLK;
        },
      }),
      { oslock: 1 },
      ['host-breakpoints-quiet-in-guest', 'guest-breakpoints-effective'],
    ],
    [
      // vcpu_load deciding ownership without looking at userspace's request (KVM_SET_GUEST_DEBUG runs
      // with the vCPU put since 4.16; the load after it is where HOST_OWNED must be taken).
      'a vcpu_load that decides ownership without userspace debugging',
      mutant('load-ignores-gdb', {
        vcpuLoad(k) {
          const gdb = k.vcpu.guestDebug;
          k.vcpu.guestDebug = 0;
          hooks.vcpuLoad(k);
          k.vcpu.guestDebug = gdb;
        },
      }),
      { gdb: 1 },
      ['userspace-debug-honored', 'host-breakpoints-quiet-in-guest', 'debug-status-consumed'],
    ],
  ] as const)('finds %s', (_slip, policy, config, found) => {
    const r = check(policy, { arch: arm64Vhe, invariants, config, seed: 1, runs: 3000 });
    expect(r.verdict).toBe('violated');
    expect(found, r.violation?.message).toContain(r.violation?.invariant);
  });
});
