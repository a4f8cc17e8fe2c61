import { describe, expect, it } from 'vitest';
import { bookeLifecycle } from '../models/ppc-booke/lifecycle.machine.js';
import { compileLifecycle, HOOK_NAMES } from '../src/engine/lifecycle.js';
import { expectTableAgreesWithMachine } from './lifecycle-agreement.js';

const table = compileLifecycle(bookeLifecycle);
const E = table.events.length;
const at = (state: string, event: string): number => table.states.indexOf(state) * E + table.event(event);

describe('compiled ppc-booke lifecycle table', () => {
  it('agrees with the XState machine on enabledness and target state along random walks, taking every transition', () => {
    expectTableAgreesWithMachine(bookeLifecycle, 20260102);
  });

  it('switches debug context once per KVM_RUN: exits are handled inside the run loop, which re-enters or returns', () => {
    const hook = (state: string, event: string): string | undefined => HOOK_NAMES[table.hook[at(state, event)] as number];
    const target = (state: string, event: string): string | undefined => table.states[table.next[at(state, event)] as number];
    expect([target('loaded', 'GUEST_ENTER'), hook('loaded', 'GUEST_ENTER')]).toEqual(['entering', 'runEnter']);
    expect([target('guest', 'GUEST_EXIT'), hook('guest', 'GUEST_EXIT')]).toEqual(['exiting', 'guestExit']);
    expect(target('exiting', 'EXITED')).toBe('inRun');
    expect([target('exiting', 'TRAPPED'), hook('exiting', 'TRAPPED')]).toEqual(['inRun', 'trap']);
    expect([target('inRun', 'GUEST_ENTER'), hook('inRun', 'GUEST_ENTER')]).toEqual(['entering', 'guestEnter']);
    expect([target('inRun', 'RUN_RETURN'), hook('inRun', 'RUN_RETURN')]).toEqual(['returning', 'runReturn']);
    expect(target('returning', 'RETURNED')).toBe('loaded');
    // Inside the run loop the thread's debug context is the vCPU's: neither world's claims apply, no host debug user acts.
    expect(['inRun', 'entering', 'exiting', 'returning'].map((st) => table.context[table.states.indexOf(st)])).toEqual([1, 1, 1, 1]);
  });

  it('takes KVM_SET_GUEST_DEBUG only with the vCPU loaded and outside KVM_RUN', () => {
    const enabledIn = table.states.filter((_, s) => (table.next[s * E + table.event('VMM_SET_GUEST_DEBUG')] as number) >= 0);
    expect(enabledIn).toEqual(['loaded']);
    expect(HOOK_NAMES[table.hook[at('loaded', 'VMM_SET_GUEST_DEBUG')] as number]).toBe('setGuestDebug');
  });
});
