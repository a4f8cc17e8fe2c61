/**
 * The textbook way to property-test a stateful system, for comparison (DESIGN §9): fast-check's
 * `fc.commands` + `fc.modelRun`, one command class per event kind with operands drawn by
 * arbitraries, a fresh XState actor per vCPU per run as the lifecycle's source of truth
 * (preconditions ask `snapshot.can()`, every transition is sent to the actor), and the same
 * executor, events and invariants as worldswitch (checked at every observation point and after
 * every command). Not tuned to lose: disabled commands are skipped as fast-check does.
 */
import fc from 'fast-check';
import { type AnyActorRef, createActor } from 'xstate';
import { EVENT_WIDTH, type Executor } from '../src/engine/execute.js';
import type { EventKind } from '../src/engine/model.js';

interface Real {
  readonly x: Executor;
  readonly actors: AnyActorRef[];
}

/** Lifecycle event each generic kind asks the machine about (hardware events need none). */
const MACHINE_EVENT: Record<string, string> = {
  VCPU_LOAD: 'VCPU_LOAD',
  VCPU_PUT: 'VCPU_PUT',
  GUEST_ENTER: 'GUEST_ENTER',
  GUEST_EXIT: 'GUEST_EXIT',
  GUEST_READ: 'GUEST_READ',
  GUEST_WRITE: 'GUEST_WRITE',
  GUEST_EXECUTE: 'GUEST_EXECUTE',
  GUEST_ACCESS: 'GUEST_ACCESS',
  VMM_GET_REG: 'VMM_GET_REG',
  VMM_SET_REG: 'VMM_SET_REG',
  VCPU_RESET: 'VCPU_RESET',
};

class EventCommand implements fc.Command<Real, Real> {
  private readonly ev = new Float64Array(EVENT_WIDTH);
  constructor(
    index: number,
    private readonly kind: EventKind,
    operands: readonly number[],
  ) {
    this.ev[0] = index;
    operands.forEach((v, i) => {
      this.ev[i + 1] = v;
    });
  }
  /** The precondition: the XState actor enables the event, and the hardware side accepts its operands. */
  check(m: Readonly<Real>): boolean {
    const machineEvent = MACHINE_EVENT[this.kind.type];
    if (machineEvent) {
      const actor = m.actors[this.ev[1] as number];
      if (!actor?.getSnapshot().can({ type: machineEvent, cpu: this.ev[2] })) return false;
    }
    return this.kind.accepts(m.x, this.ev);
  }
  run(_m: Real, r: Real): void {
    r.x.apply(this.ev);
    counted++;
    if (r.x.violation) throw new Error(`${r.x.violation.invariant}: ${r.x.violation.message}`);
  }
  toString(): string {
    return `${this.kind.type}(${[...this.ev.subarray(1)].join(',')})`;
  }
}

let counted = 0;

/** Arbitraries for one event kind's operands, from the model's domains. */
function operandArbitrary(x: Executor, kind: EventKind): fc.Arbitrary<number[]> {
  const { cpus, vcpus } = x.world.shape;
  const m = x.model;
  const values = [...new Set(m.guestWritable.length ? [...m.guestWritable].flatMap((r) => m.valueDomain(r)) : [0])];
  return fc.tuple(
    ...kind.operands.map(([name, k]) => {
      if (k === 'vcpu') return fc.nat({ max: vcpus - 1 });
      if (k === 'cpu') return fc.nat({ max: cpus - 1 });
      if (k === 'slot') return fc.nat({ max: 15 });
      if (k === 'reg')
        return fc.constantFrom(...(kind.type.includes('WRITE') || kind.type.includes('SET') ? m.guestWritable : m.guestReadable));
      if (k === 'value') return name === 'addr' ? fc.constantFrom(0x1000, 0x2000) : fc.constantFrom(...values);
      return fc.nat({ max: (k as readonly string[]).length - 1 });
    }),
  );
}

/**
 * Runs `runs` textbook property runs of at most `maxSteps` commands on `x`; returns the commands
 * that passed their precondition and ran, and whether a violation was found.
 */
export function textbookRun(x: Executor, runs: number, maxSteps: number, seed: number): { events: number; failed: boolean } {
  const lc = x.model.lifecycle;
  const commands = x.kinds.map((kind, i) =>
    operandArbitrary(x, kind).map((ops) => new EventCommand(i, kind, ops) as fc.Command<Real, Real>),
  );
  counted = 0;
  const realFire = x.fire.bind(x);
  let actors: AnyActorRef[] = [];
  // Every lifecycle transition the executor takes is also sent to the run's XState actor.
  x.fire = (v, e, a, b) => {
    actors[v]?.send({ type: lc.events[e] as string, cpu: v });
    return realFire(v, e, a, b);
  };
  const out = fc.check(
    fc.property(fc.commands(commands, { maxCommands: maxSteps }), (cmds) => {
      x.reset();
      actors = Array.from({ length: x.world.shape.vcpus }, () => createActor(lc.machine).start());
      const system: Real = { x, actors };
      fc.modelRun(() => ({ model: system, real: system }), cmds);
      for (const a of actors) a.stop();
    }),
    { seed, numRuns: runs, endOnFailure: true },
  );
  x.fire = realFire;
  return { events: counted, failed: out.failed };
}
