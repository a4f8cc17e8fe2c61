/**
 * Single-step on x86 (SDM vol. 3 18.3.1.4): with RFLAGS.TF set, each instruction that completes is
 * followed by a #DB with DR6.BS. KVM_GUESTDBG_SINGLESTEP sets the guest's TF (x86.c
 * __kvm_set_rflags) and every #DB is intercepted, so each step exits to userspace as KVM_EXIT_DEBUG.
 * An instruction KVM emulates after it trapped (a MOV DR, RDMSR/WRMSR of IA32_DEBUGCTL) is stepped by
 * KVM itself: its exit handler skips it with kvm_skip_emulated_instruction, which returns KVM_EXIT_DEBUG
 * with DR6.BS when TF was set (kvm_vcpu_do_singlestep, Linux 4.11+; before, the vendor's
 * skip_emulated_instruction alone lost the step). Ghost: whether a stepped instruction's step is still
 * owed to userspace, so that an instruction run without its step reaching userspace is a finding
 * (debug-status-consumed).
 */

import type { Executor } from '../../src/engine/execute.js';
import type { DeliveryObservation } from '../../src/engine/invariant.js';
import type { InstructionHooks } from '../../src/engine/model.js';
import { VMM_DEBUG, VMM_DEBUG_ENABLE, VMM_DEBUG_STEP } from '../../src/model-kit/debug-status.js';
import { VCPU_GHOST } from './layout.js';
import { RETRY } from './reexecute.js';
import { DEBUGCTL, DR_STEP, DR6, describeDr6, RFLAGS, X86_EFLAGS_TF } from './registers.js';
import { debugExit, handlerQueuedStep, KVM_EXIT_DEBUG, trapRanWithTf } from './vm-switch.js';

const STEP_OWED = VCPU_GHOST.indexOf('stepOwed');

const missed: DeliveryObservation = {
  cpu: 0,
  vcpu: 0,
  to: 'guest',
  status: DR_STEP,
  host: 0,
  guest: 0,
  spurious: 0,
  again: 0,
  missed: DR_STEP,
  describe: describeDr6,
};

/** Whether userspace single-steps vCPU `v` (KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP). */
export function userspaceSteps(x: Executor, v: number): boolean {
  const want = VMM_DEBUG_ENABLE | VMM_DEBUG_STEP;
  return ((x.world.vcpuGhost[v * VCPU_GHOST.length + VMM_DEBUG] as number) & want) === want;
}

/** Sets whether a step is owed to userspace for vCPU `v`. */
export function oweStep(x: Executor, v: number, owed: number): void {
  const i = v * VCPU_GHOST.length + STEP_OWED;
  if (x.world.vcpuGhost[i] === owed) return;
  x.world.vcpuGhost[i] = owed;
  x.mutations++;
}

/** The step of an instruction KVM completed itself (emulated after a trap, or on the fast path): one observation for both. */
const skipped: DeliveryObservation = {
  cpu: 0,
  vcpu: 0,
  to: 'vmm',
  status: DR_STEP,
  host: 0,
  guest: 0,
  spurious: 0,
  again: 0,
  vmm: 0,
  missed: 0,
  describe: describeDr6,
};

/** Why a step was lost when the guest ran the instruction without TF: the cause is KVM_SET_GUEST_DEBUG, not the skip. */
const NO_TF =
  "the guest ran it without RFLAGS.TF although userspace single-steps it (KVM_SET_GUEST_DEBUG's __kvm_set_rflags sets TF), so kvm_skip_emulated_instruction had no step to report";

/**
 * Fills `skipped` with the step of vCPU `v`'s instruction that KVM completed and skipped on `cpu`: `owed`
 * to userspace (it single-steps), `reported` (KVM_EXIT_DEBUG) or `queued` (#DB(BS) for the guest), else
 * lost. Whether the outcome is a finding (lost or spurious), whose `why` the caller then builds.
 */
function skippedStep(cpu: number, v: number, owed: boolean, reported: boolean, queued: boolean): boolean {
  skipped.cpu = cpu;
  skipped.vcpu = v;
  skipped.to = reported ? 'vmm' : 'guest';
  // Reported or queued: userspace's step (or a spurious one). Neither: lost, delivered to nobody.
  skipped.guest = owed && (reported || queued) ? DR_STEP : 0;
  skipped.vmm = skipped.guest;
  skipped.spurious = owed ? 0 : DR_STEP;
  skipped.missed = owed && !reported && !queued ? DR_STEP : 0;
  return skipped.missed !== 0 || skipped.spurious !== 0;
}

/** The guest instruction vCPU `v` trapped on: a MOV to or from DRn, or RDMSR/WRMSR of IA32_DEBUGCTL. */
function instructionName(x: Executor, reg: number, isWrite: boolean): string {
  if (reg === DEBUGCTL) return `${isWrite ? 'WRMSR' : 'RDMSR'} of IA32_DEBUGCTL`;
  return `MOV ${isWrite ? 'to' : 'from'} ${x.model.registers.names[reg] ?? 'a debug register'}`;
}

/** Why an emulated instruction's step is a finding (built only then: a clean run allocates nothing). */
function emulatedWhy(x: Executor, v: number, reg: number, isWrite: boolean, done: boolean, queued: boolean): string {
  const insn = instructionName(x, reg, isWrite);
  const did = queued ? 'queued #DB(BS) for the guest' : 'returned KVM_EXIT_DEBUG for a step';
  if (!done) return `the exit handler left vcpu${v}'s ${insn} to run again (not executed, so not stepped), yet ${did}`;
  if (skipped.missed !== 0 && !trapRanWithTf()) return `vcpu${v}'s ${insn} trapped and KVM emulated it, but ${NO_TF}`;
  if (skipped.missed !== 0) {
    return `vcpu${v}'s ${insn} trapped and KVM emulated it, but the exit handler skipped it and resumed the guest without its single-step (kvm_skip_emulated_instruction -> kvm_vcpu_do_singlestep returns KVM_EXIT_DEBUG while KVM_GUESTDBG_SINGLESTEP is set)`;
  }
  return queued
    ? `neither userspace nor the guest single-steps vcpu${v} (the guest never sets TF), yet the exit handler that emulated its ${insn} ${did}`
    : `userspace does not single-step vcpu${v}, yet the exit handler that emulated its ${insn} ${did}`;
}

/**
 * A trapped guest instruction the exit handler completed. Emulated (no TrapParams.retry), it owes
 * userspace its single-step while userspace steps, which the handler reports itself: KVM never re-enters
 * on it, so no hardware #DB follows (kvm_skip_emulated_instruction reads RFLAGS.TF before the vendor
 * skip and kvm_vcpu_do_singlestep returns 0 with KVM_EXIT_DEBUG, DR6.BS). The handler's KVM_EXIT_DEBUG
 * (Executor.trapExit) ends KVM_RUN: `trapped` -> `loaded`, as a #DB exit to userspace does.
 */
function emulatedStep(x: Executor, v: number, steps: boolean, reg: number, isWrite: boolean): void {
  oweStep(x, v, 0);
  const done = x.world.vcpuGhost[v * VCPU_GHOST.length + RETRY] === 0;
  const owed = steps && done;
  const reported = x.trapExit === KVM_EXIT_DEBUG;
  // Not returned: queued for the guest instead, or lost. An emulated MOV to DR6 wrote vcpu->arch.dr6 itself
  // (kvm_set_dr): a BS there that the guest's value lacks is the queued step's.
  const wrote = done && isWrite && reg === DR6 ? (x.world.guestIntent[v * x.regs + DR6] as number) : undefined;
  const queued = !reported && handlerQueuedStep(x, v, wrote);
  if (!owed && !reported && !queued) return;
  const cpu = x.world.loadedOn[v] as number;
  if (reported) {
    x.fire(v, x.lifecycleEvent('EXITED'));
    if (x.violation) return;
  }
  skipped.why = skippedStep(cpu, v, owed, reported, queued) ? emulatedWhy(x, v, reg, isWrite, done, queued) : undefined;
  x.observeDelivery(skipped);
  if (!x.violation && reported) x.settle(cpu);
}

/** Why a fast-path WRMSR's step is a finding (built only then). */
function fastpathWhy(v: number, exited: boolean, queued: boolean, tf: boolean, handleExit: boolean): string {
  const insn = `vcpu${v}'s WRMSR was handled on the fast path (handle_fastpath_set_msr_irqoff) and skipped`;
  if (skipped.missed !== 0 && !tf) return `${insn}, but ${NO_TF}`;
  if (skipped.missed === 0) {
    const did = queued ? 'queued #DB(BS) for the guest' : 'exited to userspace with KVM_EXIT_DEBUG for a step';
    return `userspace does not single-step vcpu${v} (and the guest never sets TF), yet the fast path that handled its WRMSR ${did}`;
  }
  if (exited) {
    return `${insn}, and the fast path exited to userspace with another exit reason than KVM_EXIT_DEBUG: its single-step was not reported`;
  }
  if (handleExit) {
    return `${insn}, and the run loop entered the guest again without its single-step: the fast path ignored kvm_skip_emulated_instruction's KVM_EXIT_DEBUG (EXIT_FASTPATH_EXIT_HANDLED), and handle_exit returned 1 for the fast-path exit (fixed by f7f39c50edb9, 6.12: EXIT_FASTPATH_EXIT_USERSPACE)`;
  }
  return `${insn}, and the guest re-entered without its single-step: the fast path ignored kvm_skip_emulated_instruction's KVM_EXIT_DEBUG (EXIT_FASTPATH_REENTER_GUEST instead of EXIT_FASTPATH_EXIT_USERSPACE; fixed by f7f39c50edb9, 6.12)`;
}

/**
 * The guest's WRMSR that the fast path completed (FASTPATH_EXIT): it VM-exited, so no hardware #DB
 * follows it, and while userspace single-steps it owes userspace its step, which only KVM can report:
 * kvm_skip_emulated_instruction returns KVM_EXIT_DEBUG (kvm_vcpu_do_singlestep) and the fast path must
 * exit to userspace with it (EXIT_FASTPATH_EXIT_USERSPACE), as an emulated instruction's handler does.
 * `exit` is what the fast path returned (a number: it exited to userspace); `dr6` is vcpu->arch.dr6
 * before it ran, to recognise a #DB(BS) it queued for the guest instead; `tf` whether the guest ran
 * the WRMSR with RFLAGS.TF (what kvm_skip_emulated_instruction tests), to say why a step was lost;
 * `handleExit` whether the run loop went on through handle_exit (5.10 and 5.15: SVM, and the x2APIC ICR on VMX) rather than re-entering.
 */
export function fastpathStep(x: Executor, v: number, steps: boolean, exit: unknown, dr6: number, tf: boolean, handleExit = false): void {
  oweStep(x, v, 0);
  const exited = typeof exit === 'number';
  const reported = exit === KVM_EXIT_DEBUG;
  const queued = !reported && handlerQueuedStep(x, v, dr6);
  if (!steps && !reported && !queued) return;
  const cpu = x.world.loadedOn[v] as number;
  skipped.why = skippedStep(cpu, v, steps, reported, queued) ? fastpathWhy(v, exited, queued, tf, handleExit) : undefined;
  x.observeDelivery(skipped);
}

/** The single-step hooks of the x86 models, around every guest instruction event. */
export const singleStep: InstructionHooks = {
  before(x, v) {
    // A trap-class #DB is taken after its instruction: nothing happens before one, except noticing
    // that the previous instruction's step never reached userspace.
    if (userspaceSteps(x, v) && x.world.vcpuGhost[v * VCPU_GHOST.length + STEP_OWED] === 1) {
      missed.cpu = x.world.loadedOn[v] as number;
      missed.vcpu = v;
      x.observeDelivery(missed);
    }
    return false;
  },
  after(x, v, trapped, _level, reg = -1, isWrite = false) {
    const steps = userspaceSteps(x, v);
    if (trapped) {
      emulatedStep(x, v, steps, reg, isWrite);
      return;
    }
    if (steps) oweStep(x, v, 1);
    const cpu = x.world.loadedOn[v] as number;
    if (((x.world.hw[cpu * x.regs + RFLAGS] as number) & X86_EFLAGS_TF) === 0) return;
    oweStep(x, v, 0);
    // Userspace's step, or a TF nobody asked for (the guest never sets TF in the model): spurious.
    const owed = steps ? DR_STEP : 0;
    debugExit(x, v, cpu, DR_STEP, owed, 0, x.model.arch === 'x86-vmx');
  },
};
