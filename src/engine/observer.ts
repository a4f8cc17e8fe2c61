/**
 * The executor's observation points: state invariants after every event and every hardware write
 * in a hook (those that apply to the CPU's context), read invariants on every value someone reads,
 * hit and delivery invariants on the debug events the hardware model evaluates and takes. The
 * first finding is recorded; the others that break at the same point are listed under it.
 */
import type { Executor } from './execute.js';
import { crash } from './executor-types.js';
import { HookRunner } from './hook-runner.js';
import type { DeliveryObservation, Finding, HitObservation, Invariant, ReadObservation } from './invariant.js';
import type { ModelInstance } from './model.js';
import type { Policy } from './policy.js';

/**
 * Test switch (test/state-skip-audit.test.ts): with `on`, every check `Observer.checkWrite` skips is
 * run anyway; `skipped` counts them and `wrong` lists any finding one of them would have had.
 */
export const stateSkipAudit = { on: false, skipped: 0, wrong: [] as string[] };

/** Hook running plus the invariants' observation points; `VcpuOperations` and `Executor` build on it. */
export abstract class Observer extends HookRunner {
  /** Names of the invariants this executor checks (an invariant may leave a case to another one it knows is on). */
  readonly checking: ReadonlySet<string>;
  private readonly stateChecks: Invariant[][];
  /** Per context: every state invariant that applies there is memory-blind, and the model has no `observe`. */
  private readonly blind: boolean[];
  /** `blind`, and no invariant there reads `x.inHook` (Observer.settleAfterHook). */
  private readonly blindAfterHook: boolean[];
  private readonly readChecks: Invariant[];
  private readonly hitChecks: Invariant[];
  private readonly deliveryChecks: Invariant[];
  private readonly read: ReadObservation = { by: 'guest', vcpu: 0, cpu: 0, reg: 0, value: 0 };
  /**
   * Set by an exhaustive search (expand-state.ts): `settle` leaves its state check for the search
   * to run after the event, or to skip where the state the event ends in passed it before. The
   * CPUs it was left for, in order, are `deferredCpus`; see `deferredExact`.
   */
  deferring = false;
  readonly deferredCpus = new Int32Array(DEFERRED_MAX);
  deferredCount = 0;
  /** `mutations` at the first deferred check of the event; whether more CPUs deferred than `deferredCpus` holds. */
  private deferredMutations = 0;
  private deferLost = false;

  constructor(model: ModelInstance, policy: Policy, invariants: readonly Invariant[]) {
    super(model, policy);
    this.stateChecks = [0, 1, 2].map((c) =>
      invariants.filter((i) => i.state && (i.contexts ?? 7) & (1 << c) && (i.stateApplies?.(model) ?? true)),
    );
    this.blind = this.stateChecks.map((list) => !model.observe && list.every((i) => i.memoryBlind === true));
    this.blindAfterHook = this.stateChecks.map((list, c) => this.blind[c] === true && !list.some((i) => i.readsInHook));
    this.readChecks = invariants.filter((i) => i.read);
    this.hitChecks = invariants.filter((i) => i.hit);
    this.deliveryChecks = invariants.filter((i) => i.delivery);
    this.checking = new Set(invariants.map((i) => i.name));
  }

  /** Checks the state invariants that apply to `cpu`'s context; records and returns true on a violation. */
  checkState(cpu: number): boolean {
    if (cpu < 0 || this.violation) return this.violation !== undefined;
    const list = this.stateChecks[this.world.cpuContext[cpu] as number] as Invariant[];
    return this.runChecks(list, STATE, cpu);
  }

  /**
   * The observation point after a hook's hardware write on `cpu`; true on a violation. When the
   * write left the register as it was and, since the last clean check in this hook, only such
   * writes, reads and memory writes happened (`hookClean`), every input a memory-blind invariant
   * reads is what it was at that check, so its verdict is that clean one: the check is skipped.
   * Most hook writes are such (VHE vcpu_load rewrites registers that already hold the value).
   */
  checkWrite(cpu: number, unchanged: boolean): boolean {
    if (unchanged && this.hookClean && !this.violation && this.blind[this.world.cpuContext[cpu] as number]) {
      if (stateSkipAudit.on) this.auditSkip(cpu);
      return false;
    }
    const broke = this.checkState(cpu);
    this.hookClean = !broke;
    return broke;
  }

  /** With the audit on: what the check `checkWrite` skipped would have found (nothing, if the skip is sound). */
  private auditSkip(cpu: number): void {
    stateSkipAudit.skipped++;
    for (const inv of this.stateChecks[this.world.cpuContext[cpu] as number] as Invariant[]) {
      const f = (inv.state as NonNullable<Invariant['state']>)(this.self, cpu);
      if (f) stateSkipAudit.wrong.push(`${this.policy.name}: ${inv.name} at step ${this.step}: ${f.message}`);
    }
  }

  /**
   * Runs the `kind` part of each invariant of `list` on `arg` (a CPU number or an observation), in
   * order; records the first finding, with those that break too at the same point: true on one.
   */
  private runChecks(list: readonly Invariant[], kind: number, arg: unknown): boolean {
    for (let i = 0; i < list.length; i++) {
      const inv = list[i] as Invariant;
      let f: Finding | undefined;
      try {
        f = evaluate(inv, kind, this.self, arg);
      } catch (e) {
        throw crash(inv, e);
      }
      if (f) {
        this.record(inv.name, f);
        this.alsoBroke(list, i, (j) => evaluate(j, kind, this.self, arg));
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
      this.model.observe(this.self, cpu, false);
      if (this.violation) return;
    }
    if (this.deferring && cpu >= 0) this.defer(cpu);
    else this.checkState(cpu);
  }

  /** Leaves `cpu`'s state check at this settle for the search (`deferring`). */
  private defer(cpu: number): void {
    const n = this.deferredCount;
    if (n === 0) this.deferredMutations = this.mutations;
    for (let i = 0; i < n; i++) if (this.deferredCpus[i] === cpu) return;
    if (n === DEFERRED_MAX) this.deferLost = true;
    else this.deferredCpus[this.deferredCount++] = cpu;
  }

  /**
   * A hook about to start after a settle of this event left its check: the run cannot be exact
   * (the hook's writes come after that settle), and checking there might have ended the event
   * before the hook. The hook is not run, so policy code runs in a deferred event only where it
   * would run when checking at each settle (a hook that never returns hangs in both, at the same
   * point); the search runs the event again, checking as it goes.
   */
  protected holdsHook(): boolean {
    if (!this.deferring || this.deferredCount === 0) return false;
    this.deferLost = true;
    return true;
  }

  /** Forgets the checks deferred so far: before each event. */
  clearDeferred(): void {
    this.deferredCount = 0;
    this.deferLost = false;
  }

  /**
   * After an event applied with `deferring`: whether running its deferred checks now, on the world
   * it ended in, in `deferredCpus` order, is exactly what checking at each settle would have done.
   * It is when nothing counted in `mutations` happened after the first deferred settle (every
   * deferred settle saw this world) and nothing was recorded (a check at the settle might have
   * broken first, and ended the event there). Otherwise the search runs the event again without deferring.
   */
  get deferredExact(): boolean {
    return this.deferredCount === 0 || (!this.deferLost && this.violation === undefined && this.mutations === this.deferredMutations);
  }

  /** Runs the deferred checks, in order; true on a violation (recorded as `settle` would have). */
  runDeferred(): boolean {
    for (let i = 0; i < this.deferredCount; i++) if (this.checkState(this.deferredCpus[i] as number)) return true;
    return false;
  }

  /**
   * `settle` right after a lifecycle event whose hook returned last, nothing run since, and
   * `hookExitClean` cleared before the event: when the hook's last observation point was checked
   * clean and it then changed only memory, the memory-blind checks would see what that check saw.
   */
  settleAfterHook(cpu: number): void {
    if (this.hookExitClean && !this.violation && cpu >= 0 && this.blindAfterHook[this.world.cpuContext[cpu] as number]) {
      if (stateSkipAudit.on) this.auditSkip(cpu);
      return;
    }
    this.settle(cpu);
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
    this.runChecks(this.readChecks, READ, r);
  }

  /** Runs the hit invariants on a debug event evaluated by the hardware model. */
  observeHit(h: HitObservation): void {
    this.runChecks(this.hitChecks, HIT, h);
  }

  /** Runs the delivery invariants on a debug interrupt the hardware model took. */
  observeDelivery(d: DeliveryObservation): void {
    // An event lost before delivery is reported to the same invariants, but nobody received it; one
    // that was only missed (the vCPU ran on past it) is listed as missed, with whom it was owed to.
    const missedOnly = (d.missed ?? 0) !== 0 && (d.host | d.guest | d.spurious | d.again) === 0;
    if (!d.lost)
      this.accessLog?.push({
        kind: missedOnly ? 'missed' : 'deliver',
        hook: missedOnly ? (d.missedOwner ?? 'vmm') : d.to,
        cpu: d.cpu,
        depth: this.nesting,
        reg: -1,
        value: d.status,
        write: undefined,
        result: undefined,
      });
    this.runChecks(this.deliveryChecks, DELIVERY, d);
  }
}

/** How many distinct CPUs one event may leave state checks for before it is run again without deferring. */
const DEFERRED_MAX = 4;

/** The observation kinds `runChecks` runs: which part of an invariant it calls. */
const STATE = 0;
const READ = 1;
const HIT = 2;
const DELIVERY = 3;

/** Invariant `inv`'s part for observation `kind` on `arg`. */
function evaluate(inv: Invariant, kind: number, x: Executor, arg: unknown): Finding | undefined {
  switch (kind) {
    case STATE:
      return (inv.state as NonNullable<Invariant['state']>)(x, arg as number);
    case READ:
      return (inv.read as NonNullable<Invariant['read']>)(x, arg as ReadObservation);
    case HIT:
      return (inv.hit as NonNullable<Invariant['hit']>)(x, arg as HitObservation);
    default:
      return (inv.delivery as NonNullable<Invariant['delivery']>)(x, arg as DeliveryObservation);
  }
}
