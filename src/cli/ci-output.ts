import { readFileSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import type { Violation } from '../engine/invariant.js';
import { errorCommand, hookLine, hookOf } from '../reports/github.js';
import { type JunitCase, type JunitSuite, renderJunit } from '../reports/junit.js';
import type { Io } from './io.js';
import { saveFile } from './save-file.js';

/** One verdict as CI sees it: a JUnit test case and, when it failed, a GitHub annotation. */
export interface CiVerdict {
  /** `arm64-nvhe/eager`, or the trace file for a replay. */
  readonly name: string;
  /** The policy (`<arch>/<name>`) the verdict is about. */
  readonly policy: string;
  readonly verdict: string;
  /** The invariants named with `--invariant`; empty for every invariant of the architecture. */
  readonly invariantSet: readonly string[];
  readonly violation?: Violation;
  /** The event of the step that broke (`GUEST_EXIT`), to find the hook when the violation was seen after it. */
  readonly failingEvent?: string;
  readonly error?: string;
  /** The user's policy file, for the annotation's file and line. */
  readonly policyFile?: string;
  readonly seconds: number;
  /** The text report of this verdict (goes into `<failure>`). */
  readonly text: string;
  /** The command that reproduces it, for the annotation. */
  readonly reproduce?: string;
  readonly properties?: Readonly<Record<string, string | number>>;
}

/** What each verdict is for JUnit: `failure` for a broken invariant or a trace that no longer applies, `error` for a crash. */
function outcomeOf(v: CiVerdict): JunitCase['outcome'] {
  if (v.verdict === 'violated' && v.violation) {
    const { invariant, step, message } = v.violation;
    return { kind: 'failure', type: invariant, message: `violated ${invariant} at step ${step}: ${message}`, text: v.text };
  }
  if (v.verdict === 'violated') return { kind: 'failure', type: 'violated', message: 'violated', text: v.text };
  if (v.verdict === 'diverged') {
    return { kind: 'failure', type: 'diverged', message: 'the trace no longer applies under this policy', text: v.text };
  }
  if (v.verdict === 'crashed' || v.verdict === 'stopped') {
    return { kind: 'error', type: v.verdict, message: v.error ?? v.verdict, text: v.text };
  }
  return undefined;
}

/** The JUnit test case of a verdict: named by policy (or trace file) and invariant set. */
export function junitCase(command: string, v: CiVerdict): JunitCase {
  const outcome = outcomeOf(v);
  const set = v.invariantSet.length > 0 ? ` [${v.invariantSet.join(', ')}]` : '';
  return {
    name: `${v.name}${set}`,
    classname: `worldswitch.${command}`,
    seconds: v.seconds,
    ...(outcome ? { outcome } : {}),
    properties: { policy: v.policy, verdict: v.verdict, ...v.properties },
  };
}

/** `--junit FILE`: writes one test suite of `verdicts`. */
export function writeJunit(file: string, command: string, verdicts: readonly CiVerdict[]): void {
  const suite: JunitSuite = { name: `worldswitch ${command}`, cases: verdicts.map((v) => junitCase(command, v)) };
  saveFile(file, renderJunit([suite]));
}

/** A path as GitHub wants it in an annotation: relative to the working directory (the checkout), with `/`. */
const repoPath = (file: string): string => relative(resolve('.'), resolve(file)).split(sep).join('/');

function lineOf(file: string, hook: string | undefined): number | undefined {
  if (hook === undefined) return undefined;
  try {
    return hookLine(readFileSync(file, 'utf8'), hook);
  } catch {
    return undefined;
  }
}

/** What a check or an exploration ended with, as far as CI output needs it. */
interface Outcome {
  readonly verdict: string;
  readonly violation?: Violation;
  readonly error?: string;
  readonly trace: readonly { readonly event: string }[];
}

/** The CI view of one policy's check or exploration: a JUnit test case, an annotation when it broke. */
export function resultVerdict(
  r: Outcome,
  c: Pick<CiVerdict, 'name' | 'invariantSet' | 'seconds' | 'text' | 'reproduce' | 'properties'> & { readonly file?: string },
): CiVerdict {
  return {
    name: c.name,
    policy: c.name,
    verdict: r.verdict,
    invariantSet: c.invariantSet,
    ...(r.violation ? { violation: r.violation } : {}),
    ...failingEvent(r.trace, r.violation),
    ...(r.error ? { error: r.error } : {}),
    ...(c.file ? { policyFile: c.file } : {}),
    seconds: c.seconds,
    text: c.text,
    ...(c.reproduce ? { reproduce: c.reproduce } : {}),
    ...(c.properties ? { properties: c.properties } : {}),
  };
}

/** The CI view of a policy's merged report (`worldswitch merge`), whose JSON has `null` for no violation or error. */
export function mergedVerdict(
  r: Omit<Outcome, 'violation' | 'error'> & {
    readonly arch: string;
    readonly policy: string;
    readonly policyFile?: string;
    readonly violation?: Violation | null;
    readonly error?: string | null;
  },
  c: Pick<CiVerdict, 'seconds' | 'text' | 'properties'>,
): CiVerdict {
  return resultVerdict(
    { ...r, violation: r.violation ?? undefined, error: r.error ?? undefined },
    { name: `${r.arch}/${r.policy}`, invariantSet: [], ...(r.policyFile ? { file: r.policyFile } : {}), ...c },
  );
}

/** The event of the step a violation broke at, for `CiVerdict.failingEvent`. */
export const failingEvent = (trace: readonly { readonly event: string }[], v: Violation | undefined): { failingEvent?: string } => {
  const e = v ? trace[v.step - 1]?.event : undefined;
  return e ? { failingEvent: e } : {};
};

/** Under GitHub Actions, an `::error` annotation per failing verdict, on the policy file's failing hook when known. */
export function annotate(io: Io, verdicts: readonly CiVerdict[]): void {
  if (!io.annotate) return;
  for (const v of verdicts) {
    const outcome = outcomeOf(v);
    if (!outcome) continue;
    const file = v.policyFile;
    const line = file ? lineOf(file, hookOf(v.violation?.at, v.failingEvent)) : undefined;
    const where = v.violation ? ` (${v.violation.at})` : '';
    io.annotate(
      errorCommand({
        title: `worldswitch: ${v.name} ${v.verdict}${v.violation ? ` ${v.violation.invariant}` : ''}`,
        message: `${outcome.message}${where}${v.reproduce ? `\nReproduce: ${v.reproduce}` : ''}`,
        ...(file ? { file: repoPath(file) } : {}),
        ...(line ? { line } : {}),
      }),
    );
  }
}
