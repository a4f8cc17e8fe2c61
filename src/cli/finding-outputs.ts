/** What `check` and `explore` do with a finding's files: `--out`, `--html`, `--out-dir`, and the replay hints its report prints. */
import type { Executor } from '../engine/execute.js';
import type { ReplayFlags } from '../reports/text.js';
import type { CheckResult } from '../searches/check.js';
import type { ExploreResult } from '../searches/explore.js';
import type { Io } from './io.js';
import { saveOutputs } from './save-file.js';
import { saveOutDir } from './triage-flags.js';

/** Where a finding came from and how to run it again. */
export interface FindingSource {
  /** The policy argument as the user gave it. */
  readonly arg: string;
  readonly file: string | undefined;
  readonly exportName?: string;
  /** `check --seed 1`, `explore --depth 8`: the run the HTML title names. */
  readonly run: string;
  /** The command that reproduces the run. */
  readonly command: string;
  readonly replayFlags: readonly string[];
  /** `--out-dir`: the file names this command wrote so far, so two policies of one name (two files) do not share one. */
  readonly outDirNames?: Map<string, number>;
}

/** Writes a finding's files (`--out`, `--html`, `--out-dir`) and returns how its text report says to reproduce it. */
export function saveFinding(
  flags: { out?: string; html?: string; outDir?: string; fullState?: boolean },
  r: CheckResult | ExploreResult,
  x: Executor,
  io: Io,
  at: FindingSource,
): ReplayFlags {
  const savedTo = saveOutputs(flags, r, x, io, {
    file: at.file,
    ...(at.exportName && at.arg.includes('#') ? { exportName: at.exportName } : {}),
    run: at.run,
    command: at.command,
  });
  if (flags.outDir) saveOutDir(flags.outDir, r, at.file, io, at.exportName, at.outDirNames);
  return {
    policyArg: at.arg,
    flags: at.replayFlags,
    ...(at.file ? { policyFile: at.exportName ? `${at.file}#${at.exportName}` : at.file } : {}),
    ...(savedTo ? { savedTo } : {}),
    ...(flags.fullState ? { fullState: true } : {}),
  };
}
