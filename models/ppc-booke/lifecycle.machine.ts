/**
 * The vCPU lifecycle of KVM on a Book E host without hypervisor mode (BookE-PR, 440/e500v2), at the
 * granularity upstream switches debug state: once per KVM_RUN. `GUEST_ENTER` from `loaded` is
 * KVM_RUN's way in (kvmppc_vcpu_run up to __kvmppc_vcpu_run: the `runEnter` hook); an exit is handled
 * inside the run loop (kvmppc_handle_exit: `guestExit`, then `trap` for an emulated instruction) with
 * the vCPU's debug context still live, in `inRun`; from there the loop re-enters the guest
 * (the asm lightweight_exit path: `guestEnter`) or KVM_RUN returns to userspace (`RUN_RETURN`:
 * `runReturn`, in `returning`, then `RETURNED`). A debug interrupt taken in the guest is an exit with reason `debug`; when it goes to
 * userspace (KVM_EXIT_DEBUG) the model returns from KVM_RUN at once. The run loop is shown as `hyp`
 * (between the worlds): current->thread.debug is the vCPU's there, so neither world's claims hold,
 * and no host debug user can reprogram the thread (ptrace needs it stopped, out of KVM_RUN).
 * Not modelled: preemption inside the loop, a vCPU reset (Book E KVM has no reset ioctl), and
 * KVM_GET/SET_ONE_REG (upstream has IAC/DAC there, but not DBCR0-2).
 */
import { setup } from 'xstate';

const hook = (): void => {};

/** The Book E vCPU lifecycle machine; hook actions are placeholders a policy provides. */
export const bookeLifecycle = setup({
  types: {
    context: {} as Record<string, never>,
    events: {} as {
      type:
        | 'VCPU_LOAD'
        | 'VCPU_PUT'
        | 'GUEST_ENTER'
        | 'ENTERED'
        | 'GUEST_EXIT'
        | 'TRAP'
        | 'EXITED'
        | 'TRAPPED'
        | 'RUN_RETURN'
        | 'RETURNED'
        | 'GUEST_READ'
        | 'GUEST_WRITE'
        | 'GUEST_EXECUTE'
        | 'GUEST_ACCESS'
        | 'VMM_SET_GUEST_DEBUG';
    },
  },
  actions: {
    vcpuLoad: hook,
    vcpuPut: hook,
    runEnter: hook,
    guestEnter: hook,
    guestExit: hook,
    trap: hook,
    runReturn: hook,
    setGuestDebug: hook,
  },
}).createMachine({
  id: 'ppc-booke-vcpu',
  initial: 'unloaded',
  context: {},
  states: {
    unloaded: { on: { VCPU_LOAD: { target: 'loaded', actions: 'vcpuLoad' } } },
    loaded: {
      meta: { cpu: 'host' },
      on: {
        VCPU_PUT: { target: 'unloaded', actions: 'vcpuPut' },
        GUEST_ENTER: { target: 'entering', actions: 'runEnter' },
        VMM_SET_GUEST_DEBUG: { actions: 'setGuestDebug' },
      },
    },
    entering: { meta: { cpu: 'hyp' }, on: { ENTERED: 'guest' } },
    guest: {
      meta: { cpu: 'guest' },
      on: {
        GUEST_EXIT: { target: 'exiting', actions: 'guestExit' },
        TRAP: { target: 'exiting', actions: 'guestExit' },
        GUEST_READ: { target: 'guest' },
        GUEST_WRITE: { target: 'guest' },
        GUEST_EXECUTE: { target: 'guest' },
        GUEST_ACCESS: { target: 'guest' },
      },
    },
    exiting: { meta: { cpu: 'hyp' }, on: { EXITED: 'inRun', TRAPPED: { target: 'inRun', actions: 'trap' } } },
    inRun: {
      meta: { cpu: 'hyp' },
      on: {
        GUEST_ENTER: { target: 'entering', actions: 'guestEnter' },
        RUN_RETURN: { target: 'returning', actions: 'runReturn' },
      },
    },
    returning: { meta: { cpu: 'hyp' }, on: { RETURNED: 'loaded' } },
  },
});
