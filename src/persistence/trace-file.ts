import * as z from 'zod';
import type { CheckResult } from '../searches/check.js';
import type { ExploreResult } from '../searches/explore.js';
import { UsageError } from './usage-error.js';

/** What the `format` field of every saved trace says. */
export const TRACE_FORMAT = 'worldswitch-trace';
/** Version of the saved-trace format; bumped on any change an older reader would misread. */
export const TRACE_VERSION = 1;
/** The largest trace file worldswitch reads (a 100,000-event trace is about 10 MiB). */
export const MAX_TRACE_BYTES = 64 * 2 ** 20;

/**
 * A saved counterexample (`--out`): everything `worldswitch replay` needs to re-execute it. The
 * events are concrete (DESIGN §7), not a seed and path, so a trace replays after the generators change.
 */
export interface TraceFile {
  readonly format: typeof TRACE_FORMAT;
  readonly version: typeof TRACE_VERSION;
  readonly command: 'check' | 'explore';
  readonly policy: string;
  readonly arch: string;
  /** The user's policy file it was checked from, as given on the command line; absent for a built-in policy. */
  readonly policyFile?: string;
  /** The model configuration (every option of the architecture, defaults included). */
  readonly config: Readonly<Record<string, number>>;
  /** The operand domain the events were drawn from: `small` for explore. */
  readonly domain: 'full' | 'small';
  /** The check's seed and fast-check path (absent for explore). */
  readonly seed?: number;
  readonly path?: string;
  /** The invariants that were checked (policy-total first). */
  readonly invariants: readonly string[];
  /** The invariant that broke, the step (1-based) at which it broke, and its message. */
  readonly invariant: string;
  readonly step: number;
  readonly message: string;
  /** The observation point (`after the event`, `in guestEnter, after hardware write #2 (…)`) and the register named; `--assume-fixed` matches on them. */
  readonly at?: string;
  readonly register?: string;
  readonly events: readonly Readonly<Record<string, unknown>>[];
}

/** The saved form of a violated check or exploration; undefined when there is no counterexample. */
export function toTraceFile(r: CheckResult | ExploreResult, policyFile?: string): TraceFile | undefined {
  if (r.verdict !== 'violated' || r.violation === undefined || r.trace.length === 0) return undefined;
  const fromCheck = 'seed' in r;
  return {
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    command: fromCheck ? 'check' : 'explore',
    policy: r.policy,
    arch: r.arch,
    ...(policyFile ? { policyFile } : {}),
    config: r.config,
    domain: fromCheck ? 'full' : 'small',
    ...(fromCheck ? { seed: r.seed, ...(r.path ? { path: r.path } : {}) } : {}),
    invariants: r.invariants,
    invariant: r.violation.invariant,
    step: r.violation.step,
    message: r.violation.message,
    at: r.violation.at,
    ...(r.violation.register !== undefined ? { register: r.violation.register } : {}),
    events: r.trace,
  };
}

const envelope = z.looseObject({
  format: z.literal(TRACE_FORMAT, { error: `not a worldswitch trace file (expected "format": "${TRACE_FORMAT}")` }),
  version: z.number(),
});

const header = z
  .strictObject({
    format: z.literal(TRACE_FORMAT),
    version: z.literal(TRACE_VERSION),
    command: z.enum(['check', 'explore']),
    policy: z.string().min(1),
    arch: z.string().min(1),
    policyFile: z.string().min(1).optional(),
    config: z.record(z.string(), z.int()),
    domain: z.enum(['full', 'small']),
    seed: z.int().optional(),
    path: z.string().optional(),
    invariants: z.array(z.string()).min(1),
    invariant: z.string().min(1),
    step: z.int().min(1),
    message: z.string(),
    at: z.string().optional(),
    register: z.string().optional(),
    events: z.array(z.looseObject({ event: z.string() })).min(1, 'the trace has no events'),
  })
  .refine((t) => t.step <= t.events.length, { path: ['step'], message: 'the step that broke is beyond the last event' });

/** `events[3].cpu` from a zod issue path. */
const pathText = (path: readonly PropertyKey[]): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`)).join('');

/**
 * How deep a trace or report file's JSON may nest (a trace nests 3 levels, a report about 8).
 * Deeper input is refused before validation: zod and the messages recurse, and 100,000 nested
 * brackets would overflow the stack.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether parsed JSON nests deeper than `limit` arrays and objects; iterative, so it cannot overflow itself. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [v, depth] = top;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/** `JSON.stringify`, or undefined where it cannot (a cycle, a stack overflow): a message never crashes. */
function jsonText(v: unknown): string | undefined {
  try {
    return JSON.stringify(v);
  } catch {
    return undefined;
  }
}

/** One zod issue as one line: where, what is wrong, and what was seen. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length > 0 ? `${pathText(issue.path)}: ` : '';
  const missing = issue.code === 'invalid_type' && issue.input === undefined;
  const input = jsonText(issue.input);
  const seen =
    input === undefined || issue.input === undefined || typeof issue.input === 'object' || issue.message.includes(input)
      ? ''
      : ` (got ${input})`;
  return `${where}${missing ? `missing (expected ${issue.expected})` : `${issue.message}${seen}`}`;
}

/** Parses `input` with `schema`, or throws a UsageError (exit 2) naming the file and the first issue. */
export function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown, file: string): T {
  const r = schema.safeParse(input, { reportInput: true });
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new UsageError(`${file}: ${issue ? describeIssue(issue) : 'invalid trace'}`);
}

/**
 * Reads a saved trace's text: JSON, the format and version, then every header field. Events are
 * checked against the architecture later (`traceEventsSchema`), once the model is known.
 */
export function readTraceFile(text: string, file: string): TraceFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const truncated = text.trim().length === 0 || /end of (JSON )?input|Unterminated/i.test(message);
    throw new UsageError(truncated ? `${file} is truncated: the JSON ends early (${message})` : `${file} is not JSON: ${message}`);
  }
  if (nestsDeeperThan(json, MAX_JSON_DEPTH))
    throw new UsageError(`${file} is not a valid trace: its JSON nests deeper than ${MAX_JSON_DEPTH} levels (a trace nests 3).`);
  const { version } = parseOrThrow(envelope, json, file);
  if (version !== TRACE_VERSION) {
    throw new UsageError(
      `${file} is trace version ${version}; this worldswitch reads version ${TRACE_VERSION}. Save it again with this version's --out.`,
    );
  }
  return parseOrThrow(header, json, file) as TraceFile;
}
