/**
 * What a policy costs per world switch (DESIGN §6 cost.ts): the policy runs through the executor
 * on generated workloads of each usage case, and every hardware access is charged the model's
 * cycle cost (ModelInstance.readCost/writeCost). Nothing is computed by hand: a case's numbers are
 * the cycles its guest entries and exits actually spent, averaged over the measured guest runs.
 */
import fc from 'fast-check';
import type { Executor } from '../engine/execute.js';
import type { ArchModel, CostCase, EventKind, ModelConfig } from '../engine/model.js';
import type { Policy } from '../engine/policy.js';
import { makeExecutor } from './check.js';
import { GUARDED_CHUNK_MS, guardRun } from './guard.js';
import { policyConfig } from './make-executor.js';
import { runToEnd, type Sliced } from './slices.js';

/** The four usage cases of the 2015 ARMv7 review, measured on every architecture. */
export const BASE_COST_CASES: readonly CostCase[] = [
  { name: 'neither', describe: 'neither the host nor the guest arms a slot', config: {}, host: false, guest: false },
  { name: 'hostOnly', describe: 'the host arms a breakpoint, the guest arms nothing', config: {}, host: true, guest: false },
  { name: 'guestOnly', describe: 'the guest arms its slots, the host arms nothing', config: {}, host: false, guest: true },
  { name: 'both', describe: 'the host arms a breakpoint and the guest arms its slots', config: {}, host: true, guest: true },
];

/** Defaults of `cost` (and of the CLI). */
export const COST_DEFAULTS = { rounds: 32, seed: 1 } as const;

/** Guest runs executed before measuring, so that lazy policies reach their steady state. */
const WARMUP_ROUNDS = 2;
/** Guest events (execute, access, and in guest-using cases a debug-register read) per guest run. */
const EVENTS_PER_ROUND = 4;

/** What `cost` takes besides the policy. */
export interface CostOptions {
  readonly arch: ArchModel;
  readonly config?: ModelConfig;
  /** Measured guest runs per case. */
  readonly rounds?: number;
  readonly seed?: number;
  /**
   * Run the workload under an in-process watchdog: a hook that does not return within this many
   * milliseconds stops the case with a policy-total finding (user policy files).
   */
  readonly hookTimeoutMs?: number;
}

/** Mean cost of one guest run (entry, guest activity, exit) in one usage case. */
export interface CaseCost {
  /** Cycles of the entry path (GUEST_ENTER) per guest run. */
  readonly entryCycles: number;
  /** Cycles of the exit path (GUEST_EXIT) per guest run. */
  readonly exitCycles: number;
  /** Guest register accesses that trapped, per guest run. */
  readonly traps: number;
  /** Cycles the trapped accesses spent (their exit, handler and re-entry), per guest run. */
  readonly trapCycles: number;
}

/** The costs of one policy in every usage case of its architecture. */
export interface CostResult {
  readonly policy: string;
  readonly arch: string;
  readonly config: ModelConfig;
  readonly rounds: number;
  readonly seed: number;
  readonly cases: Readonly<Record<string, CaseCost>>;
  /** A policy-total finding (the policy threw or looped) that stopped a workload. */
  readonly error?: string;
}

/** The usage cases measured on `arch`: the four base cases, then the architecture's own. */
export function costCases(arch: ArchModel): readonly CostCase[] {
  return [...BASE_COST_CASES, ...(arch.costCases ?? [])];
}

const kindOf = (x: Executor, type: string): EventKind | undefined => x.kinds.find((k) => k.type === type);

/** Every enabled instance of an event kind, copied. */
function instances(x: Executor, type: string): Float64Array[] {
  const kind = kindOf(x, type);
  if (!kind) return [];
  const index = x.kinds.indexOf(kind);
  const out: Float64Array[] = [];
  kind.enumerate(x, (ev) => {
    const copy = Float64Array.from(ev);
    copy[0] = index;
    out.push(copy);
  });
  return out;
}

/** Slots the guest's intent makes effective, over every guest level. */
function guestEffective(x: Executor, v: number): number {
  const { view } = x.model;
  let mask = 0;
  for (const level of view.guestLevels) mask |= view.effective(x.world.guestIntent, v * x.regs, level);
  return mask;
}

const popcount = (n: number): number => {
  let c = 0;
  for (let m = n >>> 0; m !== 0; m &= m - 1) c++;
  return c;
};

/**
 * The guest arms its debug state: for each register it may write, in the model's order, the value
 * of its domain that leaves the most slots effective (the first non-zero one on a tie), written
 * through the executor as the guest would (trapping or not, as the policy has set things up).
 */
function* guestArms(x: Executor, v: number): Generator<void, void> {
  const intent = x.world.guestIntent;
  for (let pass = 0; pass < 2; pass++) {
    for (const reg of x.model.guestWritable) {
      const i = v * x.regs + reg;
      const was = intent[i] as number;
      let best = was;
      let bestScore = -1;
      for (const value of x.model.valueDomain(reg)) {
        intent[i] = value;
        const score = popcount(guestEffective(x, v)) * 2 + (value !== 0 ? 1 : 0);
        if (score > bestScore) {
          best = value;
          bestScore = score;
        }
      }
      intent[i] = was;
      if (best !== was) {
        x.guestWrite(v, reg, best);
        yield;
      }
      if (!resume(x)) return;
      yield;
    }
  }
}

/** The executor's vCPU 0 is in the guest (GUEST_EXIT enabled). */
const inGuest = (x: Executor): boolean => x.can(0, x.lifecycleEvent('GUEST_EXIT'));

/** After a trapped access the handler has run in the host: the run loop enters the guest again. */
function resume(x: Executor): boolean {
  if (!x.violation && !inGuest(x) && x.can(0, x.lifecycleEvent('GUEST_ENTER'))) x.enter(0);
  return !x.violation && inGuest(x);
}

/**
 * One generated guest run: entry, guest activity drawn from `choices` (a trapped access runs its
 * exit, handler and re-entry), exit. With `sum`, adds [entry, exit, traps, trap cycles] to it.
 * Yields after each step that runs the policy's hooks, so that a watchdog times a hook, not a run.
 */
function* guestRun(x: Executor, guestUsesDebug: boolean, choices: readonly number[], sum: number[] | undefined): Generator<void, void> {
  const readable = x.model.guestReadable;
  let start = x.cycles;
  x.enter(0);
  if (sum) sum[0] = (sum[0] as number) + x.cycles - start;
  start = x.cycles;
  for (const c of choices) {
    yield;
    if (!resume(x)) break;
    const o = (x.world.loadedOn[0] as number) * x.regs;
    if (guestUsesDebug && c % 3 === 0) {
      // The guest's debug code reads one of its registers.
      const reg = readable[Math.floor(c / 3) % readable.length] as number;
      if (sum && x.model.traps(x.world.hw, o, reg, false)) sum[2] = (sum[2] as number) + 1;
      x.guestRead(0, reg);
    } else {
      const events = instances(x, c % 2 === 0 ? 'GUEST_EXECUTE' : 'GUEST_ACCESS');
      const ev = events[Math.floor(c / 2) % Math.max(events.length, 1)];
      if (ev) x.apply(ev);
    }
  }
  yield;
  resume(x);
  if (sum) sum[3] = (sum[3] as number) + x.cycles - start;
  if (x.violation || !inGuest(x)) return;
  yield;
  start = x.cycles;
  x.exit(0, 0);
  if (sum) sum[1] = (sum[1] as number) + x.cycles - start;
}

/** Runs one usage case's workload, yielding every 64 guest runs; returns the means per guest run, or the policy's own failure. */
function* measureCase(policy: Policy, options: CostOptions, c: CostCase, rounds: number, seed: number): Sliced<CaseCost | string> {
  const x = makeExecutor(policy, options.arch, [], { ...options.config, ...c.config });
  const choices = fc.sample(fc.array(fc.nat({ max: 0x7fffffff }), { minLength: EVENTS_PER_ROUND, maxLength: EVENTS_PER_ROUND }), {
    seed,
    numRuns: WARMUP_ROUNDS + rounds,
  });
  const sum = [0, 0, 0, 0];
  /** The whole workload, pausing after each step that runs hooks (`true`: a slice may end here). */
  function* workload(): Generator<boolean, void> {
    x.reset();
    x.load(0, 0);
    yield false;
    if (c.host) {
      const arm = instances(x, 'HOST_SET_BREAKPOINT')[0];
      if (arm) x.apply(arm);
      yield false;
    }
    if (c.guest) {
      x.enter(0);
      if (!x.violation) for (const _ of guestArms(x, 0)) yield false;
      if (!x.violation && inGuest(x)) x.exit(0, 0);
    }
    for (const [i, run] of choices.entries()) {
      if (x.violation) return;
      for (const _ of guestRun(x, c.guest, run, i < WARMUP_ROUNDS ? undefined : sum)) yield false;
      if ((i & 63) === 63) yield true;
    }
  }
  const steps = workload();
  const ms = options.hookTimeoutMs;
  if (ms === undefined) {
    for (const sliceEnds of steps) if (sliceEnds) yield;
  } else {
    // A user policy file: guarded chunks that start no step after GUARDED_CHUNK_MS, so the
    // watchdog's time is the last hook's (a slow round of hooks that each return is no loop).
    let done = false;
    const chunk = (): void => {
      const started = performance.now();
      while (performance.now() - started <= GUARDED_CHUNK_MS) {
        if (steps.next().done) {
          done = true;
          return;
        }
      }
    };
    while (!done && guardRun(x, ms, chunk)) yield;
  }
  if (x.violation) return `${x.violation.invariant}: ${x.violation.message}`;
  const mean = (n: number): number => Math.round((n / rounds) * 10) / 10;
  return {
    entryCycles: mean(sum[0] as number),
    exitCycles: mean(sum[1] as number),
    traps: mean(sum[2] as number),
    trapCycles: mean(sum[3] as number),
  };
}

/** Measures `policy` in every usage case of its architecture; never throws for a failing policy. */
export function cost(policy: Policy, options: CostOptions): CostResult {
  return runToEnd(costInSlices(policy, options));
}

/** `cost`, yielding every 64 guest runs (see slices.ts): the CLI stops it on a signal. */
export function* costInSlices(policy: Policy, options: CostOptions): Sliced<CostResult> {
  const rounds = options.rounds ?? COST_DEFAULTS.rounds;
  const seed = options.seed ?? COST_DEFAULTS.seed;
  const cases: Record<string, CaseCost> = {};
  let error: string | undefined;
  for (const c of costCases(options.arch)) {
    const r = yield* measureCase(policy, options, c, rounds, seed);
    if (typeof r === 'string') {
      error = `${c.name}: ${r}`;
      break;
    }
    cases[c.name] = r;
  }
  const config = options.arch.instantiate(policyConfig(policy, options.arch, options.config ?? {})).config;
  return { policy: policy.name, arch: options.arch.id, config, rounds, seed, cases, ...(error ? { error } : {}) };
}
