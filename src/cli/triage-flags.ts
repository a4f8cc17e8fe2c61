/** The triage flags of `check` and `explore`: `--skip-invariant`, `--assume-fixed`, `--out-dir`. */
import { join } from 'node:path';
import { POLICY_TOTAL } from '../engine/execute.js';
import { HOOK_NAMES } from '../engine/lifecycle.js';
import { readInputFile } from '../persistence/input-file.js';
import { MAX_TRACE_BYTES, readTraceFile, toTraceFile } from '../persistence/trace-file.js';
import { UsageError } from '../persistence/usage-error.js';
import type { CheckResult } from '../searches/check.js';
import type { ExploreResult } from '../searches/explore.js';
import { type Counterexample, type KnownFailure, knownFromTrace } from '../searches/triage.js';
import type { Catalog } from './catalog.js';
import type { Io } from './io.js';
import { makeDirs, policyFileFor, saveFile } from './save-file.js';

/** Validates `--skip-invariant` names: known invariants, and never policy-total (nothing after a failed hook is defined). */
export function checkSkipNames(names: readonly string[], catalog: Catalog, only: readonly string[] = []): void {
  for (const n of names) {
    // Checking an invariant and skipping it: the run would check policy-total alone and call that held.
    if (only.includes(n)) throw new UsageError(`--invariant ${n} and --skip-invariant ${n} contradict each other: give one of them.`);
    if (!catalog.invariants.some((i) => i.name === n)) {
      throw new UsageError(
        `Unknown invariant "${n}" for --skip-invariant. Expected one of: ${catalog.invariants.map((i) => i.name).join(', ')}.`,
      );
    }
    if (n === POLICY_TOTAL) {
      throw new UsageError(
        `--skip-invariant ${POLICY_TOTAL} is not possible: after a hook fails nothing is defined. Save its trace with --out and pass --assume-fixed instead.`,
      );
    }
  }
}

/** Reads the `--assume-fixed` trace files as known failures; a file that cannot be used is a usage error. */
export function loadKnown(files: readonly string[], catalog: Catalog): KnownFailure[] {
  return files.map((file) => {
    const t = readTraceFile(readInputFile(file, '--assume-fixed trace', MAX_TRACE_BYTES), file);
    const arch = catalog.architectures.find((a) => a.id === t.arch);
    if (!arch) throw new UsageError(`${file}: unknown architecture "${t.arch}".`);
    // What a known failure matches on must be something a violation can have, or it matches nothing, silently.
    if (t.invariant !== POLICY_TOTAL && !catalog.invariants.some((i) => i.name === t.invariant))
      throw new UsageError(`${file}: unknown invariant "${t.invariant}": it would match no violation.`);
    const known = knownFromTrace(t, file);
    if (known.at !== undefined && known.at !== 'after the event' && !HOOK_NAMES.some((h) => known.at === `in ${h}`))
      throw new UsageError(`${file}: "at" is "${t.at}"; a violation is "after the event" or "in <hook>": it would match no violation.`);
    if (known.register !== undefined && !arch.instantiate(t.config).registers.names.includes(known.register))
      throw new UsageError(
        `${file}: "register" ${JSON.stringify(known.register)} is no register of ${t.arch}: it would match no violation.`,
      );
    return known;
  });
}

/** Flags that reproduce the triage part of a run, for the Replay line. */
export function triageReplayFlags(flags: { continue?: boolean; skipInvariant?: string[]; assumeFixed?: string[] }): string[] {
  return [
    ...(flags.continue ? ['--continue'] : []),
    ...(flags.skipInvariant ?? []).map((n) => `--skip-invariant ${n}`),
    ...(flags.assumeFixed ?? []).map((f) => `--assume-fixed ${f}`),
  ];
}

/** The counterexamples of a result: every one with `--continue`, else the one it has (none when it held). */
export function counterexamplesOf(r: CheckResult | ExploreResult): readonly Counterexample[] {
  if (r.counterexamples) return r.counterexamples;
  if (r.verdict !== 'violated' || r.violation === undefined || r.hung || r.nondeterministic) return [];
  return [{ invariant: r.violation.invariant, violation: r.violation, trace: r.trace, warnings: 'warnings' in r ? r.warnings : [] }];
}

/** A file-name-safe form of a name. */
const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '_');

/**
 * `--out-dir DIR`: one trace file per counterexample, named `<arch>-<policy>-<invariant>.json`
 * (`-2`, `-3`, … for further points of one invariant with `--per-point`). Returns the files written.
 */
export function saveOutDir(
  dir: string,
  r: CheckResult | ExploreResult,
  file: string | undefined,
  io: Io,
  exportName?: string,
  used = new Map<string, number>(),
): string[] {
  const all = counterexamplesOf(r);
  if (all.length === 0) return [];
  try {
    makeDirs(dir);
  } catch (e) {
    throw new UsageError(`Cannot create --out-dir ${dir}: ${(e as Error).message}`);
  }
  const written: string[] = [];
  for (const c of all) {
    const base = `${safe(r.arch)}-${safe(r.policy)}-${safe(c.invariant)}`;
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    const name = join(dir, `${base}${n > 1 ? `-${n}` : ''}.json`);
    const one = { ...r, verdict: 'violated', violation: c.violation, trace: c.trace, ...(c.path ? { path: c.path } : {}) };
    const saved = toTraceFile(one as CheckResult | ExploreResult, file === undefined ? undefined : policyFileFor(name, file, exportName));
    if (saved === undefined) continue;
    saveFile(name, `${JSON.stringify(saved, null, 2)}\n`);
    written.push(name);
  }
  if (written.length) io.err(`${r.arch}/${r.policy}: saved ${written.join(', ')}\n`);
  return written;
}

/** Says on stderr which `--assume-fixed` traces are of an architecture no selected policy runs on: they match nothing. */
export function warnUnmatchedKnown(known: readonly KnownFailure[], archs: readonly string[], io: Io): void {
  for (const k of known) {
    if (!archs.includes(k.arch))
      io.err(`worldswitch: ${k.source} is a trace of ${k.arch}, which no selected policy runs on: it matches nothing\n`);
  }
}
