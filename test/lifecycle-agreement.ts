/** The differential property every compiled lifecycle table must pass (DESIGN §3): it agrees with its XState machine. */
import fc from 'fast-check';
import { expect } from 'vitest';
import { type AnyStateMachine, createActor } from 'xstate';
import { compileLifecycle } from '../src/engine/lifecycle.js';

/**
 * Random walks over the machine's events: the compiled table enables exactly what
 * `snapshot.can()` enables and reaches the same states, and the walks take every transition the
 * table enables (or agreement would prove little).
 */
export function expectTableAgreesWithMachine(machine: AnyStateMachine, seed: number): void {
  const table = compileLifecycle(machine);
  const E = table.events.length;
  const taken = new Set<string>();
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...table.events), { minLength: 1, maxLength: 80, size: 'max' }), (walk) => {
      const actor = createActor(machine).start();
      let state = table.initial;
      expect(actor.getSnapshot().value).toBe(table.states[state]);
      for (const [i, type] of walk.entries()) {
        const where = `step ${i + 1}: ${table.states[state]} --${type}-->`;
        const canMachine = actor.getSnapshot().can({ type, cpu: 0 });
        const next = table.next[state * E + table.event(type)] as number;
        expect(next >= 0, `${where} enabled in the table vs snapshot.can()`).toBe(canMachine);
        if (!canMachine) continue;
        actor.send({ type, cpu: 0 });
        taken.add(`${table.states[state]} --${type}-->`);
        state = next;
        expect(actor.getSnapshot().value, where).toBe(table.states[state]);
      }
      actor.stop();
    }),
    { seed, numRuns: 300 },
  );
  const enabled = table.states.flatMap((s, i) =>
    table.events.filter((_, e) => (table.next[i * E + e] as number) >= 0).map((e) => `${s} --${e}-->`),
  );
  expect([...taken].sort()).toEqual(enabled.sort());
}
