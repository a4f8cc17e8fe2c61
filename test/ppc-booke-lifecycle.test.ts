import { describe, expect, it } from 'vitest';
import { bookeLifecycle } from '../models/ppc-booke/lifecycle.machine.js';
import { compileLifecycle, HOOK_NAMES } from '../src/lifecycle.js';
import { expectTableAgreesWithMachine } from './lifecycle-agreement.js';

const table = compileLifecycle(bookeLifecycle);
const E = table.events.length;
const at = (state: string, event: string): number => table.states.indexOf(state) * E + table.event(event);

describe('compiled ppc-booke lifecycle table', () => {
  it('agrees with the XState machine on enabledness and target state along random walks', () => {
    expectTableAgreesWithMachine(bookeLifecycle, 20260102);
  });

  it('makes a debug interrupt in the guest an exit that returns to the host (KVM_EXIT_DEBUG goes to userspace from loaded)', () => {
    expect(table.states[table.next[at('guest', 'GUEST_EXIT')] as number]).toBe('exiting');
    expect(HOOK_NAMES[table.hook[at('guest', 'GUEST_EXIT')] as number]).toBe('guestExit');
    expect(table.states[table.next[at('exiting', 'EXITED')] as number]).toBe('loaded');
  });

  it('takes KVM_SET_GUEST_DEBUG only with the vCPU loaded and outside KVM_RUN', () => {
    const enabledIn = table.states.filter((_, s) => (table.next[s * E + table.event('VMM_SET_GUEST_DEBUG')] as number) >= 0);
    expect(enabledIn).toEqual(['loaded']);
    expect(HOOK_NAMES[table.hook[at('loaded', 'VMM_SET_GUEST_DEBUG')] as number]).toBe('setGuestDebug');
  });
});
