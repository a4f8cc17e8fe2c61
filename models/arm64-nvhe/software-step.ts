/**
 * The arm64 software-step state machine (Arm ARM D2.12 "Software Step exceptions") around guest
 * instructions. With MDSCR_EL1.SS set and debug exceptions enabled from the instruction's EL, an
 * instruction executed in the Active-not-pending state (PSTATE.SS = 1) completes and moves the state
 * to Active-pending (PSTATE.SS = 0); the step exception is taken before the *next* instruction, so an
 * interrupt (a guest exit) can arrive in between, and the Active-pending state must survive it
 * (D2.12.6: an asynchronous exception taken in Active-pending returns to Active-pending). The
 * exception goes to EL2 when MDCR_EL2.TDE routes it there (userspace single-stepping: an exit, then
 * KVM_EXIT_DEBUG), else to the guest's EL1 (the guest stepping its own EL0 code, as ptrace does).
 * The guest's PSTATE.SS lives in SPSR_EL2 from exit to entry (ERET), and is modelled there while it runs.
 * Shared by arm64-vhe and arm64-nvhe with `--gdb 1` or `--guest-step 1` (`softwareStep`): the CPU says
 * where the live PSTATE.SS is, what routes debug exceptions to EL2 (VHE: TGE or TDE; nVHE: TDE) and
 * whether an OS Lock blocks them (nVHE has one with `--oslock 1`).
 *
 * Ghost: whether a stepped instruction's step is still owed to userspace (every instruction reported
 * exactly once, debug-status-consumed), and the guest's own PSTATE.SS (guest-step-preserved): what
 * its ERETs and its own stepped instructions made it, frozen while userspace debugs the vCPU (KVM then
 * masks the guest's MDSCR_EL1.SS, "This confuses guest debuggers which use single-step behind the
 * scenes", debug.c; when single-stepping it owns the state machine and must hand the guest's back,
 * 6.14 GUEST_SS_ACTIVE_PENDING). A guest that never armed a step and finds SPSR_EL2.SS = 1 after
 * KVM's ERET is judged at its next instruction, whose level says where that ERET returned (`staleSs`).
 */

import type { Executor } from '../../src/engine/execute.js';
import type { DeliveryObservation } from '../../src/engine/invariant.js';
import type { DebugView, EventKind, InstructionHooks } from '../../src/engine/model.js';
import { CTX_GUEST } from '../../src/engine/world.js';
import { VMM_DEBUG, VMM_DEBUG_ENABLE, VMM_DEBUG_STEP } from '../../src/model-kit/debug-status.js';
import { operandEvent, vcpusWhere } from '../../src/model-kit/operand-event.js';
import { DBG_MDSCR_SS, DBG_SPSR_SS, MDSCR_EL1 } from './registers.js';

/** Ghost word (after the userspace debug words) holding 1 while a stepped instruction is not yet reported. */
export const STEP_OWED = 2;
/** Ghost word: the guest's own PSTATE.SS (DBG_SPSR_SS or 0). */
export const GUEST_SS = 3;
/**
 * Ghost word: 1 from the guest's ERET to its EL0 until it runs EL1 code again (an exception to its EL1,
 * which keeps PSTATE.SS in SPSR_EL1, or its own step exception): only then is its step state live.
 */
export const GUEST_EL0 = 4;
/** Ghost word: 1 once the guest armed a step of its own (an ERET with SPSR_EL1.SS and software step enabled); until then its PSTATE.SS is 0 everywhere (Arm ARM DebugExceptionReturnSS). */
export const GUEST_ARMED = 5;
/** EXIT_REASONS index of a software-step exception (ESR_ELx_EC_SOFTSTP_LOW). */
const STEP_EXIT = 5;
const STEP = 1;

/** What the CPU says about software step: where the guest's live PSTATE.SS is, and what routes and blocks its exceptions. */
export interface StepCpu {
  /** SPSR_EL2's register id: the guest's PSTATE.SS while it runs (only SS is modelled). */
  readonly spsr: number;
  /** Whether debug exceptions from EL0/EL1 go to EL2 (nVHE: MDCR_EL2.TDE; VHE: HCR_EL2.TGE or TDE). */
  routesToEl2(r: Float64Array, o: number): boolean;
  /** Whether the OS Lock blocks every debug exception (never where it is not modelled). */
  locked(r: Float64Array, o: number): boolean;
}

const delivery: DeliveryObservation = {
  cpu: 0,
  vcpu: 0,
  to: 'vmm',
  status: STEP,
  host: 0,
  guest: 0,
  spurious: 0,
  again: 0,
  describe: () => 'the software step of an instruction',
};

/**
 * Where a software-step exception from guest code at view level `level` on `cpu` goes: 2 (EL2, routed
 * by MDCR_EL2.TDE), 1 (the guest's EL1, for its EL0 code), or 0 when software step is inactive.
 * The guest stepping its own EL1 code (kgdb, KDE) is not modelled: its EL1 is taken as PSTATE.D = 1.
 */
function stepTarget(x: Executor, c: StepCpu, cpu: number, level: number): number {
  const { hw } = x.world;
  const o = cpu * x.regs;
  if (((hw[o + MDSCR_EL1] as number) & DBG_MDSCR_SS) === 0 || c.locked(hw, o)) return 0;
  if (c.routesToEl2(hw, o)) return 2;
  return level === 0 ? 1 : 0;
}

const ghostAt = (x: Executor, v: number, word: number): number => v * (x.world.shape.vcpuGhost ?? 0) + word;
const stepping = (x: Executor, v: number): boolean =>
  ((x.world.vcpuGhost[ghostAt(x, v, VMM_DEBUG)] as number) & (VMM_DEBUG_ENABLE | VMM_DEBUG_STEP)) === (VMM_DEBUG_ENABLE | VMM_DEBUG_STEP);
/** Whether userspace debugs the vCPU at all: KVM then owns MDSCR_EL1 and masks the guest's SS (6.14 setup_external_mdscr). */
const debugging = (x: Executor, v: number): boolean => ((x.world.vcpuGhost[ghostAt(x, v, VMM_DEBUG)] as number) & VMM_DEBUG_ENABLE) !== 0;
/** Whether the guest's own debugger steps (its MDSCR_EL1.SS as it wrote it). */
const guestStepping = (x: Executor, v: number): boolean => ((x.world.guestIntent[v * x.regs + MDSCR_EL1] as number) & DBG_MDSCR_SS) !== 0;
/** Software step enabled for the guest's EL0 as the guest set it up: its MDSCR_EL1.SS, its OS Lock unlocked. */
const guestStepEnabled = (x: Executor, c: StepCpu, v: number): boolean => guestStepping(x, v) && !c.locked(x.world.guestIntent, v * x.regs);

function setGhost(x: Executor, v: number, word: number, value: number): void {
  const i = ghostAt(x, v, word);
  if (x.world.vcpuGhost[i] === value) return;
  x.world.vcpuGhost[i] = value;
  x.mutations++;
}

/** The step exception taken to EL2: an exit to KVM, which reports it to userspace as KVM_EXIT_DEBUG. */
function takeStep(x: Executor, v: number, cpu: number): void {
  const owed = x.world.vcpuGhost[ghostAt(x, v, STEP_OWED)] === 1;
  const wanted = stepping(x, v);
  setGhost(x, v, STEP_OWED, 0);
  x.exit(v, STEP_EXIT);
  if (x.violation) return;
  // kvm_handle_guest_debug sets KVM_EXIT_DEBUG and returns 0: the run loop ends, KVM_RUN returns.
  x.returnToUser(v);
  if (x.violation) return;
  delivery.cpu = cpu;
  delivery.vcpu = v;
  delivery.missed = 0;
  delivery.guest = wanted ? STEP : 0;
  delivery.spurious = wanted ? 0 : STEP;
  delivery.again = wanted && !owed ? STEP : 0;
  x.observeDelivery(delivery);
}

/** The step exception taken to the guest's EL1: its own debugger gets it; PSTATE.SS stays 0 until its next ERET. */
function takeGuestStep(x: Executor, v: number, cpu: number): void {
  const wanted = !debugging(x, v) && guestStepping(x, v);
  delivery.cpu = cpu;
  delivery.vcpu = v;
  delivery.to = 'guest';
  delivery.missed = 0;
  delivery.guest = wanted ? STEP : 0;
  delivery.spurious = wanted ? 0 : STEP;
  delivery.again = 0;
  x.observeDelivery(delivery);
  delivery.to = 'vmm';
  setGhost(x, v, GUEST_EL0, 0);
}

/**
 * The first instruction, at view level `level`, of a guest that never armed a step and runs with
 * PSTATE.SS = 1 (only KVM's ERET into it sets that): its level says where that ERET returned. The
 * Arm ARM's DebugExceptionReturnSS sets PSTATE.SS only where software step is enabled at the target
 * EL, so at its EL1 (PSTATE.D = 1), or with its step disabled, the bit is cleared now; at its EL0
 * with its step enabled the instruction would be stepped though the guest never armed a step: the
 * guest is at EL0 (GUEST_EL0), and guest-step-preserved is checked before the instruction runs.
 * An interrupt to its EL1 right at that ERET (SPSR_EL1.SS = 1) is taken as the guest in its kernel.
 */
function staleSs(x: Executor, c: StepCpu, v: number, cpu: number, level: number): void {
  const { hw, vcpuGhost } = x.world;
  const o = cpu * x.regs + c.spsr;
  if (debugging(x, v) || vcpuGhost[ghostAt(x, v, GUEST_ARMED)] !== 0 || ((hw[o] as number) & DBG_SPSR_SS) === 0) return;
  if (stepTarget(x, c, cpu, level) === 0) {
    hw[o] = (hw[o] as number) & ~DBG_SPSR_SS;
    x.mutations++;
  } else if (level === 0 && guestStepEnabled(x, c, v)) {
    setGhost(x, v, GUEST_EL0, 1);
    x.checkState(cpu);
  }
}

/** The software-step hooks of a CPU `c`. */
export const softwareStep = (c: StepCpu): InstructionHooks => ({
  before(x, v, level) {
    const cpu = x.world.loadedOn[v] as number;
    staleSs(x, c, v, cpu, level);
    if (x.violation) return true;
    const target = stepTarget(x, c, cpu, level);
    if (target !== 0 && ((x.world.hw[cpu * x.regs + c.spsr] as number) & DBG_SPSR_SS) === 0) {
      if (target === 2) takeStep(x, v, cpu);
      else takeGuestStep(x, v, cpu);
      return true;
    }
    if (stepping(x, v) && x.world.vcpuGhost[ghostAt(x, v, STEP_OWED)] === 1) {
      delivery.cpu = cpu;
      delivery.vcpu = v;
      delivery.to = 'guest';
      delivery.missed = STEP;
      delivery.guest = 0;
      delivery.spurious = 0;
      delivery.again = 0;
      x.observeDelivery(delivery);
      delivery.to = 'vmm';
    }
    // Guest kernel code runs: the guest took an exception to its EL1 (SPSR_EL1 holds its EL0's PSTATE.SS).
    if (level === 1) setGhost(x, v, GUEST_EL0, 0);
    return false;
  },
  after(x, v, trapped, level) {
    if (stepping(x, v)) setGhost(x, v, STEP_OWED, 1);
    if (trapped) return; // emulated by KVM, which must advance the step state itself (kvm_skip_instr)
    const cpu = x.world.loadedOn[v] as number;
    const o = cpu * x.regs + c.spsr;
    const target = stepTarget(x, c, cpu, level);
    if (target === 0 || ((x.world.hw[o] as number) & DBG_SPSR_SS) === 0) return;
    // Active-not-pending -> Active-pending; the exception waits for the next instruction.
    x.world.hw[o] = (x.world.hw[o] as number) & ~DBG_SPSR_SS;
    x.mutations++;
    if (target === 1) setGhost(x, v, GUEST_SS, 0);
  },
  // kvm_reset_vcpu: the guest restarts in its kernel at the reset PSTATE (SS = 0), with no step of its own armed.
  reset(x, v) {
    setGhost(x, v, GUEST_SS, 0);
    setGhost(x, v, GUEST_EL0, 0);
    setGhost(x, v, GUEST_ARMED, 0);
  },
});

/** Userspace ended its debug session on the vCPU: no step is owed any more. */
export const forgetStep = (x: Executor, v: number): void => setGhost(x, v, STEP_OWED, 0);

const NEVER_ARMED = 'its EL0 instruction would be stepped though it never armed a step';

/**
 * The guest's own PSTATE.SS, compared while userspace does not debug the vCPU and the guest is at its
 * EL0 with its MDSCR_EL1.SS set: the value its ERET and its own steps made (0 for a guest that never
 * armed a step: ERET sets PSTATE.SS only when MDSCR_EL1.SS is set, exception entry clears it). Where
 * the guest's EL at KVM's ERET is unknown, its next instruction decides (`staleSs`).
 */
export function guestStepView(
  c: StepCpu,
  x: Executor,
  v: number,
  cpu: number,
  out: { live: number; own: number; name: string; why?: string | undefined },
): typeof out | undefined {
  const ghost = x.world.vcpuGhost;
  if (debugging(x, v) || !guestStepping(x, v) || ghost[ghostAt(x, v, GUEST_EL0)] !== 1) return undefined;
  out.own = (ghost[ghostAt(x, v, GUEST_SS)] as number) ? 1 : 0;
  out.live = (x.world.hw[cpu * x.regs + c.spsr] as number) & DBG_SPSR_SS ? 1 : 0;
  out.why = ghost[ghostAt(x, v, GUEST_ARMED)] === 0 ? NEVER_ARMED : undefined;
  return out;
}

const SS_VALUES = ['0', '1'] as const;
const SS_INDICES: readonly number[] = [0, 1];

/**
 * GUEST_ERET {vcpu, ss}: the guest kernel returns to its EL0 code with SPSR_EL1.SS = ss (a debugger
 * in the guest arming or not arming a step, as ptrace's user_enable_single_step does). PSTATE.SS
 * becomes ss where software step is enabled for EL0, else 0. Generated only while userspace does not
 * debug the vCPU (KVM masks the guest's step then; an ERET that userspace steps is not modelled), with `--guest-step 1`.
 */
export function guestEretEvent(c: StepCpu, step: InstructionHooks): EventKind {
  const inGuest = (x: Executor, v: number): boolean => !debugging(x, v) && x.world.cpuContext[x.world.loadedOn[v] as number] === CTX_GUEST;
  return operandEvent(
    'GUEST_ERET',
    1,
    ['vcpu', 'vcpu'],
    vcpusWhere('GUEST_EXECUTE', inGuest),
    [['ss', SS_VALUES, () => SS_INDICES]],
    (x, ev) => {
      const v = ev[1] as number;
      const ss = ev[2] === 1;
      // ERET is an EL1 instruction: a pending step of the guest kernel's own code is not modelled, userspace's is.
      if (step.before(x, v, 1) || x.violation) return;
      x.fire(v, x.lifecycleEvent('GUEST_EXECUTE'));
      const cpu = x.world.loadedOn[v] as number;
      const o = cpu * x.regs + c.spsr;
      const live = ss && stepTarget(x, c, cpu, 0) !== 0 ? DBG_SPSR_SS : 0;
      x.world.hw[o] = ((x.world.hw[o] as number) & ~DBG_SPSR_SS) | live;
      x.mutations++;
      const armed = ss && guestStepEnabled(x, c, v);
      setGhost(x, v, GUEST_SS, armed ? DBG_SPSR_SS : 0);
      setGhost(x, v, GUEST_EL0, 1);
      if (armed) setGhost(x, v, GUEST_ARMED, 1);
      x.settle(cpu);
    },
  );
}

/** What `--gdb 1` or `--guest-step 1` adds to it: the guest's own PSTATE.SS (guest-step-preserved). */
export function stepView(c: StepCpu): Pick<DebugView, 'guestStep'> {
  const stepBuffer = { live: 0, own: 0, name: 'PSTATE.SS' };
  return { guestStep: (x, v, cpu) => guestStepView(c, x, v, cpu, stepBuffer) };
}
