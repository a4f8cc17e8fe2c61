import { EVENT_WIDTH, type Executor } from './execute.js';
import type { EventKind } from './model.js';

/** One step of a saved trace: the event's type and its named operands (registers by name). */
export type TraceEvent = { readonly event: string } & Readonly<Record<string, string | number>>;

/** Converts the packed event `ev` to its saved form. */
export function eventToJSON(x: Executor, ev: Float64Array): TraceEvent {
  const kind = x.kinds[ev[0] as number] as EventKind;
  const out: Record<string, string | number> = { event: kind.type };
  kind.operands.forEach(([name, k], i) => {
    const value = ev[i + 1] as number;
    if (k === 'reg') out[name] = x.model.registers.names[value] ?? value;
    else if (Array.isArray(k)) out[name] = (k as readonly string[])[value] ?? value;
    else out[name] = value;
  });
  return out as TraceEvent;
}

/** Converts a saved event back to packed form, or returns why it cannot be (unknown event, operand). */
export function eventFromJSON(x: Executor, e: TraceEvent): Float64Array | string {
  const index = x.kinds.findIndex((k) => k.type === e.event);
  const kind = x.kinds[index];
  if (kind === undefined) return `unknown event "${e.event}" for ${x.model.arch}`;
  const ev = new Float64Array(EVENT_WIDTH);
  ev[0] = index;
  for (const [i, [name, k]] of kind.operands.entries()) {
    const raw = e[name];
    let value: number | undefined;
    if (k === 'reg') value = typeof raw === 'string' ? x.model.registers.id(raw) : undefined;
    else if (Array.isArray(k)) value = typeof raw === 'string' ? (k as readonly string[]).indexOf(raw) : -1;
    else value = typeof raw === 'number' && Number.isFinite(raw) ? raw : undefined;
    if (value === undefined || value < 0) return `${e.event}: bad ${name} ${JSON.stringify(raw)}`;
    ev[i + 1] = value;
  }
  return ev;
}

/** The saved form of a list of packed events. */
export function tracesToJSON(x: Executor, events: readonly Float64Array[]): TraceEvent[] {
  return events.map((ev) => eventToJSON(x, ev));
}

/** `event { operand: value, … }`, as a refusal names a saved event ("HYP_READ_REG { vcpu: 0, reg: OSLSR_EL1 }"). */
export function describeTraceEvent(e: TraceEvent): string {
  const operands = Object.entries(e).filter(([k]) => k !== 'event');
  return operands.length ? `${e.event} { ${operands.map(([k, v]) => `${k}: ${v}`).join(', ')} }` : e.event;
}
