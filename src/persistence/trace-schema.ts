import * as z from 'zod';
import type { Executor } from '../engine/execute.js';
import type { ArchModel, EventKind, OperandKind } from '../engine/model.js';
import { eventFromJSON, type TraceEvent } from '../engine/trace.js';
import { parseOrThrow } from './trace-file.js';
import { UsageError } from './usage-error.js';

/** Options every saved configuration has (every model has had them from the first trace format on). */
const ALWAYS_SAVED = ['cpus', 'vcpus'];

/**
 * The schema of a configuration on `arch`: each of its options, an integer in the option's range,
 * optional (the option's default). A `saved` one (a trace file's) must have cpus and vcpus, which
 * every trace was saved with (one without them was edited); the others stay optional, as a trace
 * saved before an option existed ran with its default.
 */
export function configSchema(arch: ArchModel, saved = false): z.ZodType<Record<string, number>> {
  const shape = Object.fromEntries(
    arch.options.map((o) => {
      const value = z
        .int()
        .min(o.min, `${o.name} must be between ${o.min} and ${o.max} on ${arch.id}`)
        .max(o.max, `${o.name} must be between ${o.min} and ${o.max} on ${arch.id}`);
      return [o.name, saved && ALWAYS_SAVED.includes(o.name) ? value : value.optional()];
    }),
  );
  return z.strictObject(shape) as unknown as z.ZodType<Record<string, number>>;
}

/** An index operand below `count`: what is out of range names the configuration that bounds it. */
const index = (what: string, count: number, bound: string): z.ZodType =>
  z
    .int()
    .min(0, `${what} indices start at 0`)
    .max(count - 1, { error: (iss) => `${what} ${String(iss.input)} does not exist: ${bound} (0..${count - 1})` });

/** The schema of one operand, from the model instance's own metadata (registers, slots, shape). */
function operandSchema(kind: OperandKind, x: Executor): z.ZodType {
  const { registers, view, arch, config } = x.model;
  const { cpus, vcpus } = x.world.shape;
  if (kind === 'cpu') return index('cpu', cpus, `the trace configures cpus=${cpus}`);
  if (kind === 'vcpu') return index('vcpu', vcpus, `the trace configures vcpus=${vcpus}`);
  if (kind === 'slot') return index('slot', view.slotNames.length, `${arch} has ${view.slotNames.length} debug slots here`);
  if (kind === 'value') return z.int().min(0, 'a register value is not negative');
  if (kind === 'reg') {
    const names = registers.names.filter((_, r) => registers.implemented[r] === 1);
    const options = Object.entries(config)
      .filter(([k]) => k !== 'cpus' && k !== 'vcpus')
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    return z.enum(names as [string, ...string[]], {
      error: (iss) => `unknown register ${JSON.stringify(iss.input)} on ${arch}${options ? ` (${options})` : ''}`,
    });
  }
  return z.enum(kind as [string, ...string[]]);
}

/** The schema of one event kind: its type and exactly its operands. */
const eventSchema = (k: EventKind, x: Executor) =>
  z.strictObject({
    event: z.literal(k.type),
    ...Object.fromEntries(k.operands.map(([name, kind]) => [name, operandSchema(kind, x)])),
  });

/**
 * The schema of a saved trace's events on the executor's model, derived from its event kinds
 * (generic over architectures): every event known, every operand present, typed and in range.
 */
export function traceEventsSchema(x: Executor): z.ZodType<TraceEvent[]> {
  const types = x.kinds.map((k) => k.type);
  const options = x.kinds.map((k) => eventSchema(k, x));
  const union = z.discriminatedUnion('event', options as unknown as [z.ZodObject, ...z.ZodObject[]], {
    error: (iss) => {
      if (iss.code !== 'invalid_union') return undefined;
      const event = (iss.input as { event?: unknown } | undefined)?.event;
      // A trace saved before the model's one-reg option existed, or with it off.
      const oneReg =
        x.model.oneReg === false && (event === 'VMM_GET_REG' || event === 'VMM_SET_REG')
          ? ` KVM_GET/SET_ONE_REG reaches ${x.model.arch}'s debug registers only with the model option one-reg = 1 (in the trace's "config").`
          : '';
      return `unknown event ${JSON.stringify(event)} on ${x.model.arch}. Expected one of: ${types.join(', ')}.${oneReg}`;
    },
  });
  return z.array(union) as unknown as z.ZodType<TraceEvent[]>;
}

/**
 * Validates saved events against the executor's model and packs them for execution; `label`
 * names the source in the one-line error (a UsageError) when an event is unknown or malformed.
 */
export function packTraceEvents(x: Executor, events: unknown, label: string): { trace: TraceEvent[]; packed: Float64Array[] } {
  const trace = parseOrThrow(z.object({ events: traceEventsSchema(x) }), { events }, label).events;
  const packed = trace.map((e, i) => {
    const ev = eventFromJSON(x, e);
    if (typeof ev === 'string') throw new UsageError(`${label}: events[${i}]: ${ev}`);
    return ev;
  });
  return { trace, packed };
}
