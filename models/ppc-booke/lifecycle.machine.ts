/**
 * The vCPU lifecycle of KVM on a Book E host without hypervisor mode (BookE-PR, 440/e500v2): the
 * world switch is host kernel code (kvm_arch_vcpu_ioctl_run, __kvmppc_vcpu_run), shown as the
 * `entering` / `exiting` states ("hyp": between the worlds, host claims resume when it returns).
 * Every guest interrupt is an exit to KVM: a debug interrupt taken in the guest exits with reason
 * `debug`, and when userspace debugs the vCPU the exit returns to it as KVM_EXIT_DEBUG (`loaded`).
 * An emulated privileged instruction (mfmsr/mtmsr) is a full exit whose handler runs in the host.
 */
import { assign, setup } from 'xstate';

/** Events the lifecycle machine takes. */
export type BookeLifecycleEvent =
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
        | 'VMM_SET_GUEST_DEBUG'
        | 'VCPU_RESET';
    };

const hook = (): void => {};

/** The Book E vCPU lifecycle machine; hook actions are placeholders a policy provides. */
export const bookeLifecycle = setup({
  types: { context: {} as { cpu: number }, events: {} as BookeLifecycleEvent },
  actions: {
    vcpuLoad: hook,
    vcpuPut: hook,
    guestEnter: hook,
    guestExit: hook,
    trap: hook,
    getReg: hook,
    setReg: hook,
    vcpuReset: hook,
    setGuestDebug: hook,
  },
}).createMachine({
  id: 'ppc-booke-vcpu',
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
        VMM_SET_GUEST_DEBUG: { actions: 'setGuestDebug' },
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
