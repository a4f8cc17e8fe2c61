import type { Executor, Warning } from '../engine/execute.js';
import type { Violation } from '../engine/invariant.js';
import { fieldsOf, hexWithFields, setAndClear } from '../engine/register-fields.js';
import type { TraceEvent } from '../engine/trace.js';
import type { World } from '../engine/world.js';
import { replayInSlices } from '../searches/replay.js';
import { runToEnd, type Sliced } from '../searches/slices.js';
import { type Change, diffWorlds } from './diff.js';
import { fullState, type StateGroup } from './full-state.js';
import { type AccessLine, accessLines } from './inside-hook.js';
import { kernelNames } from './kernel-names.js';

/** One step of a counterexample as every renderer shows it. */
export interface StepView {
  readonly step: number;
  readonly event: TraceEvent;
  /** The event in one line, its value decoded: `GUEST_WRITE { vcpu: 0, reg: MDSCR_EL1, value: 0x8000 (MDE) }`. */
  readonly text: string;
  readonly changes: readonly Change[];
  readonly warnings: readonly Warning[];
  readonly failed: boolean;
  /** Who received the debug exceptions the step delivered (`host`, `guest`, `vmm`: userspace), in order. */
  readonly deliveries: readonly string[];
  /** The worlds before and after the step (undefined for a hung step, which is not re-executed). */
  readonly before: World | undefined;
  readonly after: World | undefined;
}

/** A counterexample, re-executed once and described for the text, JSON and HTML reports alike. */
export interface TraceView {
  readonly steps: readonly StepView[];
  /** Each event type's kernel counterpart, once. */
  readonly kernel: readonly (readonly [string, string])[];
  /** The failing step's hook accesses (empty without a violation). */
  readonly accesses: readonly AccessLine[];
  /** The live gate registers on the violated CPU (`cpu0.MDSCR_EL1 = 0x8000: MDE set; SS, KDE clear`). */
  readonly gates: readonly string[];
  /** The full debug state at the failing point (or the end of the trace). */
  readonly state: readonly StateGroup[];
  /**
   * Set when re-executing the trace for the report cut off a hook that the reported run got past (a
   * policy file whose hooks keep state outside k.vcpu/k.host): what happened, for a note.
   */
  readonly rerun?: string;
}

/** A saved event as one line, its `value` operand decoded with the fields of its `reg`. */
export function eventText(x: Executor | undefined, e: TraceEvent): string {
  const fields = x?.model.fields;
  const ops = Object.entries(e)
    .filter(([k]) => k !== 'event')
    .map(([k, v]) => {
      if (typeof v !== 'number' || (k !== 'value' && k !== 'addr')) return `${k}: ${v}`;
      return `${k}: ${k === 'value' && typeof e.reg === 'string' ? hexWithFields(fieldsOf(fields, e.reg), v) : hexWithFields(undefined, v)}`;
    });
  return ops.length ? `${e.event} { ${ops.join(', ')} }` : e.event;
}

/** Re-executes `trace` on `x` (logging hook accesses) and describes it; a hung last step is shown but not run. */
export function viewTrace(
  x: Executor,
  trace: readonly TraceEvent[],
  v: Violation | undefined,
  warnings: readonly Warning[],
  hung = false,
): TraceView {
  return runToEnd(viewTraceInSlices(x, trace, v, warnings, hung));
}

/** `viewTrace`, yielding every few hundred steps (see slices.ts): the CLI's replay stops it on a signal. */
export function* viewTraceInSlices(
  x: Executor,
  trace: readonly TraceEvent[],
  v: Violation | undefined,
  warnings: readonly Warning[],
  hung = false,
): Sliced<TraceView> {
  const rep = yield* replayInSlices(x, hung ? trace.slice(0, -1) : trace, true);
  const steps: StepView[] = [];
  for (const [i, event] of trace.entries()) {
    if ((i & 255) === 255) yield;
    const before = rep.states[i];
    const after = rep.states[i + 1];
    steps.push({
      step: i + 1,
      event,
      text: eventText(x, event),
      changes: before && after ? diffWorlds(x, before, after) : [],
      warnings: warnings.filter((w) => w.step === i + 1),
      failed: v !== undefined && i + 1 === v.step,
      deliveries: (rep.accesses[i] ?? []).filter((a) => a.kind === 'deliver').map((a) => a.hook),
      before,
      after,
    });
  }
  const last = rep.states[rep.states.length - 1] as World;
  const failing = v ? rep.accesses[v.step - 1] : undefined;
  const { registers, view, fields } = x.model;
  const gates: string[] = [];
  const reg = v?.register === undefined ? undefined : registers.id(v.register);
  if (v?.cpu !== undefined && reg !== undefined && (view.slotRegs.includes(reg) || view.gateRegs.includes(reg))) {
    for (const g of view.gateRegs) {
      const name = registers.names[g] ?? '?';
      const value = last.hw[v.cpu * registers.count + g] as number;
      const spelled = setAndClear(fieldsOf(fields, name), value);
      gates.push(`cpu${v.cpu}.${name} = ${hexWithFields(undefined, value)}${spelled ? `: ${spelled}` : ''}`);
    }
  }
  const cut = rep.cutOff ? rep.violation : undefined;
  return {
    steps,
    kernel: kernelNames(x, trace),
    accesses: failing ? accessLines(x, failing, v) : [],
    gates,
    state: fullState(x, last),
    ...(cut && (hung || cut.step !== v?.step || cut.message !== v.message)
      ? {
          rerun: `re-executing the trace for this report stopped at step ${cut.step} (${cut.message}), where the reported run did not: the policy does not run the same way twice (state outside k.vcpu/k.host), so later steps show no changes`,
        }
      : {}),
  };
}
