/**
 * Who set a value the invariants talk about: the actor of the event at the step an intent's stamp
 * names (DESIGN §2 ghost state). Messages say "armed by userspace via KVM_SET_GUEST_DEBUG (step 3)",
 * never "vcpu0 armed" when the debugger did.
 */
import type { Executor } from '../src/engine/execute.js';

const ACTORS: Readonly<Record<string, string>> = {
  GUEST_WRITE: 'the guest',
  VMM_SET_REG: 'userspace via KVM_SET_ONE_REG',
  VMM_SET_GUEST_DEBUG: 'userspace via KVM_SET_GUEST_DEBUG',
  VCPU_RESET: 'the vCPU reset',
  HOST_SET_BREAKPOINT: "the host's hw_breakpoint/ptrace user",
  HOST_CLEAR_BREAKPOINT: "the host's hw_breakpoint/ptrace user",
  HOST_TRACE: "the host's trace session",
  RUN_LOOP_TRACE: "the host's trace session",
  HYP_WRITE_REG: 'the hypervisor itself (vcpu_write_sys_reg)',
};

/** Who acted at `step`: `the guest`, `userspace via KVM_SET_ONE_REG`, … (step 0: `the initial state`). */
export function actorAt(x: Executor, step: number): string {
  if (step <= 0) return 'the initial state';
  const type = x.eventAt(step);
  if (type === undefined) return 'an event';
  return ACTORS[type] ?? (type.startsWith('GUEST_') ? 'the guest' : type.startsWith('HOST_') ? 'the host' : type);
}

/** Who set a value at `step`, and when, to follow "set" or "armed": `by the guest at step 3`, or `at reset`. */
export const setBy = (x: Executor, step: number): string => (step <= 0 ? 'at reset' : `by ${actorAt(x, step)} at step ${step}`);
