/**
 * `worldswitch/vitest`: assertions for a kernel developer's own property suite, kept next to the
 * patch. Like cli.ts, an edge of the library that reads the catalog, so a test names only its
 * policy. Plain throws, so it works under any test runner; vitest prints the thrown report.
 */

import * as z from 'zod';
import { architectures, policies } from '../models/catalog.js';
import { invariantsFor } from '../properties/suites.js';
import { selectPolicies } from './cli/select-policies.js';
import { POLICY_TOTAL } from './engine/execute.js';
import { checkedByDefault, onlyWithOptions } from './engine/invariant.js';
import type { ArchModel, ModelConfig } from './engine/model.js';
import type { Policy } from './engine/policy.js';
import type { TraceEvent } from './engine/trace.js';
import { parseOrThrow } from './persistence/trace-file.js';
import { configSchema, packTraceEvents } from './persistence/trace-schema.js';
import { UsageError } from './persistence/usage-error.js';
import { configText, formatEvent, renderText, renderTrace } from './reports/text.js';
import { type CheckResult, check, makeExecutor } from './searches/check.js';
import { DEFAULT_HOOK_TIMEOUT_S, rerunGuarded } from './searches/guard.js';
import { policyConfig } from './searches/make-executor.js';

/** What `toHold` and `toHoldOn` take: the model configuration and the invariants (default all). */
export interface ModelOptions {
  readonly config?: ModelConfig;
  /** Invariant names to check (policy-total is always on). */
  readonly invariants?: readonly string[];
  /**
   * Seconds a run (toHold) or the replay (toHoldOn) may take before the hook then running counts
   * as looping, a policy-total finding (default 10): a spinning hook fails the test, not hangs it.
   */
  readonly hookTimeout?: number;
}

/** What `toHold` takes: the random search, as `worldswitch check` flags. */
export interface HoldOptions extends ModelOptions {
  readonly runs?: number;
  readonly seed?: number;
  readonly maxSteps?: number;
}

/** A policy broke an invariant: the message is the rendered counterexample. */
export class PolicyViolation extends Error {
  readonly code = 'ERR_POLICY_VIOLATED';
  override readonly name = 'PolicyViolation';
}

/**
 * A fixed trace stopped applying: an event is not enabled in the state the events before it reach
 * (what `replay --policy` calls diverged, exit 5). The events before it held; the rest checked nothing.
 */
export class TraceDiverged extends Error {
  readonly code = 'ERR_TRACE_DIVERGED';
  override readonly name = 'TraceDiverged';
}

/** The assertions `expectPolicy` returns. */
export interface PolicyExpectation {
  /** Checks the policy on random interleavings; throws a PolicyViolation with the counterexample unless it holds. */
  toHold(options?: HoldOptions): CheckResult;
  /**
   * Replays saved events (a regression trace); throws a PolicyViolation with the trace if an
   * invariant breaks. Events must be well-formed (else a UsageError), and each must be enabled
   * where the events before it lead (else a TraceDiverged naming it: a trace that stops applying
   * would otherwise pass while checking nothing, as `replay --policy` reports it diverged).
   */
  toHoldOn(events: readonly Readonly<Record<string, string | number | readonly number[]>>[], options?: ModelOptions): void;
}

/**
 * A userspace breakpoint list written as numbers, as the printed regression test has it
 * (`bps: [0x1000]`, `bps: []`), in the trace's own form (`'0x1000'`, `'none'`, `'0x1000+0x2000'`).
 */
function addressListsAsLabels(e: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...e };
  for (const [k, v] of Object.entries(e)) {
    if (Array.isArray(v) && v.every((a) => typeof a === 'number'))
      out[k] = v.length === 0 ? 'none' : v.map((a: number) => `0x${a.toString(16)}`).join('+');
  }
  return out;
}

/** The watchdog's milliseconds for a hook run on this thread (`hookTimeout`, default 10 s). */
const hookTimeoutMs = (options: { readonly hookTimeout?: number }): number => (options.hookTimeout ?? DEFAULT_HOOK_TIMEOUT_S) * 1000;

function resolve(policy: Policy | string): { policy: Policy; arch: ArchModel; builtIn: boolean } {
  const found = typeof policy === 'string' ? selectPolicies(policy, policies, architectures) : [policy];
  const p = found[0];
  if (p === undefined || found.length > 1)
    throw new UsageError(`expectPolicy("${String(policy)}") names several policies: use <arch>/<name>.`);
  const arch = architectures.find((a) => a.id === p.arch);
  if (!arch)
    throw new UsageError(
      `Policy "${p.name}" names an unknown arch "${p.arch}". Expected one of: ${architectures.map((a) => a.id).join(', ')}.`,
    );
  return { policy: p, arch, builtIn: policies.includes(p) };
}

function setup(policy: Policy, arch: ArchModel, options: ModelOptions) {
  const known = invariantsFor(arch.id);
  const names = options.invariants ?? [];
  parseOrThrow(z.array(z.enum(known.map((i) => i.name) as [string, ...string[]])), names, 'invariants');
  // The policy's era defaults under what the caller set: they decide what applies, as they decide the model.
  const config = policyConfig(policy, arch, parseOrThrow(configSchema(arch), options.config ?? {}, 'config'));
  // Named where it cannot apply (arm64-nvhe's userspace-debugging claims without gdb: 1) would be a vacuous hold.
  const unapplied = known.find((i) => names.includes(i.name) && !checkedByDefault(i, arch.id, config));
  if (unapplied)
    throw new Error(
      `invariants: ${unapplied.name} applies to ${arch.id} only with ${onlyWithOptions(unapplied, arch.id)
        .map((o) => `${o}: 1`)
        .join(' or ')}.`,
    );
  const invariants = known.filter(
    (i) => checkedByDefault(i, arch.id, config) && (names.length === 0 || names.includes(i.name) || i.name === POLICY_TOTAL),
  );
  return { invariants, config };
}

/** Assertions on a policy: a built-in one by name (`'arm64-nvhe/eager'`) or your own `definePolicy` object. */
export function expectPolicy(subject: Policy | string): PolicyExpectation {
  const { policy, arch, builtIn } = resolve(subject);
  const name = `${arch.id}/${policy.name}`;
  return {
    toHold(options = {}) {
      const { invariants, config } = setup(policy, arch, options);
      const { runs, seed, maxSteps } = options;
      const r = check(policy, {
        arch,
        invariants,
        config,
        hookTimeoutMs: hookTimeoutMs(options),
        ...(runs ? { runs } : {}),
        ...(seed !== undefined ? { seed } : {}),
        ...(maxSteps ? { maxSteps } : {}),
      });
      if (r.verdict === 'held') return r;
      const how = { policyArg: builtIn ? name : '<your policy file>', flags: [], ...(builtIn ? {} : { policyFile: './your-policy.js' }) };
      const renderer = makeExecutor(policy, arch, invariants, config);
      if (!builtIn) renderer.guardMs = hookTimeoutMs(options);
      throw new PolicyViolation(renderText(r, renderer, how));
    },
    toHoldOn(events, options = {}) {
      const { invariants, config } = setup(policy, arch, options);
      const x = makeExecutor(policy, arch, invariants, config);
      x.guardMs = hookTimeoutMs(options);
      const { trace, packed } = packTraceEvents(x, events.map(addressListsAsLabels), 'toHoldOn events');
      const steps = rerunGuarded(x, packed);
      const v = x.violation;
      if (v === undefined && steps < trace.length) {
        const at = trace[steps] as TraceEvent;
        throw new TraceDiverged(
          `${name}: the trace stops applying at step ${steps + 1} of ${trace.length}, ${formatEvent(at, x)}: that event is not enabled where the ${steps} before it lead (they held). ` +
            'Fix the event, or cut the trace there if the policy now ends the run earlier (replay calls this diverged).',
        );
      }
      if (v === undefined) return;
      const head = [`${name}: violated ${v.invariant} on the given trace (${configText(x.model.config)})`, ''];
      const hung = v.message.includes('did not return within');
      throw new PolicyViolation([...head, ...renderTrace(x, trace.slice(0, steps), v, [...x.warnings], hung)].join('\n'));
    },
  };
}
