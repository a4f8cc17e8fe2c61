import type { Executor } from '../engine/execute.js';
import type { TraceEvent } from '../engine/trace.js';

/**
 * What the common events (src/model-kit/events.ts, breakpoint-events.ts, operand-event.ts) are in the
 * kernel; a model's `kernelEvents` adds its own events and says what GUEST_ENTER is there.
 */
export const COMMON_KERNEL_EVENTS: Readonly<Record<string, string>> = {
  VCPU_LOAD: 'vcpu_load() -> kvm_arch_vcpu_load() (on another CPU: a migration)',
  VCPU_PUT: 'vcpu_put() -> kvm_arch_vcpu_put() (preemption, return to userspace)',
  GUEST_ENTER: 'KVM_RUN: the entry path to the guest',
  GUEST_EXIT: 'a guest exit (irq, hypercall, mmio, ...) back to the run loop',
  GUEST_READ: 'the guest reads a debug/system register (trapped or not, per the live trap configuration)',
  GUEST_WRITE: 'the guest writes a debug/system register (trapped or not, per the live trap configuration)',
  GUEST_EXECUTE: 'guest code runs at addr (breakpoints and single-step evaluated)',
  GUEST_ACCESS: 'guest data access at addr (watchpoints evaluated)',
  HOST_SET_BREAKPOINT: 'hw_breakpoint / ptrace: register_hw_breakpoint() -> arch_install_hw_breakpoint()',
  HOST_CLEAR_BREAKPOINT: 'hw_breakpoint / ptrace: arch_uninstall_hw_breakpoint()',
  HOST_EXECUTE: 'host code runs at addr',
  HOST_ACCESS: 'host data access at addr',
  VMM_GET_REG: 'KVM_GET_ONE_REG',
  VMM_SET_REG: 'KVM_SET_ONE_REG',
  VMM_SET_GUEST_DEBUG: 'KVM_SET_GUEST_DEBUG',
  VCPU_RESET: 'vCPU reset (KVM_ARM_VCPU_INIT, INIT)',
};

/** The kernel counterpart of each event type in `trace`, once each, in order of first appearance. */
export function kernelNames(x: Executor, trace: readonly TraceEvent[]): [event: string, kernel: string][] {
  const seen = new Set<string>();
  const out: [string, string][] = [];
  for (const e of trace) {
    if (seen.has(e.event)) continue;
    seen.add(e.event);
    const kernel = x.model.kernelEvents?.[e.event] ?? COMMON_KERNEL_EVENTS[e.event];
    if (kernel) out.push([e.event, kernel]);
  }
  return out;
}
