/** The public API of worldswitch: write policies, check them, render results. Every export is named. */

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
} from './engine/execute.js';
export { hex } from './engine/hex.js';
export {
  type DeliveryObservation,
  defineInvariant,
  type Finding,
  type HitObservation,
  type Invariant,
  type ReadObservation,
  type Violation,
} from './engine/invariant.js';
export { compileLifecycle, HOOK_NAMES, type HookName, LIFECYCLE_EVENTS, type Lifecycle } from './engine/lifecycle.js';
export type {
  ArchModel,
  CostCase,
  DebugView,
  EventKind,
  HostField,
  MemoryLayout,
  ModelConfig,
  ModelInstance,
  ModelOption,
} from './engine/model.js';
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
  type PolicyScope,
  PolicyScopeError,
  type TrapParams,
} from './engine/policy.js';
export { type BitField, decodeFields, type FieldTable, hexWithFields } from './engine/register-fields.js';
export { defineRegisterFile, type RegisterFile, type RegisterSpec, type WriteSemantics, writeResult } from './engine/register-file.js';
export { eventFromJSON, eventToJSON, type TraceEvent } from './engine/trace.js';
export { TRACE_EXCLUDE_GUEST, TRACE_EXCLUDE_HOST, TRACE_NO_SESSION, type TraceView } from './engine/trace-session.js';
export { CONTEXT_NAMES, CTX_GUEST, CTX_HOST, CTX_HYP, World, type WorldShape } from './engine/world.js';
export { breakpointEvents, hostWrite, type SlotHardware } from './model-kit/breakpoint-events.js';
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
} from './model-kit/debug-status.js';
export { KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_SINGLESTEP } from './model-kit/kvm-guestdbg.js';
export { readTraceFile, TRACE_FORMAT, TRACE_VERSION, type TraceFile, toTraceFile } from './persistence/trace-file.js';
export { traceEventsSchema } from './persistence/trace-schema.js';
export { type HtmlTrace, renderHtml } from './reports/html.js';
export { REPORT_VERSION, toJsonReport } from './reports/json.js';
export { renderTable } from './reports/tables.js';
export { formatEvent, renderText } from './reports/text.js';
export { CHECK_DEFAULTS, type CheckOptions, type CheckResult, check, makeExecutor } from './searches/check.js';
export { BASE_COST_CASES, type CaseCost, COST_DEFAULTS, type CostOptions, type CostResult, cost, costCases } from './searches/cost.js';
export { type ExploreOptions, type ExploreResult, explore } from './searches/explore.js';
export { interleavings } from './searches/interleave.js';
export { type Replay, replay, TraceError } from './searches/replay.js';
export {
  type Counterexample,
  type KnownFailure,
  type KnownHit,
  knownFromTrace,
  matchKnown,
  observationPoint,
  type Signature,
  signatureOf,
} from './searches/triage.js';
