import { dirname, isAbsolute, join } from 'node:path';
import * as z from 'zod';
import type { Executor } from '../engine/execute.js';
import { DOMAIN_SMALL } from '../engine/model.js';
import { describeTraceEvent } from '../engine/trace.js';
import { readInputFile } from '../persistence/input-file.js';
import { splitPolicyAddress } from '../persistence/load-policy.js';
import { MAX_TRACE_BYTES, parseOrThrow, readTraceFile, type TraceFile } from '../persistence/trace-file.js';
import { configSchema, packTraceEvents } from '../persistence/trace-schema.js';
import { UsageError } from '../persistence/usage-error.js';
import { type ReplayOutcome, renderReplayText, replayAgain, shownTrace, toReplayJsonReport } from '../reports/replay-report.js';
import { regressionTest } from '../reports/reproduce.js';
import type { TraceView } from '../reports/trace-view.js';
import { viewTraceInSlices } from '../reports/trace-view.js';
import { makeExecutor } from '../searches/check.js';
import { DEFAULT_HOOK_TIMEOUT_S, rerunInChunks } from '../searches/guard.js';
import { runInSlices } from '../searches/slices.js';
import type { Catalog } from './catalog.js';
import { annotate, type CiVerdict, failingEvent, writeJunit } from './ci-output.js';
import { isDirectory } from './files-in.js';
import { type Io, signalExitCode } from './io.js';
import { replayCorpus } from './replay-corpus.js';
import { checkDestinations, writeHtmlReport } from './save-file.js';
import { type Selected, selectAll } from './selection.js';

/** The flags of `worldswitch replay`. */
export interface ReplayCommandFlags {
  policy?: string;
  html?: string;
  json?: boolean;
  /** Run the policy file the trace names (it is code: only for traces you trust). */
  trustPolicyFile?: boolean;
  hookTimeout?: number;
  fullState?: boolean;
  /** `--junit FILE`: also write the verdicts as JUnit XML. */
  junit?: string;
}

/**
 * The policy file a trace names, as a path usable from here: stored relative to the trace file's
 * directory (`#export` kept).
 */
function savedPolicyFile(traceFile: string, policyFile: string): string {
  const { file, exportName } = splitPolicyAddress(policyFile);
  const path = isAbsolute(file) ? file : join(dirname(traceFile), file);
  return exportName ? `${path}#${exportName}` : path;
}

/** The policy to replay against: `--policy` if given (on the trace's architecture), else the saved one. */
async function policyFor(saved: TraceFile, file: string, flags: ReplayCommandFlags, catalog: Catalog): Promise<Selected> {
  const flag = flags.policy;
  if (flag === '') throw new UsageError('--policy takes a policy (<arch>/<name>, a name or a policy file), got "".');
  if (flag === undefined && saved.policyFile !== undefined && !flags.trustPolicyFile) {
    // Replaying runs the policy's code: a trace from a bug report must not run a file by itself.
    throw new UsageError(
      `${file} names the policy file ${saved.policyFile}, which replay would run as code: pass --policy <file> to choose it, or --trust-policy-file.`,
    );
  }
  const arg = flag ?? (saved.policyFile ? savedPolicyFile(file, saved.policyFile) : `${saved.arch}/${saved.policy}`);
  const all = await selectAll([arg], catalog, flags.hookTimeout ?? DEFAULT_HOOK_TIMEOUT_S).catch((e: unknown) => {
    throw e instanceof UsageError && !flag ? new UsageError(`${file}: ${e.message}`) : e;
  });
  const found = all.filter((s) => s.arch.id === saved.arch && (flag || s.policy.name === saved.policy));
  const first = found[0];
  const otherArchs = [...new Set(all.map((s) => s.arch.id))];
  if (first === undefined && flag && otherArchs.length > 0) {
    // Every policy it names is of another architecture: say which, not "name one as <arch>/<name>".
    throw new UsageError(
      `--policy ${flag} is a policy for ${otherArchs.join(', ')}, but ${file} is a trace of ${saved.arch}: replay it with a policy of ${saved.arch}.`,
    );
  }
  const exports = found.flatMap((s) => (s.file && s.exportName ? [`${s.file}#${s.exportName}`] : []));
  if (flag && found.length > 1 && exports.length === found.length) {
    // A file with several policies: name them as --policy takes them, not as <arch>/<name> (not built-in names).
    throw new UsageError(`--policy ${flag} holds ${found.length} policies for arch ${saved.arch}: pick one, ${exports.join(' or ')}.`);
  }
  if (first === undefined || found.length > 1) {
    const what = flag ? `--policy ${flag}` : `${file}: policy "${saved.policy}"`;
    throw new UsageError(
      `${what} names ${found.length === 0 ? 'no' : 'more than one'} policy for arch ${saved.arch}; name one as <arch>/<name>.`,
    );
  }
  return first;
}

/** Loads and validates a trace file against the catalog: the architecture, policy, invariants, configuration and events. */
async function loadTrace(file: string, flags: ReplayCommandFlags, catalog: Catalog) {
  const saved = readTraceFile(readInputFile(file, 'Trace file', MAX_TRACE_BYTES), file);
  const arch = catalog.architectures.find((a) => a.id === saved.arch);
  if (!arch) {
    throw new UsageError(
      `${file}: arch: unknown architecture "${saved.arch}". Expected one of: ${catalog.architectures.map((a) => a.id).join(', ')}.`,
    );
  }
  const known = catalog.invariantsFor(arch.id).map((i) => i.name) as [string, ...string[]];
  const names = parseOrThrow(
    z.object({ invariants: z.array(z.enum(known)), invariant: z.enum(known) }),
    saved,
    `${file} (arch ${arch.id})`,
  );
  if (!names.invariants.includes(names.invariant)) {
    // Replayed without it, the trace could not break it again: the file contradicts itself.
    throw new UsageError(`${file}: invariants: does not list "${names.invariant}", the invariant the trace broke.`);
  }
  const selected = await policyFor(saved, file, flags, catalog);
  const config = parseOrThrow(z.object({ config: configSchema(arch, true) }), saved, file).config;
  const invariants = catalog.invariantsFor(arch.id).filter((i) => names.invariants.includes(i.name));
  const x = makeExecutor(selected.policy, arch, invariants, { ...config, ...(saved.domain === 'small' ? { domain: DOMAIN_SMALL } : {}) });
  return { saved, selected, x, ...packTraceEvents(x, saved.events, file) };
}

/** The verdict of a re-executed trace: `steps` of its `length` events ran on `x`. */
function verdictOf(x: Executor, steps: number, length: number): ReplayOutcome['verdict'] {
  if (x.violation) return 'violated';
  return steps === length ? 'held' : 'diverged';
}

/** A note when the replay broke something other than the saved trace did (or nothing). */
function differs(saved: TraceFile, verdict: ReplayOutcome['verdict'], x: Executor, steps: number): string | undefined {
  const saidTo = `the saved trace broke ${saved.invariant} at step ${saved.step}`;
  if (verdict === 'violated' && x.violation && (x.violation.invariant !== saved.invariant || steps !== saved.step)) {
    return `${saidTo}; this replay broke ${x.violation.invariant} at step ${steps}`;
  }
  if (verdict !== 'violated') return `${saidTo}; this replay broke nothing`;
  return undefined;
}

/** A trace re-executed: the outcome, the executor it left in that state and the steps shown, described (for the reports). */
export interface Replayed {
  readonly outcome: ReplayOutcome;
  readonly x: Executor;
  readonly view: TraceView;
}

/** True once a signal arrived: the replay stops at the next slice (see slices.ts). */
export const stopOnSignal = (io: Io) => (): boolean => io.signalled?.() !== undefined;

/**
 * Re-executes one trace file (a policy file's hooks under the in-process watchdog), in slices that
 * let a signal in: undefined when one stopped it. A trace that stops applying part-way is
 * `diverged`; under its own saved policy that means the file is wrong, a usage error, unless
 * `strict` is off (a corpus: the policy or the model changed since the trace was saved, which the
 * summary reports).
 */
export async function replayFile(
  file: string,
  flags: ReplayCommandFlags,
  catalog: Catalog,
  strict: boolean,
  io: Io,
): Promise<Replayed | undefined> {
  const { saved, selected, x, trace, packed } = await loadTrace(file, flags, catalog);
  const timeoutMs = selected.file ? (flags.hookTimeout ?? DEFAULT_HOOK_TIMEOUT_S) * 1000 : undefined;
  // The report's re-execution (viewTraceInSlices) runs the hooks again, under the same watchdog.
  if (timeoutMs !== undefined) x.guardMs = timeoutMs;
  const steps = await runInSlices(rerunInChunks(x, packed), stopOnSignal(io));
  if (steps === undefined) return undefined;
  const verdict = verdictOf(x, steps, packed.length);
  const hung = x.violation?.message.includes('did not return within') === true && timeoutMs !== undefined;
  const note = differs(saved, verdict, x, steps);
  if (verdict === 'diverged' && flags.policy === undefined && strict) {
    const e = trace[steps];
    throw new UsageError(
      `${file}: events[${steps}]: ${e ? describeTraceEvent(e) : '?'} is not enabled at step ${steps + 1} (or not in the model's alphabet): the trace does not replay.`,
    );
  }
  const outcome: ReplayOutcome = {
    file,
    saved,
    policy: selected.policy.name,
    ...(flags.policy ? { policyArg: flags.policy } : {}),
    ...(selected.file ? { policyFile: selected.file } : {}),
    arch: selected.arch.id,
    config: x.model.config,
    invariants: saved.invariants,
    verdict,
    trace,
    steps,
    violation: x.violation,
    warnings: [...x.warnings],
    ...(note ? { note } : {}),
    ...(hung ? { hung } : {}),
  };
  const view = await runInSlices(
    viewTraceInSlices(x, shownTrace(outcome), outcome.violation, outcome.warnings, outcome.hung),
    stopOnSignal(io),
  );
  return view && { outcome, x, view };
}

/** The CI view of a replay: a JUnit test case per trace file, an annotation when it still violates or no longer applies. */
export function replayVerdict(r: Replayed, text: string, seconds: number): CiVerdict {
  const o = r.outcome;
  const stale = o.verdict === 'diverged' ? `; step ${o.steps + 1} is not enabled under this policy` : '';
  return {
    name: o.file,
    policy: `${o.arch}/${o.policy}`,
    verdict: o.verdict,
    invariantSet: [],
    ...(o.violation ? { violation: o.violation } : {}),
    ...failingEvent(o.trace, o.violation),
    ...(o.verdict === 'diverged' ? { error: `the trace applies for ${o.steps} of ${o.trace.length} steps${stale}` } : {}),
    ...(o.policyFile ? { policyFile: o.policyFile } : {}),
    seconds,
    text,
    reproduce: replayAgain(o),
    properties: { steps: o.steps, of: o.trace.length, savedInvariant: o.saved.invariant },
  };
}

/** A signal stopped the replays after `done` of `total` traces: says so on stderr; the exit code, 130 or 143. */
export function stoppedReplays(io: Io, done: number, total: number): number {
  const signal = io.signalled?.() ?? 'SIGINT';
  io.err(`worldswitch: stopped by ${signal}; ${done} of ${total} traces replayed\n`);
  return signalExitCode(signal);
}

/** Exit code of replays: 1 if any still violates, 5 if any no longer applies (diverged), else 0. */
export const replayExitCode = (verdicts: readonly string[]): number =>
  verdicts.includes('violated') ? 1 : verdicts.includes('diverged') ? 5 : 0;

/**
 * `worldswitch replay`: re-executes a saved counterexample against its policy (or `--policy`
 * another one) and prints the same report as `check`; several files or a directory are a
 * regression corpus (`replayCorpus`). Exit 1 if it still violates an invariant, 5 if it no
 * longer applies under `--policy`, 0 if not, 2 for a trace file that cannot be used.
 */
export async function replayCommand(args: readonly string[], flags: ReplayCommandFlags, io: Io, catalog: Catalog): Promise<number> {
  const [only] = args;
  checkDestinations({ junit: flags.junit });
  if (args.length !== 1 || only === undefined || isDirectory(only)) return replayCorpus(args, flags, io, catalog);
  checkDestinations({ html: flags.html, junit: flags.junit });
  const started = performance.now();
  const r = await replayFile(only, flags, catalog, true, io);
  if (r === undefined) return stoppedReplays(io, 0, 1);
  const { outcome, x, view } = r;
  if (flags.html) {
    writeHtmlReport(flags.html, x, {
      view,
      title: `${outcome.arch}/${outcome.policy}: replay of ${only}`,
      trace: shownTrace(outcome),
      violation: outcome.violation,
      warnings: outcome.warnings,
      ...(outcome.hung ? { hung: true } : {}),
      ...(outcome.violation && !outcome.hung
        ? {
            reproduce: {
              command: replayAgain(outcome),
              test: regressionTest({
                arch: outcome.arch,
                policy: outcome.policy,
                config: outcome.config,
                invariant: outcome.violation.invariant,
                trace: outcome.trace.slice(0, outcome.steps),
                ...(outcome.policyFile ? { policyFile: outcome.policyFile } : {}),
              }),
            },
          }
        : {}),
    });
  }
  const text = renderReplayText(outcome, x, { fullState: flags.fullState === true, view });
  const verdict = replayVerdict(r, text, (performance.now() - started) / 1000);
  if (flags.junit) writeJunit(flags.junit, 'replay', [verdict]);
  annotate(io, [verdict]);
  io.out(flags.json ? `${JSON.stringify(toReplayJsonReport(outcome, x, view), null, 2)}\n` : text);
  return io.signalled?.() ? stoppedReplays(io, 1, 1) : replayExitCode([outcome.verdict]);
}
