/** The public API of worldswitch: write policies, check them, render results. Every export is named. */
export { breakpointEvents, hostWrite, type SlotHardware } from './breakpoint-events.js';
export { CHECK_DEFAULTS, type CheckOptions, type CheckResult, check, makeExecutor } from './check.js';
export { BASE_COST_CASES, type CaseCost, COST_DEFAULTS, type CostOptions, type CostResult, cost, costCases } from './cost.js';
export {
  STATUS_DELIVERED,
  STATUS_GHOST,
  STATUS_GUEST,
  STATUS_HOST,
  STATUS_SPURIOUS,
  VMM_DEBUG,
  VMM_DEBUG_ENABLE,
  VMM_DEBUG_HW,
  VMM_GHOST,
} from './debug-status.js';
export {
  CheckerCrash,
  EVENT_WIDTH,
  EXIT_REASONS,
  Executor,
  type ExitReason,
  HOOK_ACCESS_BUDGET,
  HOST_SCRATCH_WORDS,
  POLICY_TOTAL,
  SCRATCH_WORDS,
  type Warning,
} from './execute.js';
export { type ExploreOptions, type ExploreResult, explore } from './explore.js';
export { hex } from './hex.js';
export { interleavings } from './interleave.js';
export {
  type DeliveryObservation,
  defineInvariant,
  type Finding,
  type HitObservation,
  type Invariant,
  type ReadObservation,
  type Violation,
} from './invariant.js';
export { KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_SINGLESTEP } from './kvm-guestdbg.js';
export { compileLifecycle, HOOK_NAMES, type HookName, LIFECYCLE_EVENTS, type Lifecycle } from './lifecycle.js';
export type { ArchModel, CostCase, DebugView, EventKind, MemoryLayout, ModelConfig, ModelInstance, ModelOption } from './model.js';
export {
  definePolicy,
  type GuestDebug,
  type HookContext,
  type Hooks,
  type Hw,
  isPolicy,
  type Policy,
  type PolicyDefinition,
  PolicyError,
  type TrapParams,
} from './policy.js';
export { type BitField, decodeFields, type FieldTable, hexWithFields } from './register-fields.js';
export { defineRegisterFile, type RegisterFile, type RegisterSpec, type WriteSemantics, writeResult } from './register-file.js';
export { type HtmlTrace, renderHtml } from './render/html.js';
export { REPORT_VERSION, toJsonReport } from './render/json.js';
export { renderTable } from './render/tables.js';
export { formatEvent, renderText } from './render/text.js';
export { type Replay, replay, TraceError } from './replay.js';
export { eventFromJSON, eventToJSON, type TraceEvent } from './trace.js';
export { readTraceFile, TRACE_FORMAT, TRACE_VERSION, type TraceFile, toTraceFile } from './trace-file.js';
export { traceEventsSchema } from './trace-schema.js';
export { TRACE_EXCLUDE_GUEST, TRACE_EXCLUDE_HOST, TRACE_NO_SESSION, type TraceView } from './trace-session.js';
export {
  type Counterexample,
  type KnownFailure,
  type KnownHit,
  knownFromTrace,
  matchKnown,
  observationPoint,
  type Signature,
  signatureOf,
} from './triage.js';
export { CONTEXT_NAMES, CTX_GUEST, CTX_HOST, CTX_HYP, World, type WorldShape } from './world.js';
