/** The x86 lifecycle machine and what the CPU does at VM entry and exit, run through the executor. */
import { describe, expect, it } from 'vitest';
import { arm64NvheLifecycle } from '../models/arm64-nvhe/lifecycle.machine.js';
import { VCPU_AREAS } from '../models/x86/layout.js';
import { x86Lifecycle } from '../models/x86/lifecycle.machine.js';
import { x86Svm, x86Vmx } from '../models/x86/model.js';
import { x86EagerSvm, x86EagerVmx } from '../models/x86/policies/eager.js';
import { x86Lazy2014Svm, x86Lazy2014Vmx } from '../models/x86/policies/x86-lazy-2014.js';
import {
  CPU_BASED_MOV_DR_EXITING,
  DEBUGCTL,
  DEBUGCTLMSR_FREEZE_IN_SMM,
  DEBUGCTLMSR_LBR,
  DR,
  DR_CONTROLS,
  DR6,
  DR7,
  DR7_GD,
  HSAVE_DEBUGCTL,
  LBR_CTL_ENABLE_MASK,
  REGISTER_COUNT,
  SVM_DR_INTERCEPTS,
} from '../models/x86/registers.js';
import { invariantsFor } from '../properties/suites.js';
import type { Executor } from '../src/engine/execute.js';
import { compileLifecycle, HOOK_NAMES } from '../src/engine/lifecycle.js';
import { makeExecutor } from '../src/searches/check.js';
import { expectTableAgreesWithMachine } from './lifecycle-agreement.js';

const table = compileLifecycle(x86Lifecycle);
const E = table.events.length;
const at = (state: string, event: string): number => table.states.indexOf(state) * E + table.event(event);
const R = REGISTER_COUNT;

/** Applies the model event `type` with operands `ops` (after the kind). */
function apply(x: Executor, type: string, ...ops: number[]): void {
  const ev = new Float64Array(6);
  ev[0] = x.kinds.findIndex((k) => k.type === type);
  ops.forEach((o, i) => {
    ev[i + 1] = o;
  });
  x.apply(ev);
}

describe('compiled x86 lifecycle table', () => {
  it('agrees with the XState machine on enabledness and target state along random walks', () => {
    expectTableAgreesWithMachine(x86Lifecycle, 20260110);
  });

  it('re-enters from a fast-path exit without the entry or exit path: guest -> fastpath -> guest', () => {
    expect(table.states[table.next[at('guest', 'FASTPATH_EXIT')] as number]).toBe('fastpath');
    expect(HOOK_NAMES[table.hook[at('guest', 'FASTPATH_EXIT')] as number]).toBe('fastpath');
    expect(table.states[table.next[at('fastpath', 'REENTERED')] as number]).toBe('guest');
    expect(table.next[at('fastpath', 'EXITED')]).toBe(-1);
    expect(table.context[table.states.indexOf('fastpath')]).toBe(1); // hyp: interrupts off, no host debug user runs
  });

  it('leaves the loop from a fast path that exits to userspace through the exit path: fastpath -> exiting -> loaded', () => {
    // EXIT_FASTPATH_EXIT_USERSPACE (6.12+): the code after vcpu_enter_guest's loop (guestExit), then KVM_RUN returns.
    expect(table.states[table.next[at('fastpath', 'FASTPATH_EXIT_USERSPACE')] as number]).toBe('exiting');
    expect(HOOK_NAMES[table.hook[at('fastpath', 'FASTPATH_EXIT_USERSPACE')] as number]).toBe('guestExit');
    expect(table.states[table.next[at('exiting', 'EXITED')] as number]).toBe('loaded');
    // Only from the fast path: a guest exits by GUEST_EXIT or TRAP.
    expect(table.next[at('guest', 'FASTPATH_EXIT_USERSPACE')]).toBe(-1);
    // Architectures without a fast path have neither the state nor the event.
    const arm64 = compileLifecycle(arm64NvheLifecycle);
    expect(arm64.states).not.toContain('fastpath');
    expect(arm64.events).not.toContain('FASTPATH_EXIT_USERSPACE');
  });

  it('without an in-loop re-entry (5.10 SVM) goes on through the exit path and handle_exit: fastpath -> exiting -> trapped', () => {
    // EXIT_FASTPATH_EXIT_HANDLED: vcpu_enter_guest's code after kvm_x86_ops.run (guestExit) ...
    expect(table.states[table.next[at('fastpath', 'FASTPATH_EXIT_HANDLED')] as number]).toBe('exiting');
    expect(HOOK_NAMES[table.hook[at('fastpath', 'FASTPATH_EXIT_HANDLED')] as number]).toBe('guestExit');
    // ... then svm.c handle_exit's `if (exit_fastpath != EXIT_FASTPATH_NONE) return 1;`: no handler, no hook.
    expect(table.states[table.next[at('exiting', 'FASTPATH_HANDLED')] as number]).toBe('trapped');
    expect(table.hook[at('exiting', 'FASTPATH_HANDLED')]).toBe(-1);
    expect(table.context[table.states.indexOf('trapped')]).toBe(0); // host: interrupts on again
    // vcpu_run goes round: a full vcpu_enter_guest (guestEnter), not a re-entry inside the loop.
    expect(table.states[table.next[at('trapped', 'GUEST_ENTER')] as number]).toBe('entering');
    expect(HOOK_NAMES[table.hook[at('trapped', 'GUEST_ENTER')] as number]).toBe('guestEnter');
    expect(table.next[at('guest', 'FASTPATH_EXIT_HANDLED')]).toBe(-1);
    expect(table.next[at('fastpath', 'FASTPATH_HANDLED')]).toBe(-1);
    const arm64 = compileLifecycle(arm64NvheLifecycle);
    expect(arm64.events).not.toContain('FASTPATH_EXIT_HANDLED');
    expect(arm64.events).not.toContain('FASTPATH_HANDLED');
  });
});

describe('VMX entry and exit', () => {
  it('loads DR7 and DEBUGCTL from the VMCS at entry, and leaves DR7 = 0x400, DEBUGCTL = 0 at exit', () => {
    const x = makeExecutor(x86Lazy2014Vmx, x86Vmx, []);
    x.reset();
    apply(x, 'HOST_SET_DEBUGCTL', 0, DEBUGCTLMSR_LBR);
    x.load(0, 0);
    x.enter(0);
    expect(x.world.hw[DR7]).toBe(0x400);
    expect(x.world.hw[DEBUGCTL]).toBe(0); // GUEST_IA32_DEBUGCTL
    expect(x.world.hw[DR_CONTROLS]).toBe(CPU_BASED_MOV_DR_EXITING);
    x.guestWrite(0, DR7, 0x401); // MOV-DR exit: handle_dr turns exits off and (re-executed) writes DR7
    x.enter(0);
    expect(x.world.hw[DR7]).toBe(0x401);
    expect(x.world.hw[DR_CONTROLS]).toBe(0);
    apply(x, 'FASTPATH_EXIT', 0);
    expect(x.world.hw[DR7]).toBe(0x401); // saved to GUEST_DR7 and loaded again
    x.exit(0, 0);
    expect(x.world.hw[DR7]).toBe(0x400);
    expect(x.world.hw[DEBUGCTL]).toBe(DEBUGCTLMSR_LBR); // vmx_vcpu_run restores host_debugctl
    expect(x.violation).toBeUndefined();
  });

  it('traps a guest DR access while MOV-DR exiting is on and lets it reach hardware once it is off', () => {
    const x = makeExecutor(x86Lazy2014Vmx, x86Vmx, []);
    x.reset();
    x.load(0, 0);
    x.enter(0);
    x.guestWrite(0, DR(0), 0x2000);
    expect(x.world.hw[DR(0)]).toBe(0); // trapped: emulated into vcpu->arch.db[0]
    x.enter(0);
    expect(x.world.hw[DR(0)]).toBe(0x2000); // WONT_EXIT: eff_db loaded
    x.guestWrite(0, DR(1), 0x1000);
    expect(x.world.hw[R + DR(1)]).toBe(0);
    expect(x.world.hw[DR(1)]).toBe(0x1000); // untrapped
  });
});

describe('INIT (VCPU_RESET) with a trapped MOV DR pending', () => {
  // The vCPU's VMCS/VMCB word of the DR-exit controls (vcpu0.vmcs.DR_CONTROLS).
  const vmcsDrControls = (x: Executor): number => x.world.vcpuMem[VCPU_AREAS.indexOf('vmcs') * R + DR_CONTROLS] as number;
  it.each([
    // svm_vcpu_reset -> init_vmcb(vcpu, init_event) -> set_dr_intercepts(svm), at INIT too.
    ['x86-svm', x86Lazy2014Svm, x86Svm, SVM_DR_INTERCEPTS],
    // vmx_vcpu_reset: init_vmcs only at RESET (__vmx_vcpu_reset); INIT leaves MOV-DR exiting off.
    ['x86-vmx', x86Lazy2014Vmx, x86Vmx, 0],
  ] as const)('on %s, INIT leaves the DR exits as the vendor reset does', (_id, policy, arch, after) => {
    const x = makeExecutor(policy, arch, []);
    x.reset();
    x.load(0, 0);
    x.enter(0);
    x.guestRead(0, DR(0)); // DR exit: exits off, WONT_EXIT, the MOV left to run again
    expect(vmcsDrControls(x)).toBe(0);
    x.put(0);
    x.load(0, 0);
    apply(x, 'VCPU_RESET', 0);
    expect(vmcsDrControls(x)).toBe(after);
    expect(x.violation).toBeUndefined();
  });
});

describe('SVM entry and exit', () => {
  it('switches DR6 and DR7 through the VMCB, leaves DR0-DR3 alone, and KVM switches DEBUGCTL by hand without LBRV', () => {
    const x = makeExecutor(x86EagerSvm, x86Svm, []);
    x.reset();
    apply(x, 'HOST_SET_DEBUGCTL', 0, DEBUGCTLMSR_LBR);
    x.load(0, 0);
    x.enter(0);
    x.guestWrite(0, DR6, 0xffff0ff1);
    x.guestWrite(0, DR(2), 0x1000);
    expect(x.world.hw[DR6]).toBe(0xffff0ff1);
    expect(x.world.hw[DEBUGCTL]).toBe(0); // svm_vcpu_run loads the VMCB's dbgctl by hand (6.14+)
    apply(x, 'FASTPATH_EXIT', 0);
    expect(x.world.hw[DR6]).toBe(0xffff0ff1); // saved to and reloaded from save.dr6
    x.exit(0, 0);
    expect(x.world.hw[DR7]).toBe(0x400);
    expect(x.world.hw[DR6]).toBe(0xffff0ff0); // #VMEXIT gives the host its DR6 back
    expect(x.world.hw[DEBUGCTL]).toBe(DEBUGCTLMSR_LBR); // and KVM its DEBUGCTL
    expect(x.world.hw[DR(2)]).toBe(0); // eager restored the host's
    expect(x.world.vcpuMem[DR(2)]).toBe(0x1000); // vcpu->arch.db[2]
    expect(x.violation).toBeUndefined();
  });
});

describe('IA32_DEBUGCTL the guest runs with', () => {
  it('SVM with LBR virtualisation: the guest WRMSR of LBR turns it on, VMRUN/#VMEXIT switch DEBUGCTL through the VMCB', () => {
    const x = makeExecutor(x86EagerSvm, x86Svm, [], { lbrv: 1 });
    x.reset();
    x.load(0, 0);
    x.enter(0);
    x.guestWrite(0, DEBUGCTL, DEBUGCTLMSR_LBR); // WRMSR exit: save.dbgctl = LBR, svm_update_lbrv
    const virtExt = x.world.vcpuScalar[6] as number; // X86Vcpu.virtExt
    expect(virtExt & LBR_CTL_ENABLE_MASK).toBe(LBR_CTL_ENABLE_MASK);
    apply(x, 'HOST_SET_DEBUGCTL', 1, 0);
    x.enter(0);
    expect(x.world.hw[DEBUGCTL]).toBe(DEBUGCTLMSR_LBR); // loaded by VMRUN
    expect(x.world.hw[HSAVE_DEBUGCTL]).toBe(0); // the host's, in the host save area
    x.exit(0, 0);
    expect(x.world.hw[DEBUGCTL]).toBe(0); // back from the host save area
    expect(x.violation).toBeUndefined();
  });

  it("SVM with lbrv=0: the guest's WRMSR is dropped and it runs with DEBUGCTL 0 whatever the host has", () => {
    const x = makeExecutor(x86EagerSvm, x86Svm, [], { lbrv: 0 });
    x.reset();
    apply(x, 'HOST_SET_DEBUGCTL', 0, DEBUGCTLMSR_LBR);
    x.load(0, 0);
    x.enter(0);
    expect(x.world.hw[DEBUGCTL]).toBe(0);
    x.exit(0, 0);
    expect(x.world.hw[DEBUGCTL]).toBe(DEBUGCTLMSR_LBR);
  });

  it("VMX 6.17: the guest runs with the host's FREEZE_IN_SMM and its own LBR; a RDMSR does not see FREEZE_IN_SMM", () => {
    const x = makeExecutor(x86EagerVmx, x86Vmx, invariantsFor('x86-vmx'));
    x.reset();
    apply(x, 'HOST_SET_DEBUGCTL', 0, DEBUGCTLMSR_FREEZE_IN_SMM);
    x.load(0, 0);
    x.enter(0);
    x.guestWrite(0, DEBUGCTL, DEBUGCTLMSR_LBR);
    x.enter(0);
    expect(x.world.hw[DEBUGCTL]).toBe(DEBUGCTLMSR_LBR | DEBUGCTLMSR_FREEZE_IN_SMM);
    x.exit(0, 0);
    expect(x.world.hw[DEBUGCTL]).toBe(DEBUGCTLMSR_FREEZE_IN_SMM);
    x.enter(0);
    x.guestRead(0, DEBUGCTL); // a RDMSR exit: vmx_guest_debugctl_read masks FREEZE_IN_SMM, no-stale-read holds
    expect(x.violation).toBeUndefined();
  });
});

describe('DR7.GD', () => {
  it.each([
    ['x86-vmx', x86EagerVmx, x86Vmx],
    ['x86-svm', x86EagerSvm, x86Svm],
  ] as const)('on %s, a guest MOV DR with GD set raises #DB(BD) instead of executing, and GD clears', (_arch, policy, arch) => {
    const x = makeExecutor(policy, arch, []);
    x.reset();
    x.load(0, 0);
    x.enter(0);
    x.guestWrite(0, DR7, 0x400 | DR7_GD);
    x.guestWrite(0, DR(0), 0x2000);
    expect(x.world.guestIntent[DR(0)]).toBe(0);
    expect(x.world.guestIntent[DR6]).toBe(0xffff2ff0);
    expect(x.world.guestIntent[DR7]).toBe(0x400);
    expect(x.world.vcpuMem[DR6]).toBe(0xffff2ff0); // KVM injected the payload into vcpu->arch.dr6
    expect(x.world.vcpuMem[DR7]).toBe(0x400);
  });
});
