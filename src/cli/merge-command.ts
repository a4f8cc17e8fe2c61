import * as z from 'zod';
import { readInputFile } from '../persistence/input-file.js';
import { MAX_JSON_DEPTH, nestsDeeperThan, parseOrThrow, TRACE_FORMAT } from '../persistence/trace-file.js';
import { UsageError } from '../persistence/usage-error.js';
import { REPORT_VERSION } from '../reports/json.js';
import { renderMergedText, renderMergeTable } from '../reports/merge-report.js';
import { annotate, type CiVerdict, mergedVerdict, writeJunit } from './ci-output.js';
import type { Io } from './io.js';
import { mergeExplore } from './merge-explore.js';
import { checkSlice, envelopeShard, MAX_RUNS, measure, natural, reportHead, resultsMatchShard, seed, violation } from './report-fields.js';
import { checkDestinations } from './save-file.js';
import { checkOneRun, checkShardSet } from './shard.js';

/** The flags of `worldswitch merge`. */
export interface MergeFlags {
  json?: boolean;
  junit?: string;
  quiet?: boolean;
}

/** What merge says of a report of another command among check reports. */
const CHECK_ONLY = 'merge combines reports of `worldswitch check --json` (or all of `explore --json`)';

const resultSchema = z
  .looseObject({
    ...reportHead('check', CHECK_ONLY),
    verdict: z.enum(['held', 'violated', 'crashed', 'held-so-far']),
    invariant: z.string().nullable(),
    runs: natural.max(MAX_RUNS),
    seed,
    maxSteps: z.int().min(1),
    path: z.string().nullable(),
    violation: violation.nullable(),
    trace: z.array(z.looseObject({ event: z.string() })),
    error: z.string().nullable(),
    stats: z.looseObject({ events: natural, ms: measure }),
    shard: checkSlice.optional(),
  })
  .superRefine((r, ctx) => {
    if (r.shard && r.runs > r.shard.to - r.shard.from)
      ctx.addIssue({
        code: 'custom',
        path: ['runs'],
        message: `${r.runs} runs in a slice of ${r.shard.to - r.shard.from}`,
        input: undefined,
      });
  });

/** One check result as `check --json` printed it. */
export type CheckReport = z.infer<typeof resultSchema>;

const envelopeSchema = z
  .looseObject({
    reportVersion: z.literal(REPORT_VERSION),
    command: z.literal('check', { error: CHECK_ONLY }),
    shard: envelopeShard().optional(),
    results: z.array(resultSchema),
  })
  .superRefine(resultsMatchShard);

type Envelope = z.infer<typeof envelopeSchema> & { file: string };

/** A report file's JSON and the command that wrote it. */
export interface ReportFile {
  readonly file: string;
  readonly json: unknown;
  readonly command: unknown;
}

/** Reads a report file's JSON. */
function readJson(file: string): ReportFile {
  const text = readInputFile(file, 'Report');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`Report ${file} is not a JSON report (${(e as Error).message}).`);
  }
  if (nestsDeeperThan(json, MAX_JSON_DEPTH))
    throw new UsageError(`Report ${file} is not a valid report: its JSON nests deeper than ${MAX_JSON_DEPTH} levels.`);
  const { command, format } = (typeof json === 'object' && json !== null ? json : {}) as { command?: unknown; format?: unknown };
  if (format === TRACE_FORMAT)
    throw new UsageError(`${file} is a saved trace (--out), not a report: replay it with worldswitch replay ${file}.`);
  if (command === undefined)
    throw new UsageError(`${file} is not a worldswitch report: merge takes what check --json and explore --json print.`);
  return { file, json, command };
}

/** Reads one check report: the multi-policy envelope, or a single result (which is its own envelope of one). */
function readReport({ file, json }: ReportFile): Envelope {
  if (typeof json === 'object' && json !== null && !('results' in json)) {
    const one = parseOrThrow(resultSchema, json, file);
    return { reportVersion: REPORT_VERSION, command: 'check', results: [one], file };
  }
  return { ...parseOrThrow(envelopeSchema, json, file), file };
}

/** A policy's merged verdict: the worst one, the shortest counterexample, the runs of every shard added up. */
export interface Merged {
  readonly report: CheckReport;
  /** Runs executed over every piece. */
  readonly runs: number;
  /** Where the counterexample came from, for a sharded run. */
  readonly foundIn?: { readonly shard: string; readonly from: number; readonly to: number };
  /** Other invariants that other slices broke, each with its shortest counterexample's length: one process would report only one. */
  readonly alsoBroken: readonly { readonly invariant: string; readonly steps: number; readonly shard?: string }[];
}

const RANK: Record<CheckReport['verdict'], number> = { held: 0, 'held-so-far': 1, violated: 2, crashed: 3 };

/** The results of every shard of one run (`checkShardSet`), grouped by policy, each policy's slices tiling its runs. */
function groupSharded(reports: readonly Envelope[]): CheckReport[][] {
  const total = checkShardSet(reports, 'check');
  const first = reports[0]?.shard;
  if (total === undefined || !first) return [];
  checkOneRun(reports);
  const groups: CheckReport[][] = Array.from({ length: first.policies }, () => []);
  for (const r of reports) for (const res of r.results) groups[res.shard?.item ?? -1]?.push(res);
  groups.forEach((pieces, item) => {
    pieces.sort((a, b) => (a.shard?.from ?? 0) - (b.shard?.from ?? 0));
    const head = pieces[0];
    let next = 0;
    for (const p of pieces) {
      const same =
        p.policy === head?.policy &&
        p.arch === head.arch &&
        p.seed === head.seed &&
        p.maxSteps === head.maxSteps &&
        p.shard?.of === head.shard?.of &&
        JSON.stringify(p.invariants) === JSON.stringify(head.invariants) &&
        JSON.stringify(p.config) === JSON.stringify(head.config);
      if (!same || p.shard?.from !== next) {
        throw new UsageError(
          `The shards disagree on policy #${item + 1} (${head?.arch}/${head?.policy}): run every shard with the same policies and flags.`,
        );
      }
      next = p.shard?.to ?? next;
    }
    if (head === undefined || next !== head.shard?.of) throw new UsageError(`The shards do not cover every run of policy #${item + 1}.`);
  });
  return groups;
}

/** Groups unsharded reports by policy (each policy once). */
function groupPlain(reports: readonly Envelope[]): CheckReport[][] {
  const where = new Map<string, string>();
  const groups: CheckReport[][] = [];
  for (const r of reports) {
    for (const res of r.results) {
      const name = `${res.arch}/${res.policy}${res.policyFile ? ` (${res.policyFile})` : ''}`;
      const before = where.get(name);
      if (before)
        throw new UsageError(`${name} is in both ${before} and ${r.file}: merge reports of different policies, or the shards of one run.`);
      where.set(name, r.file);
      groups.push([res]);
    }
  }
  return groups;
}

/** Merges one policy's pieces. */
function mergePieces(pieces: readonly CheckReport[]): Merged {
  const worst = Math.max(...pieces.map((p) => RANK[p.verdict]));
  const candidates = pieces.filter((p) => RANK[p.verdict] === worst);
  // The shortest counterexample; among equals, the earliest runs (what one process would have shrunk first).
  const chosen = [...candidates].sort(
    (a, b) => a.trace.length - b.trace.length || (a.shard?.from ?? 0) - (b.shard?.from ?? 0),
  )[0] as CheckReport;
  const runs = pieces.reduce((n, p) => n + p.runs, 0);
  const s = chosen.shard;
  const alsoBroken: Merged['alsoBroken'][number][] = [];
  for (const p of [...candidates].sort((a, b) => a.trace.length - b.trace.length)) {
    const invariant = p.violation?.invariant;
    if (invariant === undefined || invariant === chosen.violation?.invariant || alsoBroken.some((a) => a.invariant === invariant)) continue;
    alsoBroken.push({ invariant, steps: p.trace.length, ...(p.shard ? { shard: `${p.shard.index}/${p.shard.total}` } : {}) });
  }
  return {
    report: chosen,
    runs,
    alsoBroken,
    ...(s && worst >= RANK.violated ? { foundIn: { shard: `${s.index}/${s.total}`, from: s.from, to: s.to } } : {}),
  };
}

/** The merged JSON form of one policy: its check report with the runs and events of every shard added up. */
function mergedJson(m: Merged, pieces: readonly CheckReport[]): Record<string, unknown> {
  const { shard: _shard, ...rest } = m.report;
  return {
    ...rest,
    runs: m.runs,
    ...(m.foundIn ? { foundIn: m.foundIn } : {}),
    alsoBroken: m.alsoBroken,
    stats: {
      ...m.report.stats,
      events: pieces.reduce((n, p) => n + p.stats.events, 0),
      ms: Math.round(pieces.reduce((n, p) => n + p.stats.ms, 0) * 1000) / 1000,
    },
  };
}

/** Exit code of merged verdicts, as `check` has them: 3 crashed, 1 violated, 4 held so far, 0 held. */
export const exitCode = (verdicts: readonly string[]): number =>
  verdicts.includes('crashed') ? 3 : verdicts.includes('violated') ? 1 : verdicts.includes('held-so-far') ? 4 : 0;

/**
 * `worldswitch merge reports/*.json`: combines the JSON reports of `check --shard K/N` (every
 * shard once; or reports of different policies) into one verdict table, JUnit and the shortest
 * counterexample per policy. Exit codes as `check`.
 */
export function mergeCommand(files: readonly string[], flags: MergeFlags, io: Io): number {
  checkDestinations({ junit: flags.junit });
  const read = files.map(readJson);
  if (read[0]?.command === 'explore') return mergeExplore(read, flags, io);
  const reports = read.map(readReport);
  const sharded = reports.some((r) => r.shard);
  const groups = (sharded ? groupSharded(reports) : groupPlain(reports)).filter((g) => g.length > 0);
  const merged = groups.map(mergePieces);
  const verdicts: CiVerdict[] = merged.map((m, i) => {
    const r = m.report;
    return mergedVerdict(r, {
      seconds: (groups[i] ?? []).reduce((t, p) => t + p.stats.ms, 0) / 1000,
      text: renderMergedText(m),
      properties: { seed: r.seed, runs: m.runs },
    });
  });
  if (flags.junit) writeJunit(flags.junit, 'check', verdicts);
  annotate(io, verdicts);
  if (flags.json) {
    const json = {
      reportVersion: REPORT_VERSION,
      command: 'merge',
      reports: files.length,
      results: merged.map((m, i) => mergedJson(m, groups[i] ?? [])),
    };
    io.out(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    io.out(renderMergeTable(merged));
    for (const [i, m] of merged.entries()) if (m.report.verdict !== 'held') io.out(`\n${verdicts[i]?.text ?? ''}`);
  }
  return exitCode(merged.map((m) => m.report.verdict));
}
