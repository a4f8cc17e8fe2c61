/**
 * Single-step on x86 (SDM vol. 3 18.3.1.4): with RFLAGS.TF set, each instruction that completes is
 * followed by a #DB with DR6.BS. KVM_GUESTDBG_SINGLESTEP sets the guest's TF (x86.c
 * __kvm_set_rflags) and every #DB is intercepted, so each step exits to userspace as KVM_EXIT_DEBUG.
 * Ghost: whether a stepped instruction's step is still owed to userspace, so that an instruction run
 * without its step reaching userspace is a finding (debug-status-consumed).
 */

import type { Executor } from '../../src/engine/execute.js';
import type { DeliveryObservation } from '../../src/engine/invariant.js';
import type { InstructionHooks } from '../../src/engine/model.js';
import { VMM_DEBUG, VMM_DEBUG_ENABLE, VMM_DEBUG_STEP } from '../../src/model-kit/debug-status.js';
import { VCPU_GHOST } from './layout.js';
import { DR_STEP, describeDr6, RFLAGS, X86_EFLAGS_TF } from './registers.js';
import { debugExit } from './vm-switch.js';

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
  after(x, v, trapped) {
    const steps = userspaceSteps(x, v);
    // An emulated instruction is stepped by KVM itself (kvm_skip_emulated_instruction ->
    // kvm_vcpu_do_singlestep, KVM_EXIT_DEBUG with DR6.BS): not modelled, so nothing is owed for it.
    if (trapped) {
      oweStep(x, v, 0);
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
