/** What `check` takes and what it returns (the JSON report and the trace files carry the same fields). */

import type { Warning, Watch } from '../engine/execute.js';
import type { Invariant, Violation } from '../engine/invariant.js';
import type { ArchModel, ModelConfig } from '../engine/model.js';
import type { TraceEvent } from '../engine/trace.js';
import type { Coverage } from './coverage.js';
import type { Counterexample, KnownFailure, KnownHit } from './triage.js';

/** Defaults of `check` (and of the CLI). */
export const CHECK_DEFAULTS = { runs: 1000, seed: 1, maxSteps: 40 } as const;

/** What `check` takes besides the policy. */
export interface CheckOptions {
  readonly arch: ArchModel;
  readonly invariants: readonly Invariant[];
  readonly config?: ModelConfig;
  readonly runs?: number;
  readonly seed?: number;
  readonly maxSteps?: number;
  /** fast-check replay path, to jump straight to a known counterexample. */
  readonly path?: string;
  /** Shrink a counterexample (default); false stops at the first failing interleaving. */
  readonly shrink?: boolean;
  /** Shared memory for a watchdog (checks of user policy files run in a worker). */
  readonly watch?: Watch;
  /** Count lifecycle transitions and events exercised (`CheckResult.coverage`). */
  readonly coverage?: boolean;
  /** Polled before every run: true stops the search (a signal, a budget) with the runs done so far. */
  readonly shouldStop?: () => boolean;
  /** `--max-states`: stop (held so far) once this many events have executed. */
  readonly maxStates?: number;
  /**
   * Run each interleaving under an in-process watchdog of this many milliseconds (a hook that
   * never returns becomes a policy-total finding): for callers that cannot use a worker, such as
   * the vitest helper. Checks in a worker use `watch` instead.
   */
  readonly hookTimeoutMs?: number;
  /** Go on after a violation: one shrunk counterexample per invariant that breaks (`counterexamples`). */
  readonly continue?: boolean;
  /** Failures already known (`--assume-fixed`): a counterexample that breaks where one did is reported as known and the search goes on. */
  readonly known?: readonly KnownFailure[];
}

/** The message of the finding for a counterexample that does not reproduce when run again. */
export const NONDETERMINISTIC =
  'the counterexample does not reproduce when run again: the policy is nondeterministic. It keeps state outside k.vcpu/k.host (a module-level variable, Math.random(), Date), so the same events do not give the same run; the trace is the run that failed';

/** The outcome of checking one policy: held, violated (with a shrunk trace) or crashed. */
export interface CheckResult {
  /** held-so-far: stopped (a signal or a budget) before every run was done, none violated. */
  readonly verdict: 'held' | 'violated' | 'crashed' | 'held-so-far';
  readonly policy: string;
  readonly arch: string;
  readonly config: ModelConfig;
  readonly invariants: readonly string[];
  readonly runs: number;
  readonly seed: number;
  readonly maxSteps: number;
  readonly path?: string;
  readonly shrinks: number;
  readonly violation?: Violation;
  readonly trace: readonly TraceEvent[];
  readonly warnings: readonly Warning[];
  readonly error?: string;
  /** The last step's hook never returned: the watchdog stopped the check (the trace is not shrunk). */
  readonly hung?: boolean;
  /** The counterexample did not reproduce when run again: the finding is about the policy's determinism. */
  readonly nondeterministic?: boolean;
  /** What stopped the search early (held-so-far, or a violation reported before shrinking finished). */
  readonly stoppedBy?: string;
  readonly coverage?: Coverage;
  /** With `continue`: one counterexample per invariant that broke, the first being the one above. */
  readonly counterexamples?: readonly Counterexample[];
  /** Counterexamples that broke where a known failure does (`known`): not counted as violations. */
  readonly known?: readonly KnownHit[];
  /** Events executed, and WARN()s policy hooks reached, over every run (and shrink) of the check. */
  readonly stats: { readonly events: number; readonly warnings: number };
}
