import type { AnyStateMachine } from 'xstate';

/** Events every lifecycle machine must handle (DESIGN §3); arch machines may add their own. */
export const LIFECYCLE_EVENTS = [
  'VCPU_LOAD',
  'VCPU_PUT',
  'GUEST_ENTER',
  'ENTERED',
  'GUEST_EXIT',
  'TRAP',
  'EXITED',
  'TRAPPED',
  'GUEST_READ',
  'GUEST_WRITE',
  'GUEST_EXECUTE',
  'GUEST_ACCESS',
  'VMM_GET_REG',
  'VMM_SET_REG',
  'VCPU_RESET',
] as const;

/** The names of the hooks a policy may provide (DESIGN §3). */
export const HOOK_NAMES = [
  'vcpuLoad',
  'vcpuPut',
  'guestEnter',
  'guestExit',
  'trap',
  'getReg',
  'setReg',
  'vcpuReset',
  'setGuestDebug',
  'fastpath',
  'hostTrap',
  'hypReadReg',
  'hypWriteReg',
  'setGuestTrace',
  'runEnter',
  'runReturn',
] as const;
/** One of `HOOK_NAMES`. */
export type HookName = (typeof HOOK_NAMES)[number];

/** Hook indices by name (`hasHook`, `hostHook`), instead of a scan of HOOK_NAMES per call. */
export const HOOK_INDEX: ReadonlyMap<string, number> = new Map(HOOK_NAMES.map((h, i) => [h, i]));

/**
 * A lifecycle machine compiled to a transition table: the hot path's form of the XState machine.
 * Derived once at start-up; a differential test proves it agrees with the machine.
 */
export interface Lifecycle {
  readonly machine: AnyStateMachine;
  readonly states: readonly string[];
  readonly events: readonly string[];
  readonly initial: number;
  /** `next[state * events.length + event]`: target state index, or -1 where the event is not enabled. */
  readonly next: Int8Array;
  /** Hook run by that transition, by index into `HOOK_NAMES`, or -1. */
  readonly hook: Int8Array;
  /** CPU context (`CTX_*`) of each state, -1 for a state in which the vCPU is on no CPU. */
  readonly context: Int8Array;
  event(name: string): number;
}

const CONTEXTS: Record<string, number> = { host: 0, hyp: 1, guest: 2 };

/**
 * Compiles a flat XState machine into a `Lifecycle`. Each state's `meta.cpu` names its CPU context;
 * each transition's hook is the action whose type is a hook name.
 */
export function compileLifecycle(machine: AnyStateMachine): Lifecycle {
  const root = machine.root;
  const states = Object.keys(root.states);
  const events = [...LIFECYCLE_EVENTS] as string[];
  const index = new Map(states.map((s, i) => [s, i]));
  for (const key of states) {
    const node = root.states[key];
    if (node === undefined || Object.keys(node.states).length > 0 || node.type === 'parallel') {
      throw new Error(`Lifecycle state "${key}" is compound; compileLifecycle handles flat machines only.`);
    }
    for (const ev of node.transitions.keys()) if (!events.includes(ev)) events.push(ev);
  }
  const n = states.length * events.length;
  const next = new Int8Array(n).fill(-1);
  const hook = new Int8Array(n).fill(-1);
  const context = new Int8Array(states.length).fill(-1);
  states.forEach((key, s) => {
    const node = root.states[key];
    if (node === undefined) return;
    const cpu = (node.meta as { cpu?: string } | undefined)?.cpu;
    if (cpu !== undefined) {
      const c = CONTEXTS[cpu];
      if (c === undefined) throw new Error(`Lifecycle state "${key}" has meta.cpu "${cpu}"; expected host, hyp or guest.`);
      context[s] = c;
    }
    for (const [ev, defs] of node.transitions) {
      const def = defs[0];
      if (def === undefined) continue;
      if (defs.length > 1 || def.guard !== undefined) {
        throw new Error(`Lifecycle transition ${key} --${ev}--> is guarded; decide it in hardware.ts instead.`);
      }
      // XState's snapshot.can() counts a transition with neither target nor actions as forbidden.
      if (def.target === undefined && def.actions.length === 0) continue;
      const e = events.indexOf(ev);
      const target = def.target?.[0]?.key ?? key;
      next[s * events.length + e] = index.get(target) ?? -1;
      for (const a of def.actions) {
        const type = typeof a === 'string' ? a : (a as { type?: string }).type;
        const h = (HOOK_NAMES as readonly string[]).indexOf(type ?? '');
        if (h >= 0) hook[s * events.length + e] = h;
      }
    }
  });
  const initialKey = root.initial?.target?.[0]?.key;
  return {
    machine,
    states,
    events,
    initial: index.get(initialKey ?? '') ?? 0,
    next,
    hook,
    context,
    event(name) {
      const e = events.indexOf(name);
      if (e < 0) throw new Error(`Lifecycle machine "${machine.id}" has no event ${name}.`);
      return e;
    },
  };
}

/** The lifecycle events the executor fires itself, resolved once per executor (`VcpuOperations.own`). */
export const OWN_EVENTS = [
  'VCPU_LOAD',
  'VCPU_PUT',
  'RUN_RETURN',
  'GUEST_ENTER',
  'ENTERED',
  'GUEST_EXIT',
  'EXITED',
  'TRAP',
  'TRAPPED',
  'GUEST_READ',
  'GUEST_WRITE',
  'VMM_GET_REG',
  'VMM_SET_REG',
  'VCPU_RESET',
] as const;
/** Indices into OWN_EVENTS. */
export const E_VCPU_LOAD = 0;
export const E_VCPU_PUT = 1;
export const E_RUN_RETURN = 2;
export const E_GUEST_ENTER = 3;
export const E_ENTERED = 4;
export const E_GUEST_EXIT = 5;
export const E_EXITED = 6;
export const E_TRAP = 7;
export const E_TRAPPED = 8;
export const E_GUEST_READ = 9;
export const E_GUEST_WRITE = 10;
export const E_VMM_GET_REG = 11;
export const E_VMM_SET_REG = 12;
export const E_VCPU_RESET = 13;
