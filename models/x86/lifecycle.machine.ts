/**
 * The vCPU lifecycle of KVM/x86 (virt/kvm/kvm_main.c, arch/x86/kvm/x86.c vcpu_run and
 * vcpu_enter_guest). `entering` is vcpu_enter_guest with interrupts off up to VMLAUNCH/VMRUN, which
 * loads the guest's DR7 (and on VMX DEBUGCTL) from the VMCS/VMCB; `exiting` is the VM exit and the
 * code after the run loop (the dirty-DR sync, hw_breakpoint_restore) before interrupts are enabled
 * again; `trapped` is the exit handler (handle_dr / dr_interception) in the host. A fast-path exit
 * (a WRMSR handle_fastpath_set_msr_irqoff completes, EXIT_FASTPATH_REENTER_GUEST) re-enters from inside
 * the loop: `fastpath` runs with interrupts off and neither the entry nor the exit path runs. When the
 * fast path returns EXIT_FASTPATH_EXIT_USERSPACE instead (6.12+, f7f39c50edb9: skipping the WRMSR
 * reported userspace's single-step, kvm_skip_emulated_instruction -> KVM_EXIT_DEBUG), vcpu_enter_guest
 * breaks out of the loop and runs the code after it, as an exit does, then returns 0 without calling
 * handle_exit: FASTPATH_EXIT_USERSPACE goes from `fastpath` to `exiting` running guestExit (reason
 * `fastpath`), and EXITED to `loaded`. Linux 5.10's SVM had no in-loop re-entry, and its VMX re-entered
 * only after a TSC-deadline WRMSR: svm_vcpu_run (and vmx_vcpu_run after an x2APIC ICR WRMSR) returned
 * the fast path's EXIT_FASTPATH_EXIT_HANDLED to vcpu_enter_guest, which ran its exit path and
 * handle_exit (`if (exit_fastpath != EXIT_FASTPATH_NONE) return 1;`), and vcpu_run entered again:
 * FASTPATH_EXIT_HANDLED goes from `fastpath` to `exiting` running guestExit (reason `fastpath`), and
 * FASTPATH_HANDLED to `trapped` with no hook, where GUEST_ENTER is the next run. A #DB is always intercepted: an exit with reason
 * `debug` that returns to userspace (KVM_EXIT_DEBUG) or re-enters after injecting it. An exit handler
 * that ends KVM_RUN itself (the single-step of the instruction it emulated: kvm_skip_emulated_instruction
 * -> kvm_vcpu_do_singlestep returns 0 with KVM_EXIT_DEBUG) goes from `trapped` to `loaded` by EXITED.
 */
import { vcpuLifecycle } from '../../src/model-kit/vcpu-lifecycle.js';

/** The x86 vCPU lifecycle machine, shared by VMX and SVM; hook actions are placeholders a policy provides. */
export const x86Lifecycle = vcpuLifecycle({ id: 'x86-vcpu', switchContext: 'hyp', guestDebug: true, fastPath: true, handlerExits: true });
