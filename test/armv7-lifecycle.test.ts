import { describe, expect, it } from 'vitest';
import { armv7Lifecycle } from '../models/armv7/lifecycle.machine.js';
import { compileLifecycle, HOOK_NAMES } from '../src/engine/lifecycle.js';
import { CTX_GUEST, CTX_HOST, CTX_HYP } from '../src/engine/world.js';
import { expectTableAgreesWithMachine } from './lifecycle-agreement.js';

const table = compileLifecycle(armv7Lifecycle);
const E = table.events.length;
const at = (state: string, event: string): number => table.states.indexOf(state) * E + table.event(event);

describe('compiled armv7 lifecycle table', () => {
  it('agrees with the XState machine on enabledness and target state along random walks, taking every transition', () => {
    expectTableAgreesWithMachine(armv7Lifecycle, 20260107);
  });

  it('runs the world switch in Hyp mode and a trapped CP14 access as a full exit whose handler runs in the host', () => {
    const ctx = (s: string): number => table.context[table.states.indexOf(s)] as number;
    expect([ctx('entering'), ctx('exiting'), ctx('guest'), ctx('trapped'), ctx('loaded')]).toEqual([
      CTX_HYP,
      CTX_HYP,
      CTX_GUEST,
      CTX_HOST,
      CTX_HOST,
    ]);
    expect(table.states[table.next[at('guest', 'TRAP')] as number]).toBe('exiting');
    expect(HOOK_NAMES[table.hook[at('exiting', 'TRAPPED')] as number]).toBe('trap');
    expect(table.states[table.next[at('trapped', 'GUEST_ENTER')] as number]).toBe('entering');
  });

  it('has no KVM_SET_GUEST_DEBUG (32-bit KVM/arm of 2015 did not support it)', () => {
    expect(table.events).not.toContain('VMM_SET_GUEST_DEBUG');
  });
});
