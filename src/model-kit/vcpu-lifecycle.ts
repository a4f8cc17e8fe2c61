/**
 * The vCPU lifecycle every architecture shares (DESIGN §3), as one XState v5 machine builder:
 * unloaded → loaded → entering → guest ⇄ exiting → trapped → entering …, with the policy's hooks as
 * named placeholder actions. An architecture's `lifecycle.machine.ts` says where its world switch
 * runs and whether userspace can take the guest's debug resources, and documents its control flow.
 */
import { assign, setup } from 'xstate';

/** Events the lifecycle machines take; operands other than the CPU live in the world, not here. */
export type VcpuLifecycleEvent =
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
        | 'VCPU_RESET'
        | 'FASTPATH_EXIT'
        | 'REENTERED'
        | 'FASTPATH_EXIT_USERSPACE'
        | 'FASTPATH_EXIT_HANDLED'
        | 'FASTPATH_HANDLED'
        | 'HYP_READ_REG'
        | 'HYP_WRITE_REG'
        | 'RUN_RETURN';
    };

/** How an architecture's lifecycle differs from the shared shape. */
export interface VcpuLifecycleOptions {
  readonly id: string;
  /** The CPU context while the world switch (entering, exiting) runs: `hyp` for nVHE and Book E PR, `host` for VHE. */
  readonly switchContext: 'hyp' | 'host';
  /** Whether userspace can debug the vCPU with KVM_SET_GUEST_DEBUG (the `setGuestDebug` hook). */
  readonly guestDebug: boolean;
  /**
   * Whether some exits are handled on a fast path (x86 EXIT_FASTPATH_REENTER_GUEST): the exit's
   * `fastpath` hook runs with interrupts off in the `fastpath` state and the guest is re-entered
   * (REENTERED) without leaving the inner run loop, so neither guestExit nor guestEnter runs. When the
   * fast path asks to exit to userspace instead (x86 EXIT_FASTPATH_EXIT_USERSPACE, 6.12+),
   * FASTPATH_EXIT_USERSPACE leaves the loop through the normal exit path: `fastpath` -> `exiting`
   * running guestExit (reason `fastpath`: no exit handler runs), then EXITED as after any exit.
   * Where the run loop has no in-loop re-entry (x86 Linux 5.10 SVM, and VMX after an x2APIC ICR WRMSR: EXIT_FASTPATH_EXIT_HANDLED),
   * FASTPATH_EXIT_HANDLED goes the same way, `fastpath` -> `exiting` running guestExit (reason
   * `fastpath`), and FASTPATH_HANDLED ends the exit handling without a handler (`exiting` -> `trapped`,
   * no hook: 5.10 svm.c handle_exit returns 1 for any fast-path exit), from where the run loop enters again.
   */
  readonly fastPath?: boolean;
  /**
   * Whether the hypervisor's own accesses to guest registers while the vCPU is loaded are events
   * (`hypReadReg` / `hypWriteReg` hooks): they matter where registers stay on the CPU (VHE).
   */
  readonly hypAccess?: boolean;
  /**
   * Whether KVM_RUN's loop is told apart from its return to userspace (arm64 VHE): an exit leaves the
   * vCPU in the loop (`trapped`), a put there is a preemption (`preempted`, resumed by the next load),
   * and the loop returns to userspace by RUN_RETURN (hook `runReturn`, kvm_arch_vcpu_ioctl_run's
   * `out:` path) followed by vcpu_put. Userspace's ioctls then run only between KVM_RUNs (`loaded`).
   */
  readonly runLoop?: boolean;
  /**
   * Whether an exit handler can end KVM_RUN itself (x86: a trap handler returning 0 with
   * KVM_EXIT_DEBUG, kvm_skip_emulated_instruction -> kvm_vcpu_do_singlestep): EXITED then leads from
   * `trapped` to `loaded`, as it does from `exiting` after an exit userspace handles.
   */
  readonly handlerExits?: boolean;
}

const hook = (): void => {};

/** Builds an architecture's vCPU lifecycle machine. */
export function vcpuLifecycle(options: VcpuLifecycleOptions) {
  // In `loaded` and `trapped` the host runs with the vCPU loaded: exit handlers and ioctls may access its registers.
  const hypAccess = options.hypAccess
    ? { HYP_READ_REG: { actions: 'hypReadReg' as const }, HYP_WRITE_REG: { actions: 'hypWriteReg' as const } }
    : {};
  return setup({
    types: { context: {} as { cpu: number }, events: {} as VcpuLifecycleEvent },
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
      fastpath: hook,
      hypReadReg: hook,
      hypWriteReg: hook,
      runReturn: hook,
    },
  }).createMachine({
    id: options.id,
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
          ...(options.guestDebug ? { VMM_SET_GUEST_DEBUG: { actions: 'setGuestDebug' as const } } : {}),
          VCPU_RESET: { actions: 'vcpuReset' },
          ...hypAccess,
        },
      },
      entering: { meta: { cpu: options.switchContext }, on: { ENTERED: 'guest' } },
      guest: {
        meta: { cpu: 'guest' },
        on: {
          GUEST_EXIT: { target: 'exiting', actions: 'guestExit' },
          TRAP: { target: 'exiting', actions: 'guestExit' },
          GUEST_READ: { target: 'guest' },
          GUEST_WRITE: { target: 'guest' },
          GUEST_EXECUTE: { target: 'guest' },
          GUEST_ACCESS: { target: 'guest' },
          ...(options.fastPath ? { FASTPATH_EXIT: { target: 'fastpath' as const, actions: 'fastpath' as const } } : {}),
        },
      },
      ...(options.fastPath
        ? {
            fastpath: {
              meta: { cpu: options.switchContext },
              on: {
                REENTERED: 'guest' as const,
                FASTPATH_EXIT_USERSPACE: { target: 'exiting' as const, actions: 'guestExit' as const },
                FASTPATH_EXIT_HANDLED: { target: 'exiting' as const, actions: 'guestExit' as const },
              },
            },
          }
        : {}),
      exiting: {
        meta: { cpu: options.switchContext },
        on: {
          EXITED: options.runLoop ? 'trapped' : 'loaded',
          TRAPPED: { target: 'trapped', actions: 'trap' },
          ...(options.fastPath ? { FASTPATH_HANDLED: 'trapped' as const } : {}),
        },
      },
      trapped: {
        meta: { cpu: 'host' },
        on: {
          GUEST_ENTER: { target: 'entering', actions: 'guestEnter' },
          VCPU_PUT: { target: options.runLoop ? 'preempted' : 'unloaded', actions: ['vcpuPut', assign({ cpu: -1 })] },
          ...(options.runLoop ? { RUN_RETURN: { target: 'returning' as const, actions: 'runReturn' as const } } : {}),
          ...(options.handlerExits ? { EXITED: 'loaded' as const } : {}),
          ...hypAccess,
        },
      },
      ...(options.runLoop
        ? {
            // KVM_RUN returning to userspace: its `out:` path ran, vcpu_put follows.
            returning: { meta: { cpu: 'host' }, on: { VCPU_PUT: { target: 'unloaded', actions: ['vcpuPut', assign({ cpu: -1 })] } } },
            // Preempted inside KVM_RUN: the next vcpu_load resumes the loop where it was.
            preempted: {
              on: {
                VCPU_LOAD: {
                  target: 'trapped',
                  actions: [assign({ cpu: ({ event }) => (event.type === 'VCPU_LOAD' ? event.cpu : -1) }), 'vcpuLoad'],
                },
              },
            },
          }
        : {}),
    },
  });
}
