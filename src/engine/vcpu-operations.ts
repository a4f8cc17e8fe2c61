/**
 * What the events do to a vCPU, in the kernel's terms: lifecycle transitions with their hooks
 * (vcpu_load/put, KVM_RUN's entry and exit paths, trapped accesses, ONE_REG, reset), the guest's
 * register accesses (to hardware, or through the trap handler), and the ghost record of what the
 * guest and the host's debug users asked for. Models' event kinds call these.
 */
import type { Executor } from './execute.js';
import { CheckerCrash, EXIT_REASONS, POLICY_TOTAL, STOP } from './executor-types.js';
import { newTrapParams, returnedValueFault, setTrapParams, trapParamsFault } from './hook-results.js';
import type { Invariant, ReadObservation } from './invariant.js';
import {
  E_ENTERED,
  E_EXITED,
  E_GUEST_ENTER,
  E_GUEST_EXIT,
  E_GUEST_READ,
  E_GUEST_WRITE,
  E_RUN_RETURN,
  E_TRAP,
  E_TRAPPED,
  E_VCPU_LOAD,
  E_VCPU_PUT,
  HOOK_INDEX,
  type HookName,
  OWN_EVENTS,
} from './lifecycle.js';
import type { ModelInstance } from './model.js';
import { Observer } from './observer.js';
import type { Policy, TrapParams } from './policy.js';
import { hwWriteResult, writeResult } from './register-file.js';
import { CTX_HOST } from './world.js';

/** Lifecycle and register operations on top of hooks and observation points; `Executor` builds on it. */
export abstract class VcpuOperations extends Observer {
  /**
   * With coverage on: how often each lifecycle transition fired (`state * events + event`) and each
   * event kind was applied. Undefined (and free) otherwise.
   */
  coverage: { transitions: Float64Array; kinds: Float64Array } | undefined;
  /** The trap parameters passed to the policy's trap hooks (reused; see hook-results.ts). */
  private params: TrapParams = newTrapParams();
  /** Whether the last trap hook left its access to be executed again (TrapParams.retry). */
  private retry = false;
  /**
   * What the last trap hook returned, if a number (Hooks.trap): on x86, KVM_EXIT_DEBUG when the handler
   * ended KVM_RUN with a debug exit. Read by the model right after the access (InstructionHooks.after).
   */
  trapExit: number | undefined = undefined;
  /** An interrupt waiting in the run loop's interrupts-enabled window of `irqCpu` (see `interruptRunLoop`). */
  protected irqPending: ((x: Executor) => void) | undefined;
  private irqCpu = -1;
  /** Lifecycle machine event indices by name. */
  protected readonly ev: Record<string, number>;
  /** Machine event index of each of OWN_EVENTS (-1: the machine has no such event). */
  private readonly ownEvents: Int32Array;

  constructor(model: ModelInstance, policy: Policy, invariants: readonly Invariant[]) {
    super(model, policy, invariants);
    this.ev = Object.fromEntries(model.lifecycle.events.map((e, i) => [e, i]));
    this.ownEvents = Int32Array.from(OWN_EVENTS, (name) => this.ev[name] ?? -1);
  }

  /** Whether vCPU `v`'s lifecycle machine enables `event` in its current state. */
  can(v: number, event: number): boolean {
    const lc = this.model.lifecycle;
    return (lc.next[(this.world.vcpuState[v] as number) * lc.events.length + event] as number) >= 0;
  }

  /** Index of a lifecycle machine event by name. */
  lifecycleEvent(name: string): number {
    const e = this.ev[name];
    if (e === undefined) throw new CheckerCrash(`Lifecycle machine has no event ${name}.`);
    return e;
  }

  /** The machine event index of OWN_EVENTS[i]; throws as `lifecycleEvent` does when the machine lacks it. */
  protected own(i: number): number {
    const e = this.ownEvents[i] as number;
    return e >= 0 ? e : this.lifecycleEvent(OWN_EVENTS[i] as string);
  }

  /** Fires lifecycle `event` on vCPU `v`, running the transition's hook on the vCPU's CPU. */
  fire(v: number, event: number, a?: unknown, b?: unknown): unknown {
    const lc = this.model.lifecycle;
    const w = this.world;
    const i = (w.vcpuState[v] as number) * lc.events.length + event;
    const target = lc.next[i] as number;
    if (target < 0) {
      throw new CheckerCrash(`Event ${lc.events[event]} is not enabled in state ${lc.states[w.vcpuState[v] as number]} of vCPU ${v}.`);
    }
    if (target !== w.vcpuState[v]) this.mutations++;
    w.vcpuState[v] = target;
    if (this.coverage) this.coverage.transitions[i] = (this.coverage.transitions[i] as number) + 1;
    const cpu = w.loadedOn[v] as number;
    const ctx = lc.context[target] as number;
    if (cpu >= 0 && ctx >= 0) w.cpuContext[cpu] = ctx;
    this.model.transition?.(this.self, v, cpu, event, target);
    const hook = lc.hook[i] as number;
    return hook >= 0 ? this.runHook(hook, v, cpu, a, b) : undefined;
  }

  /**
   * Fires `event` on vCPU `v`, then settles its CPU with nothing in between, so that the settle may
   * rely on the hook's last clean observation point (`settleAfterHook`).
   */
  fireAndSettle(v: number, event: number, a?: unknown, b?: unknown): void {
    this.hookExitClean = false;
    this.fire(v, event, a, b);
    this.settleAfterHook(this.world.loadedOn[v] as number);
  }

  /** vcpu_load on `cpu`. */
  load(v: number, cpu: number): void {
    this.world.loadedOn[v] = cpu;
    this.world.running[cpu] = v;
    this.fireAndSettle(v, this.own(E_VCPU_LOAD));
  }

  /** vcpu_put. */
  put(v: number): void {
    const cpu = this.world.loadedOn[v] as number;
    this.fire(v, this.own(E_VCPU_PUT));
    this.world.loadedOn[v] = -1;
    this.world.running[cpu] = -1;
    this.world.cpuContext[cpu] = CTX_HOST;
    this.settle(cpu);
  }

  /** KVM_RUN returns to userspace: the run loop's way out (hook runReturn), then vcpu_put. */
  returnToUser(v: number): void {
    this.fire(v, this.own(E_RUN_RETURN));
    if (this.violation) return;
    this.settle(this.world.loadedOn[v] as number);
    if (this.violation) return;
    this.put(v);
  }

  /**
   * KVM_RUN's entry path with an interrupt arriving in the run loop before local_irq_disable(): the
   * guestEnter hook takes `irq` where it calls k.localIrqDisable(). A hook that never disables
   * interrupts cannot say where that is, which is reported as a policy-total finding.
   */
  interruptRunLoop(v: number, irq: (x: Executor) => void): void {
    this.irqPending = irq;
    this.irqCpu = this.world.loadedOn[v] as number;
    this.enter(v);
    if (this.irqPending === undefined) return;
    this.irqPending = undefined;
    this.record(POLICY_TOTAL, {
      message: 'guestEnter never called k.localIrqDisable(), so the run loop has no interrupts-enabled window to take an interrupt in',
      vcpu: v,
      cpu: this.irqCpu,
    });
  }

  protected takePendingIrq(): void {
    const irq = this.irqPending;
    if (irq === undefined || this.hookCpu !== this.irqCpu) return;
    this.irqPending = undefined;
    irq(this.self);
    if (this.violation) throw STOP;
  }

  /** Whether the policy (or the model's common code) provides hook `name`. */
  hasHook(name: HookName): boolean {
    return this.hookFns[HOOK_INDEX.get(name) ?? -1] !== undefined;
  }

  /**
   * Runs hook `name` on `cpu` outside the vCPU lifecycle (a host driver calling into KVM); the hook
   * sees the vCPU loaded there, if any. May run inside another hook (an interrupt taken in it).
   */
  hostHook(name: HookName, cpu: number, a?: unknown): unknown {
    return this.runHook(HOOK_INDEX.get(name) ?? -1, this.world.running[cpu] as number, cpu, a, undefined);
  }

  /** KVM_RUN's entry path up to the guest. */
  enter(v: number): void {
    this.fire(v, this.own(E_GUEST_ENTER));
    if (this.violation) return;
    this.fire(v, this.own(E_ENTERED));
    this.settle(this.world.loadedOn[v] as number);
  }

  /** A guest exit for `reason` (an index into EXIT_REASONS), back to the host's run loop. */
  exit(v: number, reason: number): void {
    this.fire(v, this.own(E_GUEST_EXIT), EXIT_REASONS[reason]);
    if (this.violation) return;
    this.fire(v, this.own(E_EXITED));
    this.settle(this.world.loadedOn[v] as number);
  }

  /** A guest register access that traps: a full exit, then the trap handler in the host; returns the value read. */
  trapAccess(v: number, reg: number, isWrite: boolean, value: number): number {
    this.fire(v, this.own(E_TRAP), 'trap');
    if (this.violation) return 0;
    const p = (this.params = setTrapParams(this.params, reg, isWrite, value));
    const exit = this.fire(v, this.own(E_TRAPPED), p);
    this.trapExit = typeof exit === 'number' ? exit : undefined;
    this.retry = Boolean(p.retry);
    return this.trapResult('trap', p, v, this.world.loadedOn[v] as number, reg, isWrite);
  }

  /** What trap hook `hook` left in `p`: the value a read gets; 0 and a policy-total finding when the hook left `p` wrong. */
  private trapResult(hook: string, p: TrapParams, v: number, cpu: number, reg: number, isWrite: boolean): number {
    if (this.violation) return 0;
    const fault = trapParamsFault(this.model.registers, hook, p, reg, isWrite);
    if (fault !== undefined) this.record(POLICY_TOTAL, { message: fault, vcpu: v, cpu });
    return fault === undefined ? p.regval : 0;
  }

  /**
   * Hook `hook` (KVM_GET_ONE_REG, the hypervisor's own read) returned `value` for `reg` of vCPU `v`:
   * a value of `reg`, or a policy-total finding; then what `by` read is observed and the vCPU's CPU settled.
   */
  hookRead(hook: string, by: ReadObservation['by'], v: number, reg: number, value: unknown): void {
    if (this.violation) return;
    const cpu = this.world.loadedOn[v] as number;
    const fault = returnedValueFault(this.model.registers, hook, reg, value);
    if (fault !== undefined) {
      this.record(POLICY_TOTAL, { message: fault, vcpu: v, cpu });
      return;
    }
    this.observeRead(by, v, cpu, reg, value as number);
    if (!this.violation) this.settle(cpu);
  }

  /**
   * After trapAccess: whether the handler left the access to be executed again (TrapParams.retry) and
   * the model took it (ModelInstance.retryAccess); without model support the access counts as done.
   */
  retried(v: number, reg: number, isWrite: boolean, value: number): boolean {
    if (!this.retry || !this.model.retryAccess) return false;
    this.retry = false;
    this.model.retryAccess(this.self, v, reg, isWrite, value);
    return true;
  }

  /**
   * The host's access to `reg` on `cpu` traps to the hypervisor: the policy's hostTrap hook (or the
   * model's) emulates it while the CPU stays in host context. Returns the value a read gets.
   */
  hostTrap(cpu: number, reg: number, isWrite: boolean, value: number): number {
    const v = this.world.running[cpu] as number;
    const p = (this.params = setTrapParams(this.params, reg, isWrite, value));
    this.runHook(HOST_TRAP, v, cpu, p, undefined);
    return this.trapResult('hostTrap', p, v, cpu, reg, isWrite);
  }

  /** The guest reads `reg`: from hardware, or through the trap handler when the access traps. */
  guestRead(v: number, reg: number): void {
    if (this.model.instruction?.before(this.self, v, 1) || this.violation) return;
    if (this.model.guestAccess?.(this.self, v, reg, false, 0)) return;
    const w = this.world;
    const cpu = w.loadedOn[v] as number;
    const o = cpu * this.regs;
    const trapped = this.model.traps(w.hw, o, reg, false);
    if (!trapped) this.fire(v, this.own(E_GUEST_READ));
    const value = trapped ? this.trapAccess(v, reg, false, 0) : (w.hw[o + reg] as number);
    if (this.violation) return;
    if (trapped && this.retried(v, reg, false, 0)) {
      this.settle(cpu);
      // Not executed, yet judged as a retried write is: what the handler returned for it (Executor.trapExit).
      if (!this.violation) this.model.instruction?.after(this.self, v, trapped, 1, reg, false);
      return;
    }
    this.observeRead(trapped ? 'trap' : 'guest', v, cpu, reg, value);
    // An untrapped read changes nothing: the state already passed its checks.
    if (trapped) this.settle(cpu);
    if (!this.violation) this.model.instruction?.after(this.self, v, trapped, 1, reg, false);
  }

  /** The guest writes `reg`: to hardware, or through the trap handler when the access traps. */
  guestWrite(v: number, reg: number, value: number): void {
    if (this.model.instruction?.before(this.self, v, 1) || this.violation) return;
    if (this.model.guestAccess?.(this.self, v, reg, true, value)) return;
    const w = this.world;
    const cpu = w.loadedOn[v] as number;
    const o = cpu * this.regs;
    const sem = this.model.registers.semantics[reg] as number;
    const i = v * this.regs + reg;
    const before = w.guestIntent[i] as number;
    const beforeAt = w.guestIntentAt[i] as number;
    this.setGuestIntent(v, reg, writeResult(sem, before, value));
    const trapped = this.model.traps(w.hw, o, reg, true);
    if (trapped) {
      this.trapAccess(v, reg, true, value);
      if (!this.violation && this.retried(v, reg, true, value)) {
        // Not executed yet: the guest's register keeps its value until the instruction runs again.
        w.guestIntent[i] = before;
        w.guestIntentAt[i] = beforeAt;
      }
    } else {
      this.fire(v, this.own(E_GUEST_WRITE));
      w.hw[o + reg] = hwWriteResult(this.model.registers, reg, w.hw[o + reg] as number, value);
    }
    if (this.violation) return;
    this.settle(cpu);
    if (!this.violation) this.model.instruction?.after(this.self, v, trapped, 1, reg, true);
  }

  /** Records that the guest's architectural value of `reg` is now `value`, set at this step. */
  setGuestIntent(v: number, reg: number, value: number): void {
    this.mutations++;
    const i = v * this.regs + reg;
    this.world.guestIntent[i] = value;
    this.world.guestIntentAt[i] = this.step;
  }

  /** Records that the host's debug users programmed `reg` on `cpu` to `value` at this step. */
  setHostIntent(cpu: number, reg: number, value: number): void {
    this.mutations++;
    const i = cpu * this.regs + reg;
    this.world.hostIntent[i] = value;
    this.world.hostIntentAt[i] = this.step;
  }
}

const HOST_TRAP = HOOK_INDEX.get('hostTrap') as number;
