/**
 * The arm64 software-step state machine (Arm ARM D2.12 "Software Step exceptions") around guest
 * instructions, with debug exceptions routed to EL2 (MDCR_EL2.TDE) as when userspace single-steps:
 * with MDSCR_EL1.SS set, an instruction executed in the active-not-pending state (PSTATE.SS = 1)
 * completes and moves the state to active-pending (PSTATE.SS = 0), and the step exception is taken
 * before the next instruction. The guest's PSTATE.SS lives in SPSR_EL2 from exit to entry (ERET).
 * Ghost: whether a stepped instruction's step is still owed to userspace, to check every
 * instruction is reported exactly once (debug-status-consumed).
 */
import { VMM_DEBUG, VMM_DEBUG_ENABLE, VMM_DEBUG_STEP } from '../../src/debug-status.js';
import type { Executor } from '../../src/execute.js';
import type { DeliveryObservation } from '../../src/invariant.js';
import type { InstructionHooks } from '../../src/model.js';

import { DBG_MDSCR_SS, DBG_SPSR_SS, MDSCR_EL1 } from '../arm64-nvhe/registers.js';
import { osLocked, vheRoutesToEl2 } from './hardware.js';
import { SPSR_EL2 } from './registers.js';

/** Ghost word (after the userspace debug words) holding 1 while a stepped instruction is not yet reported. */
export const STEP_OWED = 2;
/** EXIT_REASONS index of a software-step exception (ESR_ELx_EC_SOFTSTP_LOW). */
const STEP_EXIT = 5;
const STEP = 1;

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

/** Whether a software-step exception can be generated to EL2 for guest code on `cpu`. */
function stepActive(x: Executor, cpu: number): boolean {
  const { hw } = x.world;
  const o = cpu * x.regs;
  return ((hw[o + MDSCR_EL1] as number) & DBG_MDSCR_SS) !== 0 && vheRoutesToEl2(hw, o) && !osLocked(hw, o);
}

const ghostAt = (x: Executor, v: number, word: number): number => v * (x.world.shape.vcpuGhost ?? 0) + word;
const stepping = (x: Executor, v: number): boolean =>
  ((x.world.vcpuGhost[ghostAt(x, v, VMM_DEBUG)] as number) & (VMM_DEBUG_ENABLE | VMM_DEBUG_STEP)) === (VMM_DEBUG_ENABLE | VMM_DEBUG_STEP);

function owe(x: Executor, v: number, owed: number): void {
  const i = ghostAt(x, v, STEP_OWED);
  if (x.world.vcpuGhost[i] === owed) return;
  x.world.vcpuGhost[i] = owed;
  x.mutations++;
}

/** The step exception: an exit to KVM, which reports it to userspace as KVM_EXIT_DEBUG. */
function takeStep(x: Executor, v: number, cpu: number): void {
  const owed = x.world.vcpuGhost[ghostAt(x, v, STEP_OWED)] === 1;
  const wanted = stepping(x, v);
  owe(x, v, 0);
  x.exit(v, STEP_EXIT);
  if (x.violation) return;
  delivery.cpu = cpu;
  delivery.vcpu = v;
  delivery.missed = 0;
  delivery.guest = wanted ? STEP : 0;
  delivery.spurious = wanted ? 0 : STEP;
  delivery.again = wanted && !owed ? STEP : 0;
  x.observeDelivery(delivery);
}

/** The software-step hooks of the VHE model. */
export const softwareStep: InstructionHooks = {
  before(x, v) {
    const cpu = x.world.loadedOn[v] as number;
    if (stepActive(x, cpu) && ((x.world.hw[cpu * x.regs + SPSR_EL2] as number) & DBG_SPSR_SS) === 0) {
      takeStep(x, v, cpu);
      return true;
    }
    if (stepping(x, v) && x.world.vcpuGhost[ghostAt(x, v, STEP_OWED)] === 1) {
      delivery.cpu = cpu;
      delivery.vcpu = v;
      delivery.to = 'guest';
      delivery.missed = STEP;
      x.observeDelivery(delivery);
      delivery.to = 'vmm';
    }
    return false;
  },
  after(x, v, trapped) {
    if (stepping(x, v)) owe(x, v, 1);
    if (trapped) return; // emulated by KVM, which must advance the step state itself (kvm_skip_instr)
    const cpu = x.world.loadedOn[v] as number;
    const o = cpu * x.regs + SPSR_EL2;
    if (!stepActive(x, cpu)) return;
    x.world.hw[o] = (x.world.hw[o] as number) & ~DBG_SPSR_SS;
    x.mutations++;
    takeStep(x, v, cpu);
  },
};

/** Userspace ended its debug session on the vCPU: no step is owed any more. */
export const forgetStep = (x: Executor, v: number): void => owe(x, v, 0);
