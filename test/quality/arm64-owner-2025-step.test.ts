/**
 * Single-step on arm64-vhe with the guest stepping its own code (`--guest-step 1`) and the step
 * exception split from its stepped instruction: the 6.14 design keeps both the guest's step state
 * and userspace's across interrupts, load and put; two slips in it are found by the engine.
 */
import { describe, expect, it } from 'vitest';
import { KVM_GUESTDBG_SINGLESTEP, kvm_vcpu_load_debug, kvm_vcpu_put_debug } from '../../models/arm64-nvhe/policies/debug-owner.js';
import { DBG_SPSR_SS } from '../../models/arm64-nvhe/registers.js';
import type { Arm64VheHost, Arm64VheVcpu } from '../../models/arm64-vhe/model.js';
import { arm64Vhe, resetSysRegs } from '../../models/arm64-vhe/model.js';
import owner2025, { vheOwnerHooks } from '../../models/arm64-vhe/policies/arm64-owner-2025.js';
import { invariantsFor } from '../../properties/suites.js';
import { definePolicy, type Hooks } from '../../src/engine/policy.js';
import { eventFromJSON, type TraceEvent } from '../../src/engine/trace.js';
import { expectPolicy } from '../../src/expect-policy.js';
import { check, makeExecutor } from '../../src/searches/check.js';
import { explore } from '../../src/searches/explore.js';

const invariants = invariantsFor('arm64-vhe');
const hooks = owner2025.hooks as Required<Hooks<Arm64VheVcpu, Arm64VheHost>>;
const mutant = (name: string, override: Hooks<Arm64VheVcpu, Arm64VheHost>) =>
  definePolicy<Arm64VheVcpu, Arm64VheHost>({ name, arch: 'arm64-vhe', hooks: { ...hooks, ...override } });
const config = { gdb: 1, 'guest-step': 1 };

/** Every put (preemption, KVM_SET_GUEST_DEBUG, the OS Lock, reset) saves userspace's step state but forgets to hand the guest its own back. */
const putClobbersGuestSs = definePolicy<Arm64VheVcpu, Arm64VheHost>({
  name: 'put-clobbers-guest-ss',
  arch: 'arm64-vhe',
  hooks: vheOwnerHooks({
    kvm_vcpu_load_debug,
    kvm_vcpu_put_debug(k, vhe) {
      const stepping = (k.vcpu.guestDebug & KVM_GUESTDBG_SINGLESTEP) !== 0;
      const ss = k.vcpu.pstate & DBG_SPSR_SS;
      kvm_vcpu_put_debug(k, vhe);
      if (stepping) k.vcpu.pstate = (k.vcpu.pstate & ~DBG_SPSR_SS) | ss;
    },
  }),
});

describe('arm64-owner-2025 keeps every step state', () => {
  it.each([
    ['the guest stepping itself', { 'guest-step': 1 }],
    ['userspace single-stepping too', config],
    ['two vCPUs on one CPU', { ...config, cpus: 1, vcpus: 2 }],
    ['the OS Lock as well', { ...config, oslock: 1 }],
  ])('holds with %s on 5000 interleavings (seed 1)', (_what, cfg) => {
    const r = check(owner2025, { arch: arm64Vhe, invariants, config: cfg, seed: 1, runs: 5000 });
    expect(r.verdict, r.violation?.message).toBe('held');
  });

  it('holds for every interleaving of at most 4 events', { timeout: 120_000 }, () => {
    const r = explore(owner2025, { arch: arm64Vhe, invariants, depth: 4, config });
    expect(r.verdict, r.violation?.message).toBe('held');
  });
});

describe('slips in the step handling are found', () => {
  it("finds a kvm_vcpu_put_debug that leaves userspace's PSTATE.SS to the guest (the guest's own step state clobbered)", () => {
    // The guest resumes with userspace's PSTATE.SS.
    const policy = putClobbersGuestSs;
    // The guest steps its own EL0 code and is Active-pending (its step exception is due before its
    // next instruction) when userspace single-steps it and stops: the guest must resume Active-pending,
    // and resumes Active-not-pending (PSTATE.SS = 1), so its next instruction runs unreported.
    const trace: Readonly<Record<string, string | number | number[]>>[] = [
      { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
      { event: 'GUEST_ENTER', vcpu: 0 },
      { event: 'GUEST_WRITE', vcpu: 0, reg: 'MDSCR_EL1', value: 1 },
      { event: 'GUEST_ENTER', vcpu: 0 },
      { event: 'GUEST_ERET', vcpu: 0, ss: '1' },
      { event: 'GUEST_EXECUTE', vcpu: 0, addr: 0x1000, el: 'el0' },
      { event: 'GUEST_EXIT', vcpu: 0, reason: 'irq' },
      { event: 'RUN_RETURN', vcpu: 0 },
      { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
      { event: 'VMM_SET_GUEST_DEBUG', vcpu: 0, enable: 'on', useHw: 'off', singleStep: 'on', bps: [] },
      { event: 'VMM_SET_GUEST_DEBUG', vcpu: 0, enable: 'off', useHw: 'off', singleStep: 'off', bps: [] },
      { event: 'GUEST_ENTER', vcpu: 0 },
    ];
    expectPolicy(owner2025).toHoldOn(trace, { config });
    expect(() => expectPolicy(policy).toHoldOn(trace, { config })).toThrow(
      /guest-step-preserved: vcpu0 runs on cpu0 with PSTATE.SS = 1, but its own step state is 0/,
    );
    // A guest that never stepped itself and has its MDSCR_EL1.SS clear gets PSTATE.SS = 0 from KVM's
    // ERET whatever SPSR_EL2.SS holds (DebugExceptionReturnSS). Until the 5.10 era audit this 4-event
    // trace was reported as the mutant's counterexample; with the guest's step enabled, see below.
    expectPolicy(policy).toHoldOn(
      [
        { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
        { event: 'VMM_SET_GUEST_DEBUG', vcpu: 0, enable: 'on', useHw: 'off', singleStep: 'on', bps: [] },
        { event: 'VMM_SET_GUEST_DEBUG', vcpu: 0, enable: 'off', useHw: 'off', singleStep: 'off', bps: [] },
        { event: 'GUEST_ENTER', vcpu: 0 },
      ],
      { config: { gdb: 1 } },
    );
  });

  it('finds an exit that takes an interrupt in Active-pending for a completed step (the step is lost)', () => {
    // An interrupt between the stepped instruction and its step exception: the exit marks the
    // step done (PSTATE.SS = 1, as pre-6.0 kernels did at every entry), so the next instruction runs unreported.
    const policy = mutant('irq-loses-step', {
      guestExit(k, reason) {
        hooks.guestExit(k, reason);
        if (reason === 'irq' && k.vcpu.guestDebug & KVM_GUESTDBG_SINGLESTEP) k.vcpu.pstate |= DBG_SPSR_SS;
      },
    });
    const r = check(policy, { arch: arm64Vhe, invariants, config: { gdb: 1 }, seed: 1, runs: 5000 });
    expect(r.violation?.invariant, r.violation?.message).toBe('debug-status-consumed');
    expect(r.violation?.message).toMatch(/never reached userspace/);
    expect(r.trace.map((e) => e.event)).toContain('GUEST_EXIT');
  });
});

describe('a vCPU reset restarts the guest at the reset PSTATE (kvm_reset_vcpu: SS = 0, no step of its own armed)', () => {
  // The guest arms a step of its own EL0 code (MDSCR_EL1.SS, ERET with SPSR_EL1.SS), KVM_RUN
  // returns, userspace resets the vCPU and runs it again: the guest restarts in its kernel.
  const trace: Readonly<Record<string, string | number>>[] = [
    { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
    { event: 'GUEST_ENTER', vcpu: 0 },
    { event: 'GUEST_WRITE', vcpu: 0, reg: 'MDSCR_EL1', value: 1 },
    { event: 'GUEST_ENTER', vcpu: 0 },
    { event: 'GUEST_ERET', vcpu: 0, ss: '1' },
    { event: 'GUEST_EXIT', vcpu: 0, reason: 'irq' },
    { event: 'RUN_RETURN', vcpu: 0 },
    { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
    { event: 'VCPU_RESET', vcpu: 0 },
    { event: 'GUEST_ENTER', vcpu: 0 },
    { event: 'GUEST_WRITE', vcpu: 0, reg: 'MDSCR_EL1', value: 1 },
    { event: 'GUEST_ENTER', vcpu: 0 },
    { event: 'GUEST_EXECUTE', vcpu: 0, addr: 0x1000, el: 'el0' },
  ];
  const stepping = { config: { 'guest-step': 1 } };

  it('6.17 and 6.1-6.13 hold: PSTATE is reset between the put and the load', () => {
    expectPolicy(owner2025).toHoldOn(trace, stepping);
    expectPolicy('arm64-vhe/arm64-guestdbg-2022').toHoldOn(trace, stepping);
  });

  it('a reset that keeps the old PSTATE.SS is not reported: the reset guest never steps itself before its own ERET', () => {
    const keepsPstate = mutant('reset-keeps-pstate', {
      vcpuReset(k) {
        hooks.vcpuPut(k);
        const pstate = k.vcpu.pstate;
        resetSysRegs(k.vcpu);
        k.vcpu.pstate = pstate;
        hooks.vcpuLoad(k);
      },
    });
    // The reset guest restarts in its kernel (PSTATE.D set, MDSCR_EL1.SS clear): KVM's ERET gives it
    // PSTATE.SS = 0 whatever SPSR_EL2.SS holds (DebugExceptionReturnSS), so the kept bit is never seen.
    // Until the 5.10 era audit guest-step-preserved judged a guest that never armed a step by
    // SPSR_EL2.SS even with its step disabled, and reported this mutant at step 10 of this trace.
    expectPolicy(keepsPstate).toHoldOn(trace, stepping);
  });
});

describe('a guest that never armed a step, resumed with a stale PSTATE.SS, is judged at its next instruction (DebugExceptionReturnSS)', () => {
  // The guest sets its own MDSCR_EL1.SS (its EL0 step enabled, none armed); KVM_RUN returns, userspace
  // single-steps the vCPU and stops: the mutant's put leaves userspace's PSTATE.SS = 1 for KVM's ERET.
  const resumed: TraceEvent[] = [
    { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
    { event: 'GUEST_ENTER', vcpu: 0 },
    { event: 'GUEST_WRITE', vcpu: 0, reg: 'MDSCR_EL1', value: 1 },
    { event: 'GUEST_ENTER', vcpu: 0 },
    { event: 'GUEST_EXIT', vcpu: 0, reason: 'irq' },
    { event: 'RUN_RETURN', vcpu: 0 },
    { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
    { event: 'VMM_SET_GUEST_DEBUG', vcpu: 0, enable: 'on', useHw: 'off', singleStep: 'on', bps: 'none' },
    { event: 'VMM_SET_GUEST_DEBUG', vcpu: 0, enable: 'off', useHw: 'off', singleStep: 'off', bps: 'none' },
    { event: 'GUEST_ENTER', vcpu: 0 },
  ];
  const el0: TraceEvent = { event: 'GUEST_EXECUTE', vcpu: 0, addr: 0x1000, el: 'el0' };
  const el1: TraceEvent = { event: 'GUEST_EXECUTE', vcpu: 0, addr: 0x1000, el: 'el1' };

  /** Replays `trace` under the mutant: the violation, and SPSR_EL2.SS (the guest's live PSTATE.SS) at the end. */
  function replay(trace: TraceEvent[]): { message: string | undefined; ss: number } {
    const x = makeExecutor(putClobbersGuestSs, arm64Vhe, invariants, config);
    for (const e of trace) {
      const ev = eventFromJSON(x, e);
      if (typeof ev === 'string') throw new Error(ev);
      expect(x.kinds[ev[0] as number]?.accepts(x, ev), JSON.stringify(e)).toBe(true);
      x.apply(ev);
      if (x.violation) break;
    }
    const spsr = x.model.registers.names.indexOf('SPSR_EL2');
    return { message: x.violation?.message, ss: (x.world.hw[spsr] as number) & DBG_SPSR_SS };
  }

  it('holds at the entry: the guest may be in its kernel, where the ERET gives PSTATE.SS = 0', () => {
    const r = replay(resumed);
    expect(r.message).toBeUndefined();
    expect(r.ss).toBe(DBG_SPSR_SS);
  });

  it('an EL1 instruction next: the guest was in its kernel, the stale bit is cleared, and its later EL0 code is not stepped', () => {
    const r = replay([...resumed, el1, el0]);
    expect(r.message).toBeUndefined();
    expect(r.ss).toBe(0);
    expect(replay([...resumed, el1]).ss).toBe(0);
  });

  it('an EL0 instruction next is found: it would be stepped though the guest never armed a step', () => {
    const r = replay([...resumed, el0]);
    expect(r.message).toBe(
      'vcpu0 runs on cpu0 with PSTATE.SS = 1, but its own step state is 0: its EL0 instruction would be stepped though it never armed a step',
    );
    expect(() => expectPolicy(putClobbersGuestSs).toHoldOn([...resumed, el0], { config })).toThrow(/guest-step-preserved/);
    expectPolicy(owner2025).toHoldOn([...resumed, el0], { config });
  });

  it('the same at a GUEST_ERET next (an EL1 instruction): cleared, not reported', () => {
    expect(replay([...resumed, { event: 'GUEST_ERET', vcpu: 0, ss: '0' }, el0])).toEqual({ message: undefined, ss: 0 });
  });
});
