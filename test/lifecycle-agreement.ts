/** A differential check shared by the lifecycle tests: a compiled table agrees with its XState machine. */
import fc from 'fast-check';
import { expect } from 'vitest';
import { type AnyStateMachine, createActor } from 'xstate';
import { compileLifecycle } from '../src/lifecycle.js';

/** Asserts that on random walks over every event, the compiled table and `machine` agree on enabledness and target state. */
export function expectTableAgreesWithMachine(machine: AnyStateMachine, seed: number): void {
  const table = compileLifecycle(machine);
  const E = table.events.length;
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...table.events), { minLength: 1, maxLength: 80, size: 'max' }), (walk) => {
      const actor = createActor(machine).start();
      let state = table.initial;
      for (const type of walk) {
        const can = actor.getSnapshot().can({ type, cpu: 0 } as never);
        const next = table.next[state * E + table.event(type)] as number;
        expect(next >= 0).toBe(can);
        if (!can) continue;
        actor.send({ type, cpu: 0 } as never);
        state = next;
        expect(actor.getSnapshot().value).toBe(table.states[state]);
      }
      actor.stop();
    }),
    { seed, numRuns: 300 },
  );
}
