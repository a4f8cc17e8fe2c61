import type { Executor } from '../engine/execute.js';
import type { HookName } from '../engine/lifecycle.js';

/** What a check or an exploration exercised of the lifecycle machine and the event alphabet. */
export interface Coverage {
  readonly machine: string;
  readonly states: readonly { readonly state: string; readonly entered: number }[];
  /** `off`: labelled by an event this configuration has no path for (`ModelInstance.lifecycleOff`), so never a gap of the run. */
  readonly transitions: readonly {
    readonly from: string;
    readonly event: string;
    readonly to: string;
    readonly taken: number;
    readonly off?: true;
  }[];
  /** Per event kind: how often it was applied; `needsHook`: a hook the kind needs and the policy lacks, so it is never generated. */
  readonly events: readonly { readonly event: string; readonly applied: number; readonly needsHook?: string }[];
}

/** Summarises an executor's coverage counters (the executor must have coverage enabled). */
export function coverageOf(x: Executor): Coverage | undefined {
  const c = x.coverage;
  if (!c) return undefined;
  const lc = x.model.lifecycle;
  const E = lc.events.length;
  const entered = new Float64Array(lc.states.length);
  const off = new Set(x.model.lifecycleOff ?? []);
  const transitions: { from: string; event: string; to: string; taken: number; off?: true }[] = [];
  for (let s = 0; s < lc.states.length; s++) {
    for (let e = 0; e < E; e++) {
      const to = lc.next[s * E + e] as number;
      if (to < 0) continue;
      const taken = c.transitions[s * E + e] as number;
      entered[to] = (entered[to] as number) + taken;
      const event = lc.events[e] ?? '?';
      transitions.push({
        from: lc.states[s] ?? '?',
        event,
        to: lc.states[to] ?? '?',
        taken,
        ...(off.has(event) ? { off: true as const } : {}),
      });
    }
  }
  entered[lc.initial] = (entered[lc.initial] as number) + 1;
  return {
    machine: String(lc.machine.id),
    states: lc.states.map((state, i) => ({ state, entered: entered[i] as number })),
    transitions,
    events: x.kinds.map((k, i) => ({
      event: k.type,
      applied: c.kinds[i] as number,
      ...(k.needsHook !== undefined && !x.hasHook(k.needsHook as HookName) ? { needsHook: k.needsHook } : {}),
    })),
  };
}

/** The coverage section of a text report; every transition never taken is a warning. */
export function renderCoverage(c: Coverage): string {
  const visited = c.states.filter((s) => s.entered > 0).length;
  const taken = c.transitions.filter((t) => t.taken > 0).length;
  const lines = [
    `Coverage of lifecycle machine ${c.machine}:`,
    `  states: ${visited}/${c.states.length} entered`,
    `  transitions: ${taken}/${c.transitions.length} taken`,
  ];
  for (const t of c.transitions)
    if (t.taken === 0 && !t.off) lines.push(`  warning: transition ${t.from} --${t.event}--> ${t.to} was never taken`);
  // A state every way into which is off in this configuration is not a gap either.
  const offOnly = (state: string): boolean =>
    c.transitions.some((t) => t.to === state) && c.transitions.every((t) => t.to !== state || t.off);
  for (const s of c.states) if (s.entered === 0 && !offOnly(s.state)) lines.push(`  warning: state ${s.state} was never entered`);
  const offs = c.transitions.filter((t) => t.off && t.taken === 0);
  if (offs.length > 0)
    lines.push(`  not in this configuration (no kernel path): ${offs.map((t) => `${t.from} --${t.event}--> ${t.to}`).join(', ')}`);
  lines.push(`  events: ${c.events.map((e) => `${e.event} ${e.applied}`).join(', ')}`);
  for (const e of c.events) if (e.applied === 0 && e.needsHook === undefined) lines.push(`  warning: event ${e.event} was never applied`);
  // By design, not a gap of the run: the model generates these only for policies with the hook.
  for (const hook of new Set(c.events.map((e) => e.needsHook).filter((h) => h !== undefined))) {
    const kinds = c.events.filter((e) => e.needsHook === hook).map((e) => e.event);
    lines.push(`  not generated for this policy (it has no ${hook} hook): ${kinds.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}
