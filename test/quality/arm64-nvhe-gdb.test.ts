/**
 * Userspace debugging on arm64 nVHE (`--gdb 1`): the 6.14 debug owner's HOST_OWNED path, which
 * upstream runs on nVHE hosts too (pKVM, cores without VHE), holds; slips in it are found by the
 * engine under `--gdb 1` and not without it (mutants built here, never looked up by name), and the
 * unmutated policy holds on the traces that find them. `--gdb 0` is the model as it was.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Arm64Host, type Arm64Vcpu, arm64Nvhe } from '../../models/arm64-nvhe/model.js';
import dirty2015 from '../../models/arm64-nvhe/policies/arm64-dirty-2015.js';
import dirty2015v2 from '../../models/arm64-nvhe/policies/arm64-dirty-2015-v2.js';
import owner2025 from '../../models/arm64-nvhe/policies/arm64-owner-2025.js';
import { VCPU_DEBUG_HOST_OWNED } from '../../models/arm64-nvhe/policies/debug-owner.js';
import eager from '../../models/arm64-nvhe/policies/eager.js';
import { __debug_restore_state } from '../../models/arm64-nvhe/policies/hyp.js';
import { MDCR_EL2_TDE } from '../../models/arm64-nvhe/registers.js';
import { invariantsFor } from '../../properties/suites.js';
import { definePolicy, type Hooks, PolicyScopeError } from '../../src/engine/policy.js';
import { expectPolicy } from '../../src/expect-policy.js';
import { check, makeExecutor } from '../../src/searches/check.js';
import { explore } from '../../src/searches/explore.js';
import { cli } from '../cli-harness.js';

const invariants = invariantsFor('arm64-nvhe');
const hooks = owner2025.hooks as Required<Hooks<Arm64Vcpu, Arm64Host>>;
const mutant = (name: string, override: Hooks<Arm64Vcpu, Arm64Host>) =>
  definePolicy<Arm64Vcpu, Arm64Host>({ name, arch: 'arm64-nvhe', hooks: { ...hooks, ...override } });
const gdb = { gdb: 1 };

describe('arm64-owner-2025 on arm64-nvhe with userspace debugging', () => {
  it('holds on 1000 interleavings (seed 1), also with two vCPUs on one CPU', () => {
    for (const config of [gdb, { gdb: 1, cpus: 1, vcpus: 2 }]) {
      const r = check(owner2025, { arch: arm64Nvhe, invariants, config, seed: 1, runs: 1000 });
      expect(r.verdict, r.violation?.message).toBe('held');
    }
  });

  it('holds for every interleaving of at most 4 events', () => {
    const r = explore(owner2025, { arch: arm64Nvhe, invariants, config: gdb, depth: 4 });
    expect(r.verdict, r.violation?.message).toBe('held');
  });

  it("takes the HOST_OWNED path: userspace's request makes the next vcpu_load hand the registers to the host, with TDE", () => {
    const seen: number[] = [];
    const spy = mutant('spy', {
      guestEnter(k) {
        if (k.vcpu.debugOwner === VCPU_DEBUG_HOST_OWNED) seen.push(k.vcpu.mdcrEl2 & MDCR_EL2_TDE);
        hooks.guestEnter(k);
      },
    });
    expect(check(spy, { arch: arm64Nvhe, invariants, config: gdb, seed: 1, runs: 200 }).verdict).toBe('held');
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((tde) => tde === MDCR_EL2_TDE)).toBe(true);
  });
});

describe('slips in the HOST_OWNED path are found under --gdb 1, not without it', () => {
  it.each([
    [
      // __debug_switch_to_guest_common loading the guest's own vcpu_debug_state, not external_debug_state.
      "a world switch that loads the guest's own breakpoints while userspace debugs",
      mutant('guest-regs-while-host-owned', {
        guestEnter(k) {
          hooks.guestEnter(k);
          if (k.vcpu.debugOwner === VCPU_DEBUG_HOST_OWNED) __debug_restore_state(k, k.vcpu.debugState, k.vcpu.ctxt);
        },
      }),
    ],
    [
      // kvm_arm_setup_mdcr_el2 without `if (vcpu->guest_debug) vcpu->arch.mdcr_el2 |= MDCR_EL2_TDE`:
      // userspace's breakpoint and step exceptions go to the guest's EL1.
      'kvm_arm_setup_mdcr_el2 forgetting TDE',
      mutant('no-tde', {
        vcpuLoad(k) {
          hooks.vcpuLoad(k);
          k.vcpu.mdcrEl2 &= ~MDCR_EL2_TDE;
        },
      }),
    ],
  ] as const)('finds %s', (_slip, policy) => {
    const found = check(policy, { arch: arm64Nvhe, invariants, config: gdb, seed: 1, runs: 2000 });
    expect(found.verdict, 'check --gdb 1').toBe('violated');
    expect(['userspace-debug-honored', 'host-breakpoints-quiet-in-guest', 'debug-status-consumed']).toContain(found.violation?.invariant);
    const shortest = explore(policy, { arch: arm64Nvhe, invariants, config: gdb, depth: 5 });
    expect(shortest.verdict, 'explore --gdb 1').toBe('violated');
    // Without userspace debugging the path never runs.
    expect(check(policy, { arch: arm64Nvhe, invariants, seed: 1, runs: 1000 }).verdict).toBe('held');
    expect(explore(policy, { arch: arm64Nvhe, invariants, depth: 4 }).verdict).toBe('held');
    // The unmutated policy holds on the traces that found the slip.
    for (const trace of [found.trace, shortest.trace]) expectPolicy(owner2025).toHoldOn(trace, { config: gdb });
  });
});

describe('under --gdb 1: the eager baseline has no KVM_SET_GUEST_DEBUG, the 2015 transliterations leave 4.5s out', () => {
  it('eager, the baseline, is found wanting (seed 1): userspace breakpoint is never loaded', () => {
    const r = check(eager, { arch: arm64Nvhe, invariants, config: gdb, seed: 1 });
    expect(r.violation?.invariant, r.violation?.message).toBe('userspace-debug-honored');
  });

  it.each([
    ['arm64-dirty-2015', dirty2015],
    ['arm64-dirty-2015-v2', dirty2015v2],
  ] as const)('%s gives no verdict: gdb is outside its scope (4.5 had the ioctl, through debug_ptr)', (_name, policy) => {
    expect(() => check(policy, { arch: arm64Nvhe, invariants, config: gdb, seed: 1 })).toThrow(PolicyScopeError);
  });
});

describe('the invariants of userspace debugging on arm64-nvhe need --gdb 1', () => {
  it('are not checked by default without it, and naming one there is an error, not a vacuous hold', () => {
    expect(invariantsFor('arm64-nvhe').map((i) => i.name)).toContain('userspace-debug-honored');
    const named = { invariants: ['userspace-debug-honored'], runs: 5, seed: 1 };
    expect(() => expectPolicy(owner2025).toHold(named)).toThrow(/applies to arm64-nvhe only with gdb: 1/);
    expectPolicy(owner2025).toHold({ ...named, config: gdb });
  });
});

describe("a userspace breakpoint's exit ends KVM_RUN (kvm_handle_guest_debug: KVM_EXIT_DEBUG, return 0)", () => {
  // The hit is routed to EL2 by MDCR_EL2.TDE; handle_exit returns 0 for every breakpoint and watchpoint
  // EC, so the vCPU enters again only through a new KVM_RUN (vcpu_load), as after a step exit.
  const hit = [
    { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
    { event: 'VMM_SET_GUEST_DEBUG', vcpu: 0, enable: 'on', useHw: 'on', singleStep: 'off', bps: [0x1000] },
    { event: 'GUEST_ENTER', vcpu: 0 },
    { event: 'GUEST_EXECUTE', vcpu: 0, addr: 0x1000, el: 'el1' },
  ];
  const again = { event: 'GUEST_ENTER', vcpu: 0 };
  it.each([
    ['arm64-nvhe/arm64-owner-2025', gdb],
    ['arm64-vhe/arm64-owner-2025', {}],
  ] as const)('%s: no re-entry from the loop after the hit', (policy, config) => {
    expect(() => expectPolicy(policy).toHoldOn([...hit, again], { config: { ...config, gdb: 1 } })).toThrow(
      /stops applying at step 5 of 5, GUEST_ENTER/,
    );
    expectPolicy(policy).toHoldOn([...hit, { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 }, again], { config: { ...config, gdb: 1 } });
  });
});

describe("the reports name each era's world switch", () => {
  it('__kvm_vcpu_run() (6.14) with --gdb 1, __guest_run() (4.5) without', () => {
    const entry = (config: Record<string, number>) => makeExecutor(owner2025, arm64Nvhe, [], config).model.kernelEvents?.GUEST_ENTER;
    expect(entry(gdb)).toMatch(/__kvm_vcpu_run\(\) at EL2/);
    expect(entry({})).toMatch(/__guest_run\(\) at EL2/);
  });
});

describe('a policy whose era defaults to --gdb 1 is checked for userspace debugging without the flag', () => {
  // A user's 6.14-era policy with `defaults: { gdb: 1 }`: the invariants of userspace debugging
  // apply as they would with `--gdb 1` (they were left out, a vacuous hold, when only flags counted).
  const slip = definePolicy<Arm64Vcpu, Arm64Host>({
    name: 'guest-regs-while-host-owned',
    arch: 'arm64-nvhe',
    defaults: { gdb: 1 },
    hooks: {
      ...hooks,
      guestEnter(k) {
        hooks.guestEnter(k);
        if (k.vcpu.debugOwner === VCPU_DEBUG_HOST_OWNED) __debug_restore_state(k, k.vcpu.debugState, k.vcpu.ctxt);
      },
    },
  });

  it('expectPolicy finds the slip', () => {
    expect(() => expectPolicy(slip).toHold({ runs: 2000, seed: 1 })).toThrow(/userspace-debug-honored/);
  });

  it('the CLI checks those invariants and finds it', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'worldswitch-gdb-default-')), 'gdb-default.ts');
    const path = (p: string) => JSON.stringify(join(process.cwd(), p));
    writeFileSync(
      file,
      [
        `import { definePolicy } from ${path('src/engine/policy.js')};`,
        `import owner from ${path('models/arm64-nvhe/policies/arm64-owner-2025.js')};`,
        "export default definePolicy({ name: 'owner-gdb', arch: 'arm64-nvhe', defaults: { gdb: 1 }, hooks: owner.hooks });",
        '',
      ].join('\n'),
    );
    const r = await cli('check', file, '--runs', '50');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/invariants: .*userspace-debug-honored.*debug-status-consumed/);
    expect(r.out).toMatch(/gdb=1/);
  });
});
