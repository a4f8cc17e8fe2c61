import { describe, expect, it } from 'vitest';
import { arm64NvheLifecycle } from '../models/arm64-nvhe/lifecycle.machine.js';
import { compileLifecycle, HOOK_NAMES } from '../src/engine/lifecycle.js';
import { expectTableAgreesWithMachine } from './lifecycle-agreement.js';

const table = compileLifecycle(arm64NvheLifecycle);
const E = table.events.length;

/** The hook the compiled table runs on `state --event-->`, by name, or undefined. */
function hookOf(state: string, event: string): string | undefined {
  const s = table.states.indexOf(state);
  const e = table.event(event);
  return HOOK_NAMES[table.hook[s * E + e] as number];
}

/** The target of `state --event-->` in the compiled table, or undefined where it is not enabled. */
function targetOf(state: string, event: string): string | undefined {
  const next = table.next[table.states.indexOf(state) * E + table.event(event)] as number;
  return next >= 0 ? table.states[next] : undefined;
}

describe('compiled arm64-nvhe lifecycle table', () => {
  it('agrees with the XState machine on enabledness and target state along random walks', () => {
    expectTableAgreesWithMachine(arm64NvheLifecycle, 20260101);
  });

  it('starts unloaded, with the CPU context of every state taken from its meta.cpu', () => {
    expect(table.states[table.initial]).toBe('unloaded');
    const contexts = Object.fromEntries(table.states.map((s, i) => [s, table.context[i]]));
    expect(contexts).toEqual({ unloaded: -1, loaded: 0, entering: 1, guest: 2, exiting: 1, trapped: 0 });
  });

  it('follows the arm64 control flow: a trapped access is a full exit and re-entry (guest -> exiting -> trapped -> entering)', () => {
    expect(targetOf('guest', 'TRAP')).toBe('exiting');
    expect(targetOf('exiting', 'TRAPPED')).toBe('trapped');
    expect(targetOf('trapped', 'GUEST_ENTER')).toBe('entering');
    expect(targetOf('entering', 'ENTERED')).toBe('guest');
    expect(targetOf('guest', 'ENTERED')).toBeUndefined();
  });

  it('attaches the policy hooks to the transitions that run them', () => {
    expect(hookOf('unloaded', 'VCPU_LOAD')).toBe('vcpuLoad');
    expect(hookOf('loaded', 'GUEST_ENTER')).toBe('guestEnter');
    expect(hookOf('trapped', 'GUEST_ENTER')).toBe('guestEnter');
    expect(hookOf('guest', 'GUEST_EXIT')).toBe('guestExit');
    expect(hookOf('guest', 'TRAP')).toBe('guestExit');
    expect(hookOf('exiting', 'TRAPPED')).toBe('trap');
    expect(hookOf('loaded', 'VCPU_PUT')).toBe('vcpuPut');
    expect(hookOf('loaded', 'VMM_GET_REG')).toBe('getReg');
    expect(hookOf('entering', 'ENTERED')).toBeUndefined();
    expect(hookOf('exiting', 'EXITED')).toBeUndefined();
  });
});
