/**
 * How the executor runs a policy's hooks: the `HookContext` they get (`k.hw`, `k.vcpu`, `k.host`,
 * BUG/WARN), each hardware access checked (implemented register, write semantics, value range,
 * access budget) and charged, every write an observation point, nested hooks (an interrupt taken
 * in one), hooks that throw, go async or never return, and where a finding is recorded.
 */
import type { Executor } from './execute.js';
import {
  describeError,
  describeValue,
  HOOK_ACCESS_BUDGET,
  type HookAccess,
  type HookFn,
  isCheckerCrash,
  isThenable,
  POLICY_TOTAL,
  STOP,
  type Warning,
  type Watch,
} from './executor-types.js';
import { BROKEN_CONTEXT, fixedPropertyHint, type HookContextObject, makeHookContext, makeViews, releaseHookContext } from './hook-views.js';
import type { Finding, Violation } from './invariant.js';
import { HOOK_NAMES } from './lifecycle.js';
import type { ModelInstance } from './model.js';
import { type Hooks, type Hw, isBuiltIn, type Policy } from './policy.js';
import { hwWriteResult, isRegisterValue, registerValueRule } from './register-file.js';
import { World, worldShape } from './world.js';

/** The hook context `k` of an executor (hook-views.ts). */
type HookContext = HookContextObject<{ bug(m: string): never; warn(m: string): void; localIrqDisable(): void }>;

/** The part of the executor that runs hooks; `Observer` and `Executor` build on it. */
export abstract class HookRunner {
  readonly world: World;
  readonly regs: number;
  /** 1-based index of the event being executed. */
  step = 0;
  violation: Violation | undefined;
  readonly warnings: Warning[] = [];
  /** Cycles charged for hardware accesses since the last reset (DESIGN §6 cost). */
  cycles = 0;
  hwAccesses = 0;
  /** WARN()s policy hooks reached since the executor was made, across runs. */
  warningsHit = 0;
  /**
   * Counts everything that can change the world: hooks run (they may write memory), hardware
   * writes, intent changes, lifecycle transitions that change a state. Unchanged across an event
   * means the event changed nothing (exploration skips packing such states).
   */
  mutations = 0;
  /** Set by a worker-run check so a watchdog can see a hook that never returns. */
  watch: Watch | undefined;
  /**
   * Set by a report renderer while it re-executes a trace: every hook start and hardware access is
   * appended, in order. Undefined (one branch per access, no allocation) on the checking path.
   */
  accessLog: HookAccess[] | undefined;
  /** Set once any hook asked for its CPU number (k.cpu or k.host.cpu): CPU symmetry is then unsound. */
  cpuNumberRead = false;
  /** This object as the executor it is (`Executor` is the one concrete subclass): what models and invariants are handed. */
  protected readonly self: Executor;
  protected readonly hookFns: (HookFn | undefined)[];
  /** `model.readCost` and `model.writeCost` of each register, asked once (a cost depends on the register alone). */
  private readonly readCosts: Float64Array;
  private readonly writeCosts: Float64Array;
  private readonly vcpuViews: unknown[];
  private readonly hostViews: unknown[];
  /** The hook context, one object for every hook; replaced by `newK()` when a hook froze or redefined it (`releaseK`). */
  private k: HookContext;
  private readonly newK: () => HookContext;
  /** The CPU the running hook runs on (-1 outside hooks). */
  protected hookCpu = -1;
  protected hookIndex = -1;
  private hookOps = 0;
  private hookWrites = 0;
  private lastReg = 0;
  private lastValue = 0;
  /** The running hook's last observation point checked clean; since, it only read, wrote memory, rewrote values (Observer.checkWrite). */
  protected hookClean = false;
  /** `hookClean` as the last hook to return left it (Observer.settleAfterHook). */
  protected hookExitClean = false;
  /** How many hooks the running hook is nested in (an interrupt taken inside a hook). */
  protected nesting = 0;

  constructor(
    readonly model: ModelInstance,
    readonly policy: Policy,
  ) {
    const { registers } = model;
    this.regs = registers.count;
    this.readCosts = Float64Array.from({ length: registers.count }, (_, reg) => model.readCost(reg));
    this.writeCosts = Float64Array.from({ length: registers.count }, (_, reg) => model.writeCost(reg));
    this.world = new World(worldShape(model));
    this.self = this as unknown as Executor;
    const defaults = model.defaultHooks as Hooks<unknown, unknown>;
    const hooks = policy.hooks as Hooks<unknown, unknown>;
    this.hookFns = HOOK_NAMES.map((h) => (hooks[h] ?? defaults[h]) as HookFn | undefined);
    [this.vcpuViews, this.hostViews] = makeViews(model, this.world, !isBuiltIn(policy), () => {
      this.cpuNumberRead = true;
    });
    const x = this;
    const hw: Hw = { read: (reg) => x.hwRead(reg), write: (reg, value) => x.hwWrite(reg, value) };
    // smp_processor_id(): a policy that asks depends on CPU numbers, which CPU symmetry must know.
    const readCpu = (): number => {
      x.cpuNumberRead = true;
      return x.hookCpu;
    };
    const methods = {
      bug(message: string): never {
        return x.stopTotal(`BUG() in ${x.hookName()}: ${message}`);
      },
      warn(message: string) {
        x.warningsHit++;
        x.warnings.push({ step: x.step, hook: x.hookName(), message });
      },
      localIrqDisable() {
        x.takePendingIrq();
        // The interrupt may have changed anything (a trace session, a nested hook's writes).
        x.hookClean = false;
      },
    };
    this.newK = () => makeHookContext(hw, readCpu, methods);
    this.k = this.newK();
  }

  /** Checks the state invariants that apply to `cpu`'s context; true on a violation (Observer). */
  abstract checkState(cpu: number): boolean;

  /** The observation point after a hook's hardware write; `unchanged` when the register kept its value (Observer). */
  abstract checkWrite(cpu: number, unchanged: boolean): boolean;

  /** local_irq_disable() in a hook: takes an interrupt waiting in the run loop (VcpuOperations). */
  protected abstract takePendingIrq(): void;

  /** Whether a hook must not start because a settle of this event left its check (Observer.holdsHook). */
  protected abstract holdsHook(): boolean;

  protected runHook(hook: number, v: number, cpu: number, a: unknown, b: unknown): unknown {
    const fn = this.hookFns[hook];
    if (fn === undefined) return undefined;
    if (this.hookIndex >= 0) return this.runNestedHook(hook, v, cpu, a, b);
    if (this.holdsHook()) return undefined;
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
    this.hookClean = false;
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
      if (isCheckerCrash(e)) throw e;
      this.record(POLICY_TOTAL, { message: `${this.hookName()} threw: ${describeError(e)}${fixedPropertyHint(e)}`, vcpu: v, cpu });
      return undefined;
    } finally {
      this.releaseK(k, v, cpu);
      this.hookExitClean = this.hookClean;
      this.hookIndex = -1;
      this.hookCpu = -1;
      if (watch) watch.beat[1] = 0;
    }
  }

  /**
   * After a hook, `k` points at no views. A hook that froze `k` or redefined its `vcpu`/`host` (a
   * getter, a read-only property) is a policy-total finding; the hooks after it get a new `k`.
   */
  private releaseK(k: HookContext, v: number, cpu: number): void {
    if (releaseHookContext(k)) return;
    this.k = this.newK();
    this.record(POLICY_TOTAL, { message: `${this.hookName()} ${BROKEN_CONTEXT}`, vcpu: v, cpu });
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
      this.hookClean = false; // the nested hook may have changed anything the outer one's last check saw
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
    try {
      if (r instanceof Promise) Promise.prototype.then.call(r, undefined, () => {});
    } catch {}
    this.record(POLICY_TOTAL, {
      message: `${this.hookName()} returned a Promise (an async hook?): hooks run synchronously, as the kernel code they model does`,
      vcpu: v,
      cpu,
    });
  }

  protected hookName(): string {
    return HOOK_NAMES[this.hookIndex] ?? 'a hook';
  }

  private hwRead(reg: number): number {
    const logged = this.accessLog ? this.logAccess('read', reg, undefined) : undefined;
    this.checkAccess(reg, 'reads');
    this.cycles += this.readCosts[reg] as number;
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
    if (!isRegisterValue(this.model.registers, reg, value)) this.badValue(reg, value);
    this.cycles += this.writeCosts[reg] as number;
    this.mutations++;
    const o = this.hookCpu * this.regs + reg;
    const before = this.world.hw[o] as number;
    this.world.hw[o] = hwWriteResult(this.model.registers, reg, before, value);
    this.hookWrites++;
    this.lastReg = reg;
    this.lastValue = value;
    if (logged) {
      logged.write = this.hookWrites;
      if (this.world.hw[o] !== value) logged.result = this.world.hw[o] as number;
    }
    // The hook's own next instruction runs on this hardware: the model may latch or take a debug event.
    if (this.model.observe) {
      this.model.observe(this.self, this.hookCpu, true);
      if (this.violation) throw STOP;
    }
    if (this.checkWrite(this.hookCpu, this.world.hw[o] === before)) throw STOP;
  }

  private checkAccess(reg: number, verb: string): void {
    this.hwAccesses++;
    if (++this.hookOps > HOOK_ACCESS_BUDGET) {
      this.stopTotal(`${this.hookName()} made more than ${HOOK_ACCESS_BUDGET} register accesses: it does not terminate.`);
    }
    if (this.hookCpu < 0) this.stopTotal(`${this.hookName()} ${verb} a register while the vCPU is on no CPU.`);
    const r = this.model.registers;
    // `(reg | 0) === reg`: a register id is one of the model's numbers, never a string, fraction, Symbol or undefined.
    if (typeof reg === 'number' ? (reg | 0) !== reg : reg !== undefined) {
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
    const r = this.model.registers;
    return this.stopTotal(
      `${this.hookName()} calls k.hw.write(${r.names[reg]}, ${describeValue(value)}): ${registerValueRule(r, reg, 'write')}`,
    );
  }

  protected stopTotal(message: string): never {
    this.record(POLICY_TOTAL, { message, cpu: this.hookCpu });
    throw STOP;
  }

  protected record(invariant: string, f: Finding): void {
    if (this.violation) return;
    const at =
      this.hookIndex >= 0
        ? this.hookWrites > 0
          ? `in ${this.hookName()}, after hardware write #${this.hookWrites} (${this.model.registers.names[this.lastReg]} = 0x${this.lastValue.toString(16)})`
          : `in ${this.hookName()}`
        : 'after the event';
    this.violation = { ...f, invariant, step: this.step, at };
  }
}
