import { DEFAULT_HOOK_TIMEOUT_S } from '../searches/guard.js';

/** The flags `check` and `explore` share: which invariants, where the report and the trace go, and the policy-file watchdog. */
export interface RunFlags {
  invariant?: string[];
  json?: boolean;
  out?: string;
  html?: string;
  quiet?: boolean;
  coverage?: boolean;
  /** Several policies: print each finding's full report before the table, not one line each. */
  verbose?: boolean;
  /** `--full-state`: the complete debug state at the failing point. */
  fullState?: boolean;
  hookTimeout: number;
  /** Budgets: a run that reaches one stops with verdict held-so-far (exit 4). */
  timeLimit?: number;
  maxStates?: number;
  maxMemory?: number;
  /** `--continue`: one counterexample per invariant that breaks. */
  continue?: boolean;
  /** `--skip-invariant N` (repeatable). */
  skipInvariant?: string[];
  /** `--assume-fixed trace.json` (repeatable): known failures. */
  assumeFixed?: string[];
  /** `--out-dir DIR`: one trace file per counterexample. */
  outDir?: string;
  /** Model options (`--cpus`, `--brps`, …), validated per architecture by `modelConfig`. */
  [option: string]: unknown;
}

/** `--hook-timeout N` for a finding's replay command: a policy file's, when not the default (a hang's message names the time). */
export const hookTimeoutReplayFlag = (file: string | undefined, flags: RunFlags): string[] =>
  file !== undefined && flags.hookTimeout !== DEFAULT_HOOK_TIMEOUT_S ? [`--hook-timeout ${flags.hookTimeout}`] : [];
