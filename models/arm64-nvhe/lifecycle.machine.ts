/**
 * The vCPU lifecycle on an arm64 host without VHE: the host kernel runs at EL1, the world switch
 * (__guest_run) runs at EL2 ("hyp"), and a trapped system-register access is a full exit whose
 * handler runs in the host (kvm_handle_sys_reg) before the entry path runs again.
 */
import { assign, setup } from 'xstate';

/** Events the lifecycle machine takes; operands other than the CPU live in the world, not here. */
export type Arm64LifecycleEvent =
  | { type: 'VCPU_LOAD'; cpu: number }
  | {
      type:
        | 'VCPU_PUT'
        | 'GUEST_ENTER'
        | 'ENTERED'
        | 'GUEST_EXIT'
        | 'TRAP'
        | 'EXITED'
        | 'TRAPPED'
        | 'GUEST_READ'
        | 'GUEST_WRITE'
        | 'GUEST_EXECUTE'
        | 'GUEST_ACCESS'
        | 'VMM_GET_REG'
        | 'VMM_SET_REG'
        | 'VCPU_RESET';
    };

const hook = (): void => {};

/** The arm64 nVHE vCPU lifecycle machine; hook actions are placeholders a policy provides. */
export const arm64NvheLifecycle = setup({
  types: { context: {} as { cpu: number }, events: {} as Arm64LifecycleEvent },
  actions: {
    vcpuLoad: hook,
    vcpuPut: hook,
    guestEnter: hook,
    guestExit: hook,
    trap: hook,
    getReg: hook,
    setReg: hook,
    vcpuReset: hook,
  },
}).createMachine({
  id: 'arm64-nvhe-vcpu',
  initial: 'unloaded',
  context: { cpu: -1 },
  states: {
    unloaded: {
      on: {
        VCPU_LOAD: {
          target: 'loaded',
          actions: [assign({ cpu: ({ event }) => (event.type === 'VCPU_LOAD' ? event.cpu : -1) }), 'vcpuLoad'],
        },
      },
    },
    loaded: {
      meta: { cpu: 'host' },
      on: {
        VCPU_PUT: { target: 'unloaded', actions: ['vcpuPut', assign({ cpu: -1 })] },
        GUEST_ENTER: { target: 'entering', actions: 'guestEnter' },
        VMM_GET_REG: { actions: 'getReg' },
        VMM_SET_REG: { actions: 'setReg' },
        VCPU_RESET: { actions: 'vcpuReset' },
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
    exiting: { meta: { cpu: 'hyp' }, on: { EXITED: 'loaded', TRAPPED: { target: 'trapped', actions: 'trap' } } },
    trapped: {
      meta: { cpu: 'host' },
      on: {
        GUEST_ENTER: { target: 'entering', actions: 'guestEnter' },
        VCPU_PUT: { target: 'unloaded', actions: ['vcpuPut', assign({ cpu: -1 })] },
      },
    },
  },
});
