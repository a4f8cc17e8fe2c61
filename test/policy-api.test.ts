/**
 * The policy authors' API beyond the hooks (issue 15): register id <-> (kind, slot) helpers, the
 * scratch words per vCPU and per CPU, and arm64 KVM_SET_GUEST_DEBUG carrying the
 * dbg_bcr/dbg_bvr/dbg_wcr/dbg_wvr arrays as the real ioctl does.
 */
import { describe, expect, it } from 'vitest';
import { DBG_REG_KINDS, DBGBCR, DBGBVR, DBGWCR, DBGWVR, dbgRegId, dbgRegOf, MDSCR_EL1 } from '../models/arm64-nvhe/api.js';
import { arm64Nvhe } from '../models/arm64-nvhe/model.js';
import nvheEager from '../models/arm64-nvhe/policies/eager.js';
import { GDB_BCR, KVM_ARM_MAX_DBG_REGS } from '../models/arm64-vhe/api.js';
import { arm64Vhe } from '../models/arm64-vhe/model.js';
import owner2025 from '../models/arm64-vhe/policies/arm64-owner-2025.js';
import { architectures, policies } from '../models/catalog.js';
import { DR7, type SvmVcpu, type X86Host } from '../models/x86/api.js';
import { x86Svm } from '../models/x86/model.js';
import { invariantsFor } from '../properties/suites.js';
import { hooksNeverCalled } from '../src/cli/selection.js';
import { HOST_SCRATCH_WORDS, SCRATCH_WORDS } from '../src/engine/execute.js';
import type { ArchModel } from '../src/engine/model.js';
import { definePolicy, type GuestDebug, type Hooks, type Policy } from '../src/engine/policy.js';
import { check, makeExecutor } from '../src/searches/check.js';
import { cli } from './cli-harness.js';

describe('register ids', () => {
  it('dbgRegOf names the bank and slot (CRm) of every breakpoint/watchpoint register, and dbgRegId inverts it', () => {
    const banks = { bvr: DBGBVR, bcr: DBGBCR, wvr: DBGWVR, wcr: DBGWCR };
    for (const kind of DBG_REG_KINDS) {
      for (let n = 0; n < 16; n++) {
        expect(dbgRegOf(banks[kind](n))).toEqual({ kind, n });
        expect(dbgRegId(kind, n)).toBe(banks[kind](n));
      }
    }
    expect(dbgRegOf(MDSCR_EL1)).toBeUndefined();
    expect(dbgRegOf(-1)).toBeUndefined();
  });
});

describe('scratch words', () => {
  it(`gives every vCPU ${SCRATCH_WORDS} words and every CPU ${HOST_SCRATCH_WORDS} words of its own, kept per CPU`, () => {
    const hooks = nvheEager.hooks as Hooks<{ scratch: Float64Array }, { scratch: Float64Array }>;
    const policy = definePolicy<{ scratch: Float64Array }, { scratch: Float64Array }>({
      name: 'scratch-user',
      arch: 'arm64-nvhe',
      hooks: {
        ...hooks,
        vcpuLoad(k) {
          if (k.vcpu.scratch.length !== SCRATCH_WORDS || k.host.scratch.length !== HOST_SCRATCH_WORDS) k.bug('scratch sizes');
          k.vcpu.scratch[SCRATCH_WORDS - 1] = (k.vcpu.scratch[SCRATCH_WORDS - 1] as number) + 1;
          // Per-CPU state: each CPU remembers its own number in its last word.
          k.host.scratch[HOST_SCRATCH_WORDS - 1] = k.cpu + 1;
        },
        guestEnter(k) {
          if (k.host.scratch[HOST_SCRATCH_WORDS - 1] !== k.cpu + 1) k.bug(`cpu${k.cpu}'s scratch holds another CPU's value`);
          hooks.guestEnter?.(k);
        },
      },
    });
    const r = check(policy, { arch: arm64Nvhe, invariants: invariantsFor('arm64-nvhe'), seed: 1, runs: 300, config: { cpus: 3 } });
    expect(r.verdict).toBe('held');
  });
});

describe('x86-svm: the VMCB by its own name', () => {
  it('a policy typed SvmVcpu reaches the VMCB as k.vcpu.vmcb, the same words as k.vcpu.vmcs', () => {
    const svmEager = policies.find((p) => p.arch === 'x86-svm' && p.name === 'eager') as Policy;
    const hooks = svmEager.hooks as Hooks<SvmVcpu, X86Host>;
    let entries = 0;
    const policy = definePolicy<SvmVcpu, X86Host>({
      name: 'vmcb-by-name',
      arch: 'x86-svm',
      hooks: {
        ...hooks,
        guestEnter(k) {
          if (k.vcpu.vmcb !== k.vcpu.vmcs || k.vcpu.vmcb[DR7] !== k.vcpu.vmcs[DR7]) k.bug('vmcb is not the VMCB');
          entries++;
          return hooks.guestEnter?.(k);
        },
      },
    });
    const r = check(policy, { arch: x86Svm, invariants: invariantsFor('x86-svm'), seed: 1, runs: 300 });
    expect(r.verdict, r.violation?.message).toBe('held');
    expect(entries).toBeGreaterThan(0);
  });
});

describe('arm64 KVM_SET_GUEST_DEBUG', () => {
  it('carries struct kvm_guest_debug_arch: userspace breakpoint in dbg_bcr[0]/dbg_bvr[0], 16 entries per array', () => {
    const seen: GuestDebug[] = [];
    const inner = owner2025.hooks.setGuestDebug;
    const policy = definePolicy({
      ...owner2025,
      name: 'records-set-guest-debug',
      hooks: {
        ...owner2025.hooks,
        setGuestDebug(k, dbg) {
          seen.push(dbg);
          return inner?.(k as never, dbg);
        },
      },
    });
    const r = check(policy, { arch: arm64Vhe, invariants: invariantsFor('arm64-vhe'), seed: 1, runs: 200, config: { gdb: 1 } });
    expect(r.verdict).toBe('held');
    const withBp = seen.filter((d) => d.useHw && d.bps.length > 0);
    expect(withBp.length).toBeGreaterThan(0);
    for (const d of seen) for (const a of [d.dbg_bcr, d.dbg_bvr, d.dbg_wcr, d.dbg_wvr]) expect(a).toHaveLength(KVM_ARM_MAX_DBG_REGS);
    for (const d of withBp) {
      expect(d.dbg_bvr?.[0]).toBe(d.bps[0]);
      expect(d.dbg_bcr?.[0]).toBe(GDB_BCR);
    }
  });
});

describe('hooks wherever the hooks object keeps them', () => {
  // Each calls BUG(): a hook that runs is a policy-total finding; one dropped on the way would hold.
  const bug = (k: { bug(m: string): never }) => k.bug('this hook ran');
  class ClassHooks {
    vcpuLoad(k: { bug(m: string): never }) {
      bug(k);
    }
  }
  const nonEnumerable = Object.defineProperty({ ...nvheEager.hooks }, 'vcpuLoad', { value: bug, enumerable: false });
  it.each([
    ['a class method', new ClassHooks()],
    ['a method of an object whose prototype is another hooks object', Object.assign(Object.create(new ClassHooks()), nvheEager.hooks)],
    ['a non-enumerable property', nonEnumerable],
  ])('%s is a hook that runs', (_what, hooks) => {
    const policy = definePolicy({ name: 'hooks-where', arch: 'arm64-nvhe', summary: '', hooks: hooks as Hooks });
    expect(typeof policy.hooks.vcpuLoad).toBe('function');
    const r = check(policy, { arch: arm64Nvhe, invariants: invariantsFor('arm64-nvhe'), runs: 50 });
    expect(r.verdict).toBe('violated');
    expect(r.violation?.message).toBe('BUG() in vcpuLoad: this hook ran');
  });

  it('a class method that is not a function is refused as a hook', () => {
    class Bad {
      get trap() {
        return 5;
      }
    }
    expect(() => definePolicy({ name: 'bad', arch: 'arm64-nvhe', summary: '', hooks: new Bad() as unknown as Hooks })).toThrow(
      'Policy "bad": hook "trap" is not a function.',
    );
  });
});

describe('model options', () => {
  it('each architecture declares each option once (list, --help and the trace config name it once)', () => {
    for (const arch of architectures) {
      const names = arch.options.map((o) => o.name);
      expect(names, arch.id).toEqual([...new Set(names)]);
    }
  });
});

describe('hooks an architecture never calls', () => {
  it('no built-in policy has one under its default model options, but for the hooks a 0/1 option enables', () => {
    for (const p of policies) {
      const arch = architectures.find((a) => a.id === p.arch) as ArchModel;
      // arm64-nvhe's arm64-owner-2025 (and what builds on it) has setGuestDebug, called with --gdb 1.
      // Switches the policy's scope leaves off (its code does not model them) stay off.
      const inScope = (name: string): boolean => p.scope?.[name]?.values.includes(1) ?? true;
      const switches = arch.options.filter((o) => o.min === 0 && o.max === 1 && o.default === 0 && inScope(o.name)).map((o) => o.name);
      const all = Object.fromEntries(switches.map((name) => [name, 1]));
      const never = hooksNeverCalled(makeExecutor(p, arch, []));
      const neverEven = hooksNeverCalled(makeExecutor(p, arch, [], all));
      expect([p.name, never.filter((h) => neverEven.includes(h))]).toEqual([p.name, []]);
      if (p.arch === 'arm64-nvhe' && p.name === 'arm64-owner-2025') expect(never).toEqual(['setGuestDebug']);
    }
  });

  it('a policy file with one gets a note on stderr naming them (its code is never checked), and the verdict stands', async () => {
    const r = await cli('check', 'test/fixtures/uncalled-hooks.ts', '--runs', '20');
    expect(r.code).toBe(0);
    expect(r.err).toBe(
      'worldswitch: note: arm64-nvhe/uncalled-hooks has hooks fastpath, runEnter, which arm64-nvhe never calls here: that code is not checked\n',
    );
    expect(r.out).toContain('arm64-nvhe/uncalled-hooks: held');
  });
});

describe('memory areas closed to new properties', () => {
  const areas = (p: Parameters<typeof makeExecutor>[0]) =>
    (makeExecutor(p, arm64Nvhe, []) as unknown as { vcpuViews: { ctxt: Float64Array }[] }).vcpuViews[0]?.ctxt as Float64Array;
  it("are a user policy's (a write under no index is a finding), and not a built-in one's (V8's faster open arrays)", () => {
    const user = definePolicy({ name: 'user', arch: 'arm64-nvhe', summary: '', hooks: nvheEager.hooks });
    expect(Object.isExtensible(areas(user))).toBe(false);
    expect(Object.isExtensible(areas(policies.find((p) => p.name === 'eager' && p.arch === 'arm64-nvhe') as typeof user))).toBe(true);
  });
});
