/**
 * The executor: one world, one policy, the model's event kinds. It decodes raw choices into enabled
 * events, applies them, and (through the layers it builds on: `VcpuIoctls`, `VcpuOperations`, `Observer`,
 * `HookRunner`) runs the policy's hooks and checks invariants at every observation point: after
 * every hardware write inside a hook and after every event. One executor is reused across runs
 * (reset in place), so a run allocates nothing unless it finds a violation.
 */
import { EVENT_WIDTH } from './executor-types.js';
import type { Invariant } from './invariant.js';
import type { HookName } from './lifecycle.js';
import type { EventKind, ModelInstance } from './model.js';
import type { Policy } from './policy.js';
import { VcpuIoctls } from './vcpu-ioctls.js';
import { CTX_HOST, World } from './world.js';

export {
  CheckerCrash,
  describeError,
  describeValue,
  EVENT_WIDTH,
  EXIT_REASONS,
  type ExitReason,
  HOOK_ACCESS_BUDGET,
  HOST_SCRATCH_WORDS,
  type HookAccess,
  POLICY_TOTAL,
  SCRATCH_WORDS,
  type Warning,
  type Watch,
} from './executor-types.js';

/**
 * Whether executors made from now on keep the gated kinds' weights between decodes (Executor.decode).
 * Tests turn it off to compare the draws with those of a fresh weighing at every event.
 */
export const decodeCache = { on: true };

/** Executes events against one world with one policy and checks invariants at every observation point. */
export class Executor extends VcpuIoctls {
  readonly kinds: readonly EventKind[];
  /** Events executed since the executor was made, across runs. */
  eventsExecuted = 0;
  /** `runChoices` stopped for its time budget, not at the run's end. */
  paused = false;
  /** Set when the in-thread watchdog (`guardRun`) cut off a hook; cleared by whoever asks. */
  cutOff = false;
  /**
   * A policy file's `--hook-timeout` in milliseconds, for re-executions on the calling thread (the
   * reports' replay of a counterexample): a hook that loops there is cut off, not the process hung.
   */
  guardMs: number | undefined;
  private readonly initial: World;
  private readonly enabledWeight: Float64Array;
  /** Each kind's weight, read once (the kinds' object shapes differ: a property load per kind per decode is polymorphic). */
  private readonly kindWeight: Float64Array;
  /** Each kind's `apply` and `decode`, read once: one array load instead of a polymorphic property load per event. */
  private readonly kindApply: readonly EventKind['apply'][];
  private readonly kindDecode: readonly EventKind['decode'][];
  private readonly scratchEvent = new Float64Array(EVENT_WIDTH);
  /** The event kind applied at each step of the current run (index = step), for blame in messages. */
  private stepKinds: Int32Array = new Int32Array(64);
  private readonly enabledCounts: Int32Array;
  /** Per lifecycle state: the machine events it enables (what `refreshEnabled` counts). */
  private readonly enabledIn: readonly Int32Array[];
  /** Per event kind: the machine event of its `gate` (decode tests `enabledCounts`), HOST_GATE, NEVER, or -1 (decode calls `enabled`). */
  private readonly kindGates: Int32Array;
  private hostCpus = 0;
  /** The kinds whose `enabled` decode calls at every event (no gate). */
  private readonly calledKinds: Int32Array;
  /**
   * Whether decode keeps the gated kinds' weights while the vCPUs' lifecycle states and the CPUs'
   * contexts (all a gate reads) stay as they were (`gatedFor`): when every kind weighs a whole
   * number (the models' do), so that the enabled weights sum to the same total in any order.
   */
  private readonly keepsGated: boolean;
  /** The lifecycle states, then the CPU contexts, the gated weights were last worked out for (`gatedValid`). */
  private readonly gatedFor: Uint8Array;
  private gatedValid = false;
  /** The gated kinds' enabled weights summed (`gatedFor`). */
  private gatedTotal = 0;

  constructor(model: ModelInstance, policy: Policy, invariants: readonly Invariant[], generic: readonly EventKind[]) {
    super(model, policy, invariants);
    const { lifecycle } = model;
    this.initial = new World(this.world.shape);
    this.initial.running.fill(-1);
    this.initial.loadedOn.fill(-1);
    this.initial.vcpuState.fill(lifecycle.initial);
    model.reset(this.initial);
    this.world.copyFrom(this.initial);
    this.kinds = [...generic, ...model.events];
    this.enabledWeight = new Float64Array(this.kinds.length);
    this.kindWeight = Float64Array.from(this.kinds, (kind) => kind.weight);
    this.kindApply = this.kinds.map((kind) => kind.apply);
    this.kindDecode = this.kinds.map((kind) => kind.decode);
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
    this.calledKinds = Int32Array.from(this.kindGates.keys()).filter((i) => this.kindGates[i] === -1);
    this.keepsGated = decodeCache.on && this.kinds.every((k) => Number.isInteger(k.weight) && k.weight >= 0 && k.weight <= 2 ** 30);
    this.gatedFor = new Uint8Array(this.world.vcpuState.length + this.world.cpuContext.length);
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
    const w = this.enabledWeight;
    const kw = this.kindWeight;
    let total: number;
    if (this.keepsGated) {
      if (!this.gatesAsBefore()) this.weigh(true);
      // Only the kinds without a gate can change with the rest of the world: asked at every event.
      total = this.gatedTotal;
      const kinds = this.kinds;
      const called = this.calledKinds;
      for (let j = 0; j < called.length; j++) {
        const i = called[j] as number;
        const weight = (kinds[i] as EventKind).enabled(this) ? (kw[i] as number) : 0;
        w[i] = weight;
        total += weight;
      }
    } else total = this.weigh(false);
    if (total === 0) return false;
    let pick = c % total;
    const r = Math.floor(c / total);
    for (let i = 0; i < kw.length; i++) {
      const weight = w[i] as number;
      if (pick < weight) {
        for (let k = 0; k < EVENT_WIDTH; k++) ev[k] = 0;
        ev[0] = i;
        (this.kindDecode[i] as EventKind['decode'])(this, r, ev);
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
    (this.kindApply[ev[0] as number] as EventKind['apply'])(this, ev);
  }

  /**
   * Runs the events a list of raw choices decodes to, from the initial world; returns the steps
   * taken. With `budgetMs` (a watchdog's chunk), it starts no event after that long and sets `paused`:
   * call it again with `from` the steps taken so far to go on.
   */
  runChoices(choices: readonly number[], trace?: Float64Array, from = 0, budgetMs?: number): number {
    if (from === 0) this.reset();
    this.paused = false;
    const ev = this.scratchEvent;
    const watch = this.watch;
    if (watch && from === 0) watch.beat[3] = (watch.beat[3] as number) + 1;
    const started = budgetMs === undefined ? 0 : performance.now();
    let n = from;
    for (let i = from; i < choices.length; i++) {
      if (budgetMs !== undefined && i > from && performance.now() - started > budgetMs) {
        this.paused = true;
        break;
      }
      if (!this.decode(choices[i] as number, ev)) break;
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

  /**
   * Works out the enabled weights (`enabledWeight`) and returns their total: of every kind, or with
   * `gatedOnly` of the gated kinds only, remembering the lifecycle states and contexts they hold for.
   */
  private weigh(gatedOnly: boolean): number {
    this.refreshEnabled();
    const kinds = this.kinds;
    const w = this.enabledWeight;
    const kw = this.kindWeight;
    let total = 0;
    const gates = this.kindGates;
    const counts = this.enabledCounts;
    const hostOn = this.hostCpus > 0;
    for (let i = 0; i < kw.length; i++) {
      const gate = gates[i] as number;
      if (gatedOnly && gate === -1) continue;
      const on =
        gate >= 0
          ? (counts[gate] as number) > 0
          : gate === HOST_GATE
            ? hostOn
            : gate === NEVER
              ? false
              : (kinds[i] as EventKind).enabled(this);
      const weight = on ? (kw[i] as number) : 0;
      w[i] = weight;
      total += weight;
    }
    if (gatedOnly) {
      const { vcpuState, cpuContext } = this.world;
      this.gatedFor.set(vcpuState);
      this.gatedFor.set(cpuContext, vcpuState.length);
      this.gatedTotal = total;
      this.gatedValid = true;
    }
    return total;
  }

  /** Whether the lifecycle states and contexts are those the gated weights were worked out for. */
  private gatesAsBefore(): boolean {
    if (!this.gatedValid) return false;
    const { vcpuState, cpuContext } = this.world;
    const g = this.gatedFor;
    const V = vcpuState.length;
    for (let v = 0; v < V; v++) if (g[v] !== vcpuState[v]) return false;
    for (let c = 0; c < cpuContext.length; c++) if (g[V + c] !== cpuContext[c]) return false;
    return true;
  }

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
}

/** `kindGates` of a kind enabled exactly when some CPU runs host code (EventKind.hostGate). */
const HOST_GATE = -2;

/** `kindGates` of a kind the policy can never enable: it lacks the hook the kind needs (EventKind.needsHook). */
const NEVER = -3;

/** Copies one event (EVENT_WIDTH words) into `out` at `at`: cheaper than TypedArray#set for six words. */
function copyEvent(ev: Float64Array, out: Float64Array, at: number): void {
  for (let k = 0; k < EVENT_WIDTH; k++) out[at + k] = ev[k] as number;
}

function growKinds(a: Int32Array, need: number): Int32Array {
  const bigger = new Int32Array(Math.max(need + 1, a.length * 2));
  bigger.set(a);
  return bigger;
}
