/**
 * Userspace's vCPU ioctls (KVM_GET/SET_ONE_REG, KVM_SET_GUEST_DEBUG) and vCPU reset, on top of the
 * lifecycle operations; `Executor` builds on this layer. Where the model says ioctls run with the vCPU
 * put (`ModelInstance.ioctlsPut`), each is vcpu_put, the ioctl, vcpu_load.
 */
import { CheckerCrash } from './executor-types.js';
import { E_VCPU_LOAD, E_VCPU_PUT, E_VCPU_RESET, E_VMM_GET_REG, E_VMM_SET_REG } from './lifecycle.js';
import { VcpuOperations } from './vcpu-operations.js';
import { CTX_HOST } from './world.js';

/** The ioctl layer of the executor. */
export abstract class VcpuIoctls extends VcpuOperations {
  /**
   * A userspace ioctl (lifecycle `event`, a transition without a state change) on vCPU `v`. With
   * `ModelInstance.ioctlsPut` it runs between two KVM_RUNs: vcpu_put, the ioctl's hook with the vCPU
   * on no CPU (its `k.host` that of the CPU the VMM thread last ran it on), then vcpu_load on that
   * CPU again; otherwise it is `fire`.
   */
  ioctl(v: number, event: number, a?: unknown, b?: unknown): unknown {
    if (!this.model.ioctlsPut) return this.fire(v, event, a, b);
    const lc = this.model.lifecycle;
    const i = (this.world.vcpuState[v] as number) * lc.events.length + event;
    if ((lc.next[i] as number) < 0) {
      throw new CheckerCrash(
        `Event ${lc.events[event]} is not enabled in state ${lc.states[this.world.vcpuState[v] as number]} of vCPU ${v}.`,
      );
    }
    if (this.coverage) this.coverage.transitions[i] = (this.coverage.transitions[i] as number) + 1;
    const w = this.world;
    const cpu = w.loadedOn[v] as number;
    // vcpu_put (its hook, then the vCPU on no CPU), the ioctl, vcpu_load: one event, settled once at
    // its end, as a hook doing all three would be; each hook's writes are observation points as ever.
    this.fire(v, this.own(E_VCPU_PUT));
    if (this.violation) return undefined;
    w.loadedOn[v] = -1;
    w.running[cpu] = -1;
    w.cpuContext[cpu] = CTX_HOST;
    const hook = lc.hook[i] as number;
    const value = hook >= 0 ? this.runHook(hook, v, cpu, a, b) : undefined;
    if (this.violation) return value;
    w.loadedOn[v] = cpu;
    w.running[cpu] = v;
    this.fireAndSettle(v, this.own(E_VCPU_LOAD));
    return value;
  }

  /** KVM_GET_ONE_REG. */
  vmmGet(v: number, reg: number): void {
    this.hookRead('getReg', 'vmm', v, reg, this.ioctl(v, this.own(E_VMM_GET_REG), reg));
  }

  /** KVM_SET_ONE_REG. */
  vmmSet(v: number, reg: number, value: number): void {
    this.setGuestIntent(v, reg, value);
    if (this.model.ioctlsPut) this.ioctl(v, this.own(E_VMM_SET_REG), reg, value);
    else this.fireAndSettle(v, this.own(E_VMM_SET_REG), reg, value);
  }

  /** vCPU reset: every guest-visible register goes back to its reset value. */
  resetVcpu(v: number): void {
    const reset = this.model.registers.reset;
    for (const reg of this.model.view.guestVisible) this.setGuestIntent(v, reg, reset[reg] as number);
    this.model.instruction?.reset?.(this.self, v);
    this.fireAndSettle(v, this.own(E_VCPU_RESET));
  }
}
