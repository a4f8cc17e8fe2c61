import type { DeliveryObservation, Finding, HitObservation, Invariant, ReadObservation, Violation } from './invariant.js';
import { HOOK_NAMES, type HookName } from './lifecycle.js';
import type { EventKind, ModelInstance } from './model.js';
import type { HookContext, Hooks, Hw, Policy, TrapParams } from './policy.js';
import { fitsRegister, hwWriteResult, writeResult } from './register-file.js';
import { CTX_HOST, World } from './world.js';

/** Thrown through a policy hook to stop it at an observation point where an invariant broke. */
const STOP: unknown = Object.freeze({ worldswitch: 'stop' });

/** The checker itself, or an invariant, threw: not a finding about the policy (exit code 3). */
export class CheckerCrash extends Error {
  readonly code = 'ERR_CHECKER_CRASH';
}

/** Register accesses one hook may make before it counts as looping. */
export const HOOK_ACCESS_BUDGET = 10_000;

/** The name of the invariant the executor reports a policy's own failures under. */
export const POLICY_TOTAL = 'policy-total';

/** A WARN() a policy hook raised, kept for the report. */
export interface Warning {
  readonly step: number;
  readonly hook: string;
  readonly message: string;
}

/**
 * Shared memory a watchdog thread reads while a check runs in a worker: `beat` [heartbeat, hook
 * index + 1 of the hook running (0 none), steps of the current run, runs started]; `trace` the
 * current run's events. A hook that stops beating is a hook that does not return.
 */
export interface Watch {
  readonly beat: Int32Array;
  readonly trace: Float64Array;
}

/**
 * One entry of a hook's hardware accesses, logged only while a report is rendered (`accessLog`):
 * a hook starting (or resuming after a hook nested in it), a read, or a write. A read or write
 * whose `value`/`write` is undefined faulted before it happened (UNDEFINED register, budget).
 */
export interface HookAccess {
  readonly kind: 'hook' | 'resume' | 'read' | 'write' | 'deliver';
  /** The hook; for `deliver`, who received the debug exception (`host`, `guest`, `vmm`). */
  readonly hook: string;
  readonly cpu: number;
  /** How many hooks this one runs inside (0: called by the event itself). */
  readonly depth: number;
  readonly reg: number;
  /** The value read, or the value the hook wrote. */
  value: number | undefined;
  /** A write's number within its hook, as observation points count them ("after hardware write #2"). */
  write: number | undefined;
  /** What the register holds after the write, when that differs from the value written (w1c, fixed-1 bits). */
  result: number | undefined;
}

/** Number of Float64 words one event occupies in a trace buffer: the kind and up to five operands. */
export const EVENT_WIDTH = 6;

type HookFn = (k: HookContext<unknown, unknown>, a?: unknown, b?: unknown) => unknown;

/** Exit reasons a guest exit hook receives; `trap`, `debug` and `step` (a software-step exception) are raised by the hardware model. */
export const EXIT_REASONS = ['irq', 'hvc', 'mmio', 'trap', 'debug', 'step'] as const;

/** One of EXIT_REASONS: what a policy's guestExit hook receives. */
export type ExitReason = (typeof EXIT_REASONS)[number];

/**
 * Executes events against one world with one policy and checks invariants at every observation
 * point: after every hardware write inside a hook and after every event. One executor is reused
 * across runs (reset in place), so a run allocates nothing unless it finds a violation.
 */
export class Executor {
  readonly world: World;
  readonly regs: number;
  readonly kinds: readonly EventKind[];
  /** 1-based index of the event being executed. */
  step = 0;
  violation: Violation | undefined;
  readonly warnings: Warning[] = [];
  /** Cycles charged for hardware accesses since the last reset (DESIGN §6 cost). */
  cycles = 0;
  hwAccesses = 0;
  /** Events executed since the executor was made, across runs. */
  eventsExecuted = 0;
  /** WARN()s policy hooks reached since the executor was made, across runs. */
  warningsHit = 0;
  /**
   * Counts everything that can change the world: hooks run (they may write memory), hardware
   * writes, intent changes, lifecycle transitions that change a state. Unchanged across an event
   * means the event changed nothing (exploration skips packing such states).
   */
  mutations = 0;
  /**
   * With coverage on: how often each lifecycle transition fired (`state * events + event`) and each
   * event kind was applied. Undefined (and free) otherwise.
   */
  coverage: { transitions: Float64Array; kinds: Float64Array } | undefined;
  /** Set by a worker-run check so a watchdog can see a hook that never returns. */
  watch: Watch | undefined;
  /**
   * Set by a report renderer while it re-executes a trace: every hook start and hardware access is
   * appended, in order. Undefined (one branch per access, no allocation) on the checking path.
   */
  accessLog: HookAccess[] | undefined;
  /** The trap parameters passed to the policy's trap hook (reused). */
  readonly params: TrapParams = { reg: 0, isWrite: false, regval: 0 };

  /** Names of the invariants this executor checks (an invariant may leave a case to another one it knows is on). */
  readonly checking: ReadonlySet<string>;
  private readonly initial: World;
  private readonly stateChecks: Invariant[][];
  private readonly readChecks: Invariant[];
  private readonly hitChecks: Invariant[];
  private readonly deliveryChecks: Invariant[];
  private readonly hookFns: (HookFn | undefined)[];
  private readonly vcpuViews: unknown[];
  private readonly hostViews: unknown[];
  private readonly k: {
    hw: Hw;
    vcpu: unknown;
    host: unknown;
    readonly cpu: number;
    bug(m: string): never;
    warn(m: string): void;
    localIrqDisable(): void;
  };
  /** An interrupt waiting in the run loop's interrupts-enabled window of `irqCpu` (see `interruptRunLoop`). */
  private irqPending: ((x: Executor) => void) | undefined;
  private irqCpu = -1;
  /** Set once any hook asked for its CPU number (k.cpu or k.host.cpu): CPU symmetry is then unsound. */
  cpuNumberRead = false;
  private readonly enabledWeight: Float64Array;
  /** The CPU the running hook runs on (-1 outside hooks). */
  private hookCpu = -1;
  private hookIndex = -1;
  private hookOps = 0;
  private hookWrites = 0;
  private lastReg = 0;
  private lastValue = 0;
  private readonly read: ReadObservation = { by: 'guest', vcpu: 0, cpu: 0, reg: 0, value: 0 };
  private readonly ev: Record<string, number>;
  /** Machine event index of each of OWN_EVENTS (-1: the machine has no such event). */
  private readonly ownEvents: Int32Array;

  constructor(
    readonly model: ModelInstance,
    readonly policy: Policy,
    invariants: readonly Invariant[],
    generic: readonly EventKind[],
  ) {
    const { registers, memory, config, lifecycle } = model;
    this.regs = registers.count;
    const shape = {
      cpus: config.cpus ?? 2,
      vcpus: config.vcpus ?? 1,
      regs: registers.count,
      vcpuAreas: memory.vcpuAreas.length,
      hostAreas: memory.hostAreas.length,
      vcpuScalars: memory.vcpuScalars.length + SCRATCH_WORDS,
      hostScalars: (memory.hostScalars?.length ?? 0) + HOST_SCRATCH_WORDS,
      cpuGhost: model.ghost?.cpu.length ?? 0,
      vcpuGhost: model.ghost?.vcpu.length ?? 0,
    };
    this.world = new World(shape);
    this.initial = new World(shape);
    this.initial.running.fill(-1);
    this.initial.loadedOn.fill(-1);
    this.initial.vcpuState.fill(lifecycle.initial);
    model.reset(this.initial);
    this.world.copyFrom(this.initial);
    this.kinds = [...generic, ...model.events];
    this.enabledWeight = new Float64Array(this.kinds.length);
    this.stateChecks = [0, 1, 2].map((c) => invariants.filter((i) => i.state && (i.contexts ?? 7) & (1 << c)));
    this.readChecks = invariants.filter((i) => i.read);
    this.hitChecks = invariants.filter((i) => i.hit);
    this.deliveryChecks = invariants.filter((i) => i.delivery);
    this.checking = new Set(invariants.map((i) => i.name));
    const defaults = model.defaultHooks as Hooks<unknown, unknown>;
    const hooks = policy.hooks as Hooks<unknown, unknown>;
    this.hookFns = HOOK_NAMES.map((h) => (hooks[h] ?? defaults[h]) as HookFn | undefined);
    this.vcpuViews = Array.from({ length: shape.vcpus }, (_, v) => this.makeVcpuView(v));
    this.hostViews = Array.from({ length: shape.cpus }, (_, c) => this.makeHostView(c));
    const x = this;
    this.k = {
      hw: { read: (reg) => x.hwRead(reg), write: (reg, value) => x.hwWrite(reg, value) },
      vcpu: undefined,
      host: undefined,
      // smp_processor_id(): a policy that asks depends on CPU numbers, which CPU symmetry must know.
      get cpu(): number {
        x.cpuNumberRead = true;
        return x.hookCpu;
      },
      bug(message: string): never {
        return x.stopTotal(`BUG() in ${x.hookName()}: ${message}`);
      },
      warn(message: string) {
        x.warningsHit++;
        x.warnings.push({ step: x.step, hook: x.hookName(), message });
      },
      localIrqDisable() {
        x.takePendingIrq();
      },
    };
    this.ev = Object.fromEntries(lifecycle.events.map((e, i) => [e, i]));
    this.ownEvents = Int32Array.from(OWN_EVENTS, (name) => this.ev[name] ?? -1);
    // A gate the machine lacks stays with `enabled`, which reports it as lifecycleEvent does.
    this.kindGates = Int32Array.from(this.kinds, (kind) =>
      kind.needsHook !== undefined && !this.hasHook(kind.needsHook as HookName)
        ? NEVER
        : kind.hostGate
          ? HOST_GATE
          : kind.gate === undefined
            ? -1
            : (this.ev[kind.gate] ?? -1),
    );
    this.enabledCounts = new Int32Array(lifecycle.events.length);
    const E = lifecycle.events.length;
    this.enabledIn = lifecycle.states.map((_, s) =>
      Int32Array.from(lifecycle.events.keys()).filter((e) => (lifecycle.next[s * E + e] as number) >= 0),
    );
  }

  /** Starts counting lifecycle transitions and events (see `coverage`). */
  enableCoverage(): void {
    const lc = this.model.lifecycle;
    this.coverage = { transitions: new Float64Array(lc.states.length * lc.events.length), kinds: new Float64Array(this.kinds.length) };
  }

  /** Puts the world back into its initial state and forgets the last run. */
  reset(): void {
    this.world.copyFrom(this.initial);
    this.step = 0;
    this.violation = undefined;
    this.irqPending = undefined;
    this.warnings.length = 0;
    this.cycles = 0;
    this.hwAccesses = 0;
  }

  /** The initial world (read-only by convention). */
  get initialWorld(): World {
    return this.initial;
  }

  /**
   * Decodes the raw choice `c` into the `c`-th enabled event (weighted by kind) and writes it to `ev`.
   * Returns false when no event is enabled.
   */
  decode(c: number, ev: Float64Array): boolean {
    this.refreshEnabled();
    const kinds = this.kinds;
    const w = this.enabledWeight;
    let total = 0;
    const gates = this.kindGates;
    const counts = this.enabledCounts;
    for (let i = 0; i < kinds.length; i++) {
      const kind = kinds[i] as EventKind;
      const gate = gates[i] as number;
      const on =
        gate >= 0 ? (counts[gate] as number) > 0 : gate === HOST_GATE ? this.hostCpus > 0 : gate === NEVER ? false : kind.enabled(this);
      const weight = on ? kind.weight : 0;
      w[i] = weight;
      total += weight;
    }
    if (total === 0) return false;
    let pick = c % total;
    const r = Math.floor(c / total);
    for (let i = 0; i < kinds.length; i++) {
      const weight = w[i] as number;
      if (pick < weight) {
        for (let k = 0; k < EVENT_WIDTH; k++) ev[k] = 0;
        ev[0] = i;
        (kinds[i] as EventKind).decode(this, r, ev);
        return true;
      }
      pick -= weight;
    }
    return false;
  }

  /** Executes one concrete event; afterwards `violation` says whether an invariant broke. */
  apply(ev: Float64Array): void {
    this.step++;
    if (this.step >= this.stepKinds.length) this.stepKinds = growKinds(this.stepKinds, this.step);
    this.stepKinds[this.step] = ev[0] as number;
    this.eventsExecuted++;
    if (this.coverage) this.coverage.kinds[ev[0] as number] = (this.coverage.kinds[ev[0] as number] as number) + 1;
    (this.kinds[ev[0] as number] as EventKind).apply(this, ev);
  }

  /** Runs the events a list of raw choices decodes to, from the initial world; returns the steps taken. */
  runChoices(choices: readonly number[], trace?: Float64Array): number {
    this.reset();
    const ev = this.scratchEvent;
    const watch = this.watch;
    if (watch) watch.beat[3] = (watch.beat[3] as number) + 1;
    let n = 0;
    for (const c of choices) {
      if (!this.decode(c, ev)) break;
      if (trace) copyEvent(ev, trace, n * EVENT_WIDTH);
      n++;
      if (watch && n * EVENT_WIDTH <= watch.trace.length) {
        copyEvent(ev, watch.trace, (n - 1) * EVENT_WIDTH);
        watch.beat[2] = n;
      }
      this.apply(ev);
      if (this.violation) break;
    }
    return n;
  }

  private readonly scratchEvent = new Float64Array(EVENT_WIDTH);
  /** The event kind applied at each step of the current run (index = step), for blame in messages. */
  private stepKinds: Int32Array = new Int32Array(64);

  /**
   * The type of the event applied at `step` of the current run (`GUEST_WRITE`, `VMM_SET_REG`, …),
   * or undefined for step 0 (the initial state). Invariants use it to name who set a value.
   */
  eventAt(step: number): string | undefined {
    if (step <= 0 || step > this.step) return undefined;
    return this.kinds[this.stepKinds[step] as number]?.type;
  }

  /**
   * How many vCPUs' machines enable lifecycle event `e` in the current step. Valid only while
   * `decode` runs (EventKind.enabled and .decode); elsewhere use `can`.
   */
  vcpusEnabling(e: number): number {
    return this.enabledCounts[e] as number;
  }

  /** How many CPUs run host code in the current step (valid only while `decode` runs). */
  hostCpuCount(): number {
    return this.hostCpus;
  }

  private readonly enabledCounts: Int32Array;
  /** Per lifecycle state: the machine events it enables (what `refreshEnabled` counts). */
  private readonly enabledIn: readonly Int32Array[];
  /** Per event kind: the machine event of its `gate` (decode tests `enabledCounts`), HOST_GATE, NEVER, or -1 (decode calls `enabled`). */
  private readonly kindGates: Int32Array;
  private hostCpus = 0;

  private refreshEnabled(): void {
    const w = this.world;
    const counts = this.enabledCounts;
    for (let e = 0; e < counts.length; e++) counts[e] = 0;
    for (let v = 0; v < w.vcpuState.length; v++) {
      const list = this.enabledIn[w.vcpuState[v] as number] as Int32Array;
      for (let k = 0; k < list.length; k++) {
        const e = list[k] as number;
        counts[e] = (counts[e] as number) + 1;
      }
    }
    let h = 0;
    for (let c = 0; c < w.cpuContext.length; c++) if (w.cpuContext[c] === CTX_HOST) h++;
    this.hostCpus = h;
  }

  // ---- lifecycle operations the events call ------------------------------------------------

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
  private own(i: number): number {
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
    this.model.transition?.(this, v, cpu, event, target);
    const hook = lc.hook[i] as number;
    return hook >= 0 ? this.runHook(hook, v, cpu, a, b) : undefined;
  }

  /** vcpu_load on `cpu`. */
  load(v: number, cpu: number): void {
    this.world.loadedOn[v] = cpu;
    this.world.running[cpu] = v;
    this.fire(v, this.own(E_VCPU_LOAD));
    this.settle(cpu);
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

  private takePendingIrq(): void {
    const irq = this.irqPending;
    if (irq === undefined || this.hookCpu !== this.irqCpu) return;
    this.irqPending = undefined;
    irq(this);
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
    const p = this.params;
    p.reg = reg;
    p.isWrite = isWrite;
    p.regval = value;
    p.retry = false;
    this.fire(v, this.own(E_TRAPPED), p);
    return p.regval;
  }

  /**
   * After trapAccess: whether the handler left the access to be executed again (TrapParams.retry) and
   * the model took it (ModelInstance.retryAccess); without model support the access counts as done.
   */
  retried(v: number, reg: number, isWrite: boolean, value: number): boolean {
    if (!this.params.retry || !this.model.retryAccess) return false;
    this.params.retry = false;
    this.model.retryAccess(this, v, reg, isWrite, value);
    return true;
  }

  /**
   * The host's access to `reg` on `cpu` traps to the hypervisor: the policy's hostTrap hook (or the
   * model's) emulates it while the CPU stays in host context. Returns the value a read gets.
   */
  hostTrap(cpu: number, reg: number, isWrite: boolean, value: number): number {
    const p = this.params;
    p.reg = reg;
    p.isWrite = isWrite;
    p.regval = value;
    this.runHook(HOST_TRAP, this.world.running[cpu] as number, cpu, p, undefined);
    return p.regval;
  }

  /** The guest reads `reg`: from hardware, or through the trap handler when the access traps. */
  guestRead(v: number, reg: number): void {
    if (this.model.instruction?.before(this, v, 1) || this.violation) return;
    if (this.model.guestAccess?.(this, v, reg, false, 0)) return;
    const w = this.world;
    const cpu = w.loadedOn[v] as number;
    const o = cpu * this.regs;
    const trapped = this.model.traps(w.hw, o, reg, false);
    if (!trapped) this.fire(v, this.own(E_GUEST_READ));
    const value = trapped ? this.trapAccess(v, reg, false, 0) : (w.hw[o + reg] as number);
    if (this.violation) return;
    if (trapped && this.retried(v, reg, false, 0)) {
      this.settle(cpu);
      return;
    }
    this.observeRead(trapped ? 'trap' : 'guest', v, cpu, reg, value);
    // An untrapped read changes nothing: the state already passed its checks.
    if (trapped) this.settle(cpu);
    if (!this.violation) this.model.instruction?.after(this, v, trapped, 1);
  }

  /** The guest writes `reg`: to hardware, or through the trap handler when the access traps. */
  guestWrite(v: number, reg: number, value: number): void {
    if (this.model.instruction?.before(this, v, 1) || this.violation) return;
    if (this.model.guestAccess?.(this, v, reg, true, value)) return;
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
    if (!this.violation) this.model.instruction?.after(this, v, trapped, 1);
  }

  /** KVM_GET_ONE_REG. */
  vmmGet(v: number, reg: number): void {
    const value = this.fire(v, this.own(E_VMM_GET_REG), reg) as number;
    if (this.violation) return;
    const cpu = this.world.loadedOn[v] as number;
    this.observeRead('vmm', v, cpu, reg, Number(value));
    if (this.violation) return;
    this.settle(cpu);
  }

  /** KVM_SET_ONE_REG. */
  vmmSet(v: number, reg: number, value: number): void {
    this.setGuestIntent(v, reg, value);
    this.fire(v, this.own(E_VMM_SET_REG), reg, value);
    this.settle(this.world.loadedOn[v] as number);
  }

  /** vCPU reset: every guest-visible register goes back to its reset value. */
  resetVcpu(v: number): void {
    const reset = this.model.registers.reset;
    for (const reg of this.model.view.guestVisible) this.setGuestIntent(v, reg, reset[reg] as number);
    this.fire(v, this.own(E_VCPU_RESET));
    this.settle(this.world.loadedOn[v] as number);
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

  // ---- observation points ---------------------------------------------------------------------

  /** Checks the state invariants that apply to `cpu`'s context; records and returns true on a violation. */
  checkState(cpu: number): boolean {
    if (cpu < 0 || this.violation) return this.violation !== undefined;
    const list = this.stateChecks[this.world.cpuContext[cpu] as number] as Invariant[];
    for (let i = 0; i < list.length; i++) {
      const inv = list[i] as Invariant;
      let f: Finding | undefined;
      try {
        f = (inv.state as NonNullable<Invariant['state']>)(this, cpu);
      } catch (e) {
        throw crash(inv, e);
      }
      if (f) {
        this.record(inv.name, f);
        this.alsoBroke(list, i, (j) => (j.state as NonNullable<Invariant['state']>)(this, cpu));
        return true;
      }
    }
    return false;
  }

  /**
   * After `list[i]` broke (and was recorded), the invariants checked after it at the same
   * observation point that break too: the report lists them under the one it names. Runs only on a
   * violation, never on the hot path.
   */
  private alsoBroke(list: readonly Invariant[], i: number, run: (inv: Invariant) => Finding | undefined): void {
    const v = this.violation;
    if (v === undefined || list[i]?.name !== v.invariant || v.step !== this.step) return;
    const also: { invariant: string; message: string }[] = [];
    for (let j = i + 1; j < list.length; j++) {
      const inv = list[j] as Invariant;
      let f: Finding | undefined;
      try {
        f = run(inv);
      } catch (e) {
        throw crash(inv, e);
      }
      if (f) also.push({ invariant: inv.name, message: f.message });
    }
    if (also.length > 0) this.violation = { ...v, also };
  }

  /** The end of an event: the hardware acts (model.observe), then state invariants on the CPU it ran on. */
  settle(cpu: number): void {
    if (this.violation) return;
    if (cpu >= 0 && this.model.observe) {
      this.model.observe(this, cpu, false);
      if (this.violation) return;
    }
    this.checkState(cpu);
  }

  /** Whether a policy hook is running (observation points inside hooks are mid-switch states). */
  get inHook(): boolean {
    return this.hookIndex >= 0;
  }

  /** Runs the read invariants on a value someone read. */
  observeRead(by: ReadObservation['by'], vcpu: number, cpu: number, reg: number, value: number): void {
    const r = this.read;
    r.by = by;
    r.vcpu = vcpu;
    r.cpu = cpu;
    r.reg = reg;
    r.value = value;
    const list = this.readChecks;
    for (let i = 0; i < list.length; i++) {
      const inv = list[i] as Invariant;
      let f: Finding | undefined;
      try {
        f = (inv.read as NonNullable<Invariant['read']>)(this, r);
      } catch (e) {
        throw crash(inv, e);
      }
      if (f) {
        this.record(inv.name, f);
        this.alsoBroke(list, i, (j) => (j.read as NonNullable<Invariant['read']>)(this, r));
        return;
      }
    }
  }

  /** Runs the hit invariants on a debug event evaluated by the hardware model. */
  observeHit(h: HitObservation): void {
    const list = this.hitChecks;
    for (let i = 0; i < list.length; i++) {
      const inv = list[i] as Invariant;
      let f: Finding | undefined;
      try {
        f = (inv.hit as NonNullable<Invariant['hit']>)(this, h);
      } catch (e) {
        throw crash(inv, e);
      }
      if (f) {
        this.record(inv.name, f);
        this.alsoBroke(list, i, (j) => (j.hit as NonNullable<Invariant['hit']>)(this, h));
        return;
      }
    }
  }

  /** Runs the delivery invariants on a debug interrupt the hardware model took. */
  observeDelivery(d: DeliveryObservation): void {
    this.accessLog?.push({
      kind: 'deliver',
      hook: d.to,
      cpu: d.cpu,
      depth: this.nesting,
      reg: -1,
      value: d.status,
      write: undefined,
      result: undefined,
    });
    const list = this.deliveryChecks;
    for (let i = 0; i < list.length; i++) {
      const inv = list[i] as Invariant;
      let f: Finding | undefined;
      try {
        f = (inv.delivery as NonNullable<Invariant['delivery']>)(this, d);
      } catch (e) {
        throw crash(inv, e);
      }
      if (f) {
        this.record(inv.name, f);
        this.alsoBroke(list, i, (j) => (j.delivery as NonNullable<Invariant['delivery']>)(this, d));
        return;
      }
    }
  }

  // ---- hooks and their hardware accesses -------------------------------------------------------

  private runHook(hook: number, v: number, cpu: number, a: unknown, b: unknown): unknown {
    const fn = this.hookFns[hook];
    if (fn === undefined) return undefined;
    if (this.hookIndex >= 0) return this.runNestedHook(hook, v, cpu, a, b);
    this.mutations++;
    this.hookIndex = hook;
    this.hookCpu = cpu;
    const watch = this.watch;
    if (watch) {
      Atomics.add(watch.beat, 0, 1);
      watch.beat[1] = hook + 1;
    }
    this.hookOps = 0;
    this.hookWrites = 0;
    if (this.accessLog) this.logAccess('hook', -1, undefined);
    const k = this.k;
    k.vcpu = v >= 0 ? this.vcpuViews[v] : undefined;
    k.host = cpu >= 0 ? this.hostViews[cpu] : undefined;
    try {
      const r = fn(k, a, b);
      if (r !== null && (typeof r === 'object' || typeof r === 'function') && isThenable(r)) this.asyncHook(r, v, cpu);
      return r;
    } catch (e) {
      if (e === STOP) return undefined;
      if (e instanceof CheckerCrash) throw e;
      this.record(POLICY_TOTAL, { message: `${this.hookName()} threw: ${describeError(e)}`, vcpu: v, cpu });
      return undefined;
    } finally {
      this.hookIndex = -1;
      this.hookCpu = -1;
      if (watch) watch.beat[1] = 0;
    }
  }

  /**
   * A watchdog ended the running hook mid-way (terminated, so its `finally` blocks did not run):
   * records `what` it did as a policy-total finding at the current step and leaves the hook.
   */
  hookTimedOut(what: string): void {
    const cpu = this.hookCpu;
    this.violation = undefined;
    this.record(POLICY_TOTAL, { message: `${this.hookName()} ${what}`, cpu });
    this.hookIndex = -1;
    this.hookCpu = -1;
    if (this.watch) this.watch.beat[1] = 0;
  }

  /** A hook run from inside another (an interrupt taken in it): the outer hook resumes as it was. */
  private runNestedHook(hook: number, v: number, cpu: number, a: unknown, b: unknown): unknown {
    const { hookIndex, hookCpu, hookOps, hookWrites, lastReg, lastValue } = this;
    const { vcpu, host } = this.k;
    this.hookIndex = -1;
    this.nesting++;
    try {
      return this.runHook(hook, v, cpu, a, b);
    } finally {
      this.nesting--;
      Object.assign(this, { hookIndex, hookCpu, hookOps, hookWrites, lastReg, lastValue });
      this.k.vcpu = vcpu;
      this.k.host = host;
      if (this.watch) this.watch.beat[1] = hookIndex + 1;
      if (this.accessLog) this.logAccess('resume', -1, undefined);
    }
  }

  /**
   * A hook returned a Promise (an async function) or another thenable: what it does after its
   * first `await` would run outside the step it belongs to, unchecked. A policy-total finding.
   */
  private asyncHook(r: object, v: number, cpu: number): void {
    // A native promise that later rejects must not end the process (an unhandled rejection).
    if (r instanceof Promise) Promise.prototype.then.call(r, undefined, () => {});
    this.record(POLICY_TOTAL, {
      message: `${this.hookName()} returned a Promise (an async hook?): hooks run synchronously, as the kernel code they model does`,
      vcpu: v,
      cpu,
    });
  }

  /** How many hooks the running hook is nested in (an interrupt taken inside a hook). */
  private nesting = 0;

  private hookName(): string {
    return HOOK_NAMES[this.hookIndex] ?? 'a hook';
  }

  private hwRead(reg: number): number {
    const logged = this.accessLog ? this.logAccess('read', reg, undefined) : undefined;
    this.checkAccess(reg, 'reads');
    this.cycles += this.model.readCost(reg);
    const value = this.world.hw[this.hookCpu * this.regs + reg] as number;
    if (logged) logged.value = value;
    return value;
  }

  private logAccess(kind: HookAccess['kind'], reg: number, value: number | undefined): HookAccess {
    const entry: HookAccess = {
      kind,
      hook: this.hookName(),
      cpu: this.hookCpu,
      depth: this.nesting,
      reg,
      value,
      write: undefined,
      result: undefined,
    };
    this.accessLog?.push(entry);
    return entry;
  }

  private hwWrite(reg: number, value: number): void {
    const logged = this.accessLog ? this.logAccess('write', reg, value) : undefined;
    this.checkAccess(reg, 'writes');
    const sem = this.model.registers.semantics[reg] as number;
    if (sem === 1) this.stopTotal(`${this.hookName()} writes read-only ${this.model.registers.names[reg]} (UNDEFINED).`);
    if (typeof value !== 'number' || !fitsRegister(this.model.registers, reg, value)) this.badValue(reg, value);
    this.cycles += this.model.writeCost(reg);
    this.mutations++;
    const o = this.hookCpu * this.regs + reg;
    this.world.hw[o] = hwWriteResult(this.model.registers, reg, this.world.hw[o] as number, value);
    this.hookWrites++;
    this.lastReg = reg;
    this.lastValue = value;
    if (logged) {
      logged.write = this.hookWrites;
      if (this.world.hw[o] !== value) logged.result = this.world.hw[o] as number;
    }
    // The hook's own next instruction runs on this hardware: the model may latch or take a debug event.
    if (this.model.observe) {
      this.model.observe(this, this.hookCpu, true);
      if (this.violation) throw STOP;
    }
    if (this.checkState(this.hookCpu)) throw STOP;
  }

  private checkAccess(reg: number, verb: string): void {
    this.hwAccesses++;
    if (++this.hookOps > HOOK_ACCESS_BUDGET) {
      this.stopTotal(`${this.hookName()} made more than ${HOOK_ACCESS_BUDGET} register accesses: it does not terminate.`);
    }
    if (this.hookCpu < 0) this.stopTotal(`${this.hookName()} ${verb} a register while the vCPU is on no CPU.`);
    const r = this.model.registers;
    // `(reg | 0) === reg`: a register id is one of the model's numbers, never a string, fraction or undefined.
    if ((reg | 0) !== reg && reg !== undefined) {
      this.stopTotal(
        `${this.hookName()} calls k.hw.${verb === 'reads' ? 'read' : 'write'}(${describeValue(reg)}, …): a register id is one of the model's numbers (import the register names from worldswitch/<arch>).`,
      );
    }
    if (!(reg >= 0 && reg < r.count && r.implemented[reg] === 1)) {
      const name = r.names[reg] ?? `register #${String(reg)}`;
      this.stopTotal(`${this.hookName()} ${verb} ${name}, which this CPU does not implement (UNDEFINED).`);
    }
  }

  private badValue(reg: number, value: unknown): never {
    const name = this.model.registers.names[reg];
    const width = this.model.registers.width[reg] as number;
    const max = width === 64 ? '2^53 - 1 (register values are exact JS numbers)' : '0xffffffff';
    return this.stopTotal(
      `${this.hookName()} calls k.hw.write(${name}, ${describeValue(value)}): ${name} is a ${width}-bit register; write an integer from 0 to ${max}.`,
    );
  }

  private stopTotal(message: string): never {
    this.record(POLICY_TOTAL, { message, cpu: this.hookCpu });
    throw STOP;
  }

  private record(invariant: string, f: Finding): void {
    if (this.violation) return;
    const at =
      this.hookIndex >= 0
        ? this.hookWrites > 0
          ? `in ${this.hookName()}, after hardware write #${this.hookWrites} (${this.model.registers.names[this.lastReg]} = 0x${this.lastValue.toString(16)})`
          : `in ${this.hookName()}`
        : 'after the event';
    this.violation = { ...f, invariant, step: this.step, at };
  }

  private makeVcpuView(v: number): unknown {
    const { memory } = this.model;
    const { regs } = this;
    const w = this.world;
    const view: Record<string, unknown> = { id: v };
    memory.vcpuAreas.forEach((name, a) => {
      const base = (v * memory.vcpuAreas.length + a) * regs;
      view[name] = w.vcpuMem.subarray(base, base + regs);
    });
    const words = memory.vcpuScalars.length + SCRATCH_WORDS;
    memory.vcpuScalars.forEach((name, s) => {
      const i = v * words + s;
      Object.defineProperty(view, name, {
        get: () => w.vcpuScalar[i],
        set: (value: number) => {
          w.vcpuScalar[i] = value;
        },
        enumerable: true,
      });
    });
    const base = v * words + memory.vcpuScalars.length;
    view.scratch = w.vcpuScalar.subarray(base, base + SCRATCH_WORDS);
    return Object.seal(view);
  }

  private makeHostView(cpu: number): unknown {
    const { memory } = this.model;
    const view: Record<string, unknown> = {};
    Object.defineProperty(view, 'cpu', {
      get: () => {
        this.cpuNumberRead = true;
        return cpu;
      },
      enumerable: true,
    });
    memory.hostAreas.forEach((name, a) => {
      const base = (cpu * memory.hostAreas.length + a) * this.regs;
      view[name] = this.world.hostMem.subarray(base, base + this.regs);
    });
    const scalars = memory.hostScalars ?? [];
    const words = scalars.length + HOST_SCRATCH_WORDS;
    const w = this.world;
    scalars.forEach((name, s) => {
      const i = cpu * words + s;
      Object.defineProperty(view, name, {
        get: () => w.hostScalar[i],
        set: (value: number) => {
          w.hostScalar[i] = value;
        },
        enumerable: true,
      });
    });
    const base = cpu * words + scalars.length;
    view.scratch = w.hostScalar.subarray(base, base + HOST_SCRATCH_WORDS);
    return Object.freeze(view);
  }
}

const HOST_TRAP = HOOK_NAMES.indexOf('hostTrap');

/** `kindGates` of a kind enabled exactly when some CPU runs host code (EventKind.hostGate). */
const HOST_GATE = -2;

/** `kindGates` of a kind the policy can never enable: it lacks the hook the kind needs (EventKind.needsHook). */
const NEVER = -3;

/** Hook indices by name (`hasHook`, `hostHook`), instead of a scan of HOOK_NAMES per call. */
const HOOK_INDEX: ReadonlyMap<string, number> = new Map(HOOK_NAMES.map((h, i) => [h, i]));

/** The lifecycle events the executor fires itself, resolved once per executor (`Executor.own`). */
const OWN_EVENTS = [
  'VCPU_LOAD',
  'VCPU_PUT',
  'RUN_RETURN',
  'GUEST_ENTER',
  'ENTERED',
  'GUEST_EXIT',
  'EXITED',
  'TRAP',
  'TRAPPED',
  'GUEST_READ',
  'GUEST_WRITE',
  'VMM_GET_REG',
  'VMM_SET_REG',
  'VCPU_RESET',
] as const;
const E_VCPU_LOAD = 0;
const E_VCPU_PUT = 1;
const E_RUN_RETURN = 2;
const E_GUEST_ENTER = 3;
const E_ENTERED = 4;
const E_GUEST_EXIT = 5;
const E_EXITED = 6;
const E_TRAP = 7;
const E_TRAPPED = 8;
const E_GUEST_READ = 9;
const E_GUEST_WRITE = 10;
const E_VMM_GET_REG = 11;
const E_VMM_SET_REG = 12;
const E_VCPU_RESET = 13;

/** Policy-private words every vCPU has beyond the model's named scalars (`k.vcpu.scratch`). */
export const SCRATCH_WORDS = 32;

/** Policy-private words every CPU's host data has beyond the model's named scalars (`k.host.scratch`: per-CPU state). */
export const HOST_SCRATCH_WORDS = 16;

/** Copies one event (EVENT_WIDTH words) into `out` at `at`: cheaper than TypedArray#set for six words. */
function copyEvent(ev: Float64Array, out: Float64Array, at: number): void {
  for (let k = 0; k < EVENT_WIDTH; k++) out[at + k] = ev[k] as number;
}

function growKinds(a: Int32Array, need: number): Int32Array {
  const bigger = new Int32Array(Math.max(need + 1, a.length * 2));
  bigger.set(a);
  return bigger;
}

function crash(inv: Invariant, e: unknown): CheckerCrash {
  return new CheckerCrash(`Invariant ${inv.name} threw: ${describeError(e)}`);
}

/** A thrown value as text; never throws itself (an object with no prototype, a throwing toString). */
export function describeError(e: unknown): string {
  try {
    if (e instanceof Error) return `${e.name}: ${e.message}`;
    return String(e);
  } catch {
    return Object.prototype.toString.call(e);
  }
}

/** A value a hook passed, as the call would show it: `"5"`, `1.5`, `-1`, `undefined`. */
function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) >= 2 ** 32) return `0x${v.toString(16)}`;
  return describeError(v);
}

/** Whether `r` has a callable `then` (reading it may run a getter: a thrown error counts as no). */
function isThenable(r: object): boolean {
  try {
    return typeof (r as { then?: unknown }).then === 'function';
  } catch {
    return false;
  }
}
