/**
 * Replays a JSON trace on a policy in-process, for tests that pin what one hand-written trace does:
 * the step (1-based) and message of the first violation, or undefined when every step holds.
 */
import type { Invariant } from '../../src/engine/invariant.js';
import type { ArchModel } from '../../src/engine/model.js';
import type { Policy } from '../../src/engine/policy.js';
import { eventFromJSON, type TraceEvent } from '../../src/engine/trace.js';
import { makeExecutor } from '../../src/searches/check.js';

export function firstViolation(
  policy: Policy,
  arch: ArchModel,
  trace: readonly TraceEvent[],
  invariants: readonly Invariant[],
  config: Record<string, number> = {},
): { step: number; message: string } | undefined {
  const x = makeExecutor(policy, arch, invariants, config);
  for (const [i, e] of trace.entries()) {
    const ev = eventFromJSON(x, e);
    if (typeof ev === 'string') throw new Error(ev);
    x.apply(ev);
    if (x.violation) return { step: i + 1, message: x.violation.message };
  }
  return undefined;
}
