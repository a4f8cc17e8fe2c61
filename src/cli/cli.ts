/**
 * The worldswitch command line (DESIGN §7). The only module that touches `process` and the only
 * one in src/ that reads the catalog: it parses flags, hands the catalog to the commands, runs the
 * worker side of checks and explorations, and maps verdicts to exit codes
 * (0 held, 1 violation, 2 usage or input error, 3 the checker or an invariant crashed,
 * 5 a replayed trace that no longer applies). Under GitHub Actions it adds `::error` annotations.
 */
import { readFileSync } from 'node:fs';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Command, CommanderError } from 'commander';
import { architectures, policies } from '../../models/catalog.js';
import { invariants, invariantsFor } from '../../properties/suites.js';
import { CHECK_DEFAULTS } from '../searches/check.js';
import type { Catalog } from './catalog.js';
import { type CheckFlags, checkCommand } from './check-command.js';
import { type CostFlags, costCommand } from './cost-command.js';
import { type ExploreFlags, exploreCommand } from './explore-command.js';
import { type Io, type Signal, signalExitCode } from './io.js';
import { listCommand } from './list-command.js';
import { type JobData, runJob, USAGE_CODES } from './worker-main.js';

export { PolicyExitError } from './policy-exit.js';

import { describeError } from '../engine/execute.js';
import { guardProcessEnds } from '../engine/process-ends.js';
import { UsageError } from '../persistence/usage-error.js';
import { COST_DEFAULTS } from '../searches/cost.js';
import { Interrupted } from '../searches/guard.js';
import { type MergeFlags, mergeCommand } from './merge-command.js';
import { addArchOptions, addBudgets, addHookTimeout, addModelOptions, integer } from './options.js';
import { fitLine } from './progress-bar.js';
import { type ReplayCommandFlags, replayCommand } from './replay-command.js';
import { releaseDestinations } from './save-file.js';
import { parseShard } from './shard.js';
import { defaultWorkers, parseWorkers } from './workers-flag.js';

export type { Io } from './io.js';

const catalog: Catalog = { architectures, policies, invariants, invariantsFor };

/** This package's version, from its package.json (two levels above src/cli/ in the sources, three above dist/src/cli/). */
function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'worldswitch' && pkg.version) return pkg.version;
    } catch {
      // not this level
    }
  }
  return 'unknown';
}

/** The commands, as the one-line errors name them. */
const COMMANDS = ['list', 'check', 'explore', 'cost', 'replay', 'merge'] as const;

/** A commander error as one line (its `(Did you mean …?)` joined to it); help text passes as it is. */
const oneLine = (s: string): string => (s.startsWith('error:') ? `worldswitch: ${s.slice(7).replace(/\s*\n\s*(?=\S)/g, ' ')}` : s);

function program(io: Io, exit: { code: number }): Command {
  const cmd = new Command('worldswitch')
    .description('Finds bugs in hypervisor debug-state world-switch policies: random interleavings and bounded exhaustive exploration.')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(oneLine(s)) })
    .version(packageVersion(), '--version', 'print the version and exit')
    .exitOverride();
  cmd
    .command('list')
    .description('list architectures, policies and invariants')
    .option('--json', 'print them as JSON')
    .option('--quiet', 'accepted for symmetry with the other commands (list prints nothing else)')
    .action((flags: { json?: boolean }) => {
      exit.code = listCommand(io, catalog, flags);
    });
  addBudgets(
    addModelOptions(
      cmd
        .command('check')
        .description('check policies on random interleavings; with no policy, every built-in one (verdict table)')
        .argument(
          '[policy...]',
          '<arch>/<name>, a bare <name> (every arch that has it), a policy file (.ts/.js; file.ts#export for one export), or a directory of policy files (dir/)',
        )
        .option('--runs <n>', 'random interleavings per policy', integer('--runs', 1, 10_000_000), CHECK_DEFAULTS.runs)
        .option(
          '--seed <n>',
          'fast-check seed: the same seed gives the same runs and report',
          integer('--seed', -0x80000000, 0x7fffffff),
          CHECK_DEFAULTS.seed,
        )
        .option('--max-steps <k>', 'events per interleaving, at most', integer('--max-steps', 1, 10_000), CHECK_DEFAULTS.maxSteps)
        .option('--path <p>', 'fast-check replay path printed with a counterexample')
        .option(
          '--shard <K/N>',
          'run shard K of N: a deterministic share of the policies and runs (combine with worldswitch merge)',
          parseShard,
        )
        .option(
          '--workers <n>',
          `worker threads (default: every core, ${defaultWorkers()}): several policies side by side, one policy's runs split across them; the same seed gives the same output whatever N (with --continue, --assume-fixed, --max-states or --path a policy's runs stay on one worker)`,
          parseWorkers,
        ),
    ),
    'this many events executed',
  ).action(async (args: string[], flags: CheckFlags) => {
    exit.code = await checkCommand(args, flags, io, catalog, import.meta.url);
  });
  addBudgets(
    addModelOptions(
      cmd
        .command('explore')
        .description('bounded exhaustive exploration: every interleaving of at most --depth events over the small domain')
        .argument(
          '[policy...]',
          '<arch>/<name>, a bare <name>, a policy file (file.ts#export for one export) or a directory of them (dir/); with none, every built-in policy',
        )
        .requiredOption('--depth <d>', 'events per interleaving, at most', integer('--depth', 1, 64))
        .option('--no-symmetry', 'do not identify states that differ only by a permutation of CPUs')
        .option(
          '--por',
          'partial-order reduction with sleep sets (the default): skip transitions that only reorder independent events; the same states, verdict and counterexample length, with any --workers',
        )
        .option('--no-por', 'execute every enabled event in every state')
        .option(
          '--shard <K/N>',
          'search shard K of N: the whole search to depth D-1, then the last level from every Nth state (combine with worldswitch merge)',
          parseShard,
        )
        .option('--per-point', 'with --continue: one counterexample per failing observation point, not per invariant')
        .option(
          '--workers <n>',
          `threads (default: every core, ${defaultWorkers()}): several policies side by side (one at a time with --max-memory), the threads left over for each search; the same output as 1; levels under 1,000 states, --coverage, --continue, --assume-fixed and policy files search in 1`,
          parseWorkers,
        ),
    ),
    'this many distinct states stored',
  ).action(async (args: string[], flags: ExploreFlags) => {
    exit.code = await exploreCommand(args, flags, io, catalog, import.meta.url);
  });
  addHookTimeout(
    addArchOptions(
      cmd
        .command('cost')
        .description('cycles per world switch (entry + exit) in each usage case, measured on generated workloads')
        .argument(
          '[policy...]',
          '<arch>/<name>, a bare <name>, a policy file (file.ts#export for one export) or a directory of them (dir/); with none, every built-in policy',
        )
        .option('--rounds <n>', 'measured guest runs per case', integer('--rounds', 1, 100_000), COST_DEFAULTS.rounds)
        .option(
          '--seed <n>',
          'fast-check seed of the generated guest activity',
          integer('--seed', -0x80000000, 0x7fffffff),
          COST_DEFAULTS.seed,
        )
        .option('--json', 'print the versioned JSON report instead of text')
        .option('--quiet', 'accepted for symmetry with the other commands (cost prints no progress)'),
    ),
  ).action(async (args: string[], flags: CostFlags) => {
    exit.code = await costCommand(args, flags, io, catalog);
  });
  addHookTimeout(
    cmd
      .command('replay')
      .description(
        're-execute saved counterexamples (check/explore --out): one file, several, or a directory (a regression corpus, with a summary table); exit 1 if any still violates, 5 if one stopped applying under --policy, 0 if none violates',
      )
      .argument('<trace...>', 'trace files saved with --out, or directories of them (every *.json inside, recursively)')
      .option(
        '--policy <policy>',
        'replay against this policy instead of the saved one (<arch>/<name>, a bare <name>, a policy file, file.ts#export)',
      )
      .option(
        '--trust-policy-file',
        'run the policy file a trace names (relative to the trace file); without it, a trace naming a file needs --policy',
      )
      .option('--html <file>', 'write the replay as a self-contained HTML sequence diagram (one trace file only)')
      .option('--full-state', 'also print the complete debug state at the failing point')
      .option('--json', 'print the versioned JSON report instead of text')
      .option('--junit <file>', 'also write the verdicts as JUnit XML (one testcase per trace file)')
      .option('--quiet', 'accepted for symmetry with the other commands (replay prints no progress)'),
  ).action(async (files: string[], flags: ReplayCommandFlags) => {
    exit.code = await replayCommand(files, flags, io, catalog);
  });
  cmd
    .command('merge')
    .description(
      'combine the JSON reports of check --shard K/N (or explore --shard K/N) runs into one verdict table, with the shortest counterexample per policy',
    )
    .argument('<report...>', 'JSON reports of check (or explore) --shard K/N --json, every shard once')
    .option('--json', 'print the merged JSON report instead of text')
    .option('--junit <file>', 'also write the merged verdicts as JUnit XML')
    .option('--quiet', 'accepted for symmetry with the other commands (merge prints no progress)')
    .action((files: string[], flags: MergeFlags) => {
      exit.code = mergeCommand(files, flags, io);
    });
  return cmd;
}

/** Runs the CLI on `argv` (without node and script); returns the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const exit = { code: 0 };
  if (argv.length === 0) {
    io.err(`worldswitch: no command given; one of ${COMMANDS.join(', ')} (worldswitch --help for the flags)\n`);
    return 2;
  }
  const [first, topic] = argv;
  if (first === 'help' && topic !== undefined && !topic.startsWith('-') && !(COMMANDS as readonly string[]).includes(topic)) {
    io.err(`worldswitch: help: unknown command '${topic}'; one of ${COMMANDS.join(', ')}\n`);
    return 2;
  }
  try {
    await program(io, exit).parseAsync([...argv], { from: 'user' });
    return exit.code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2; // commander printed its one line
    if (e instanceof Interrupted) {
      io.err(`worldswitch: ${e.message}\n`);
      return signalExitCode('SIGINT');
    }
    if (e instanceof UsageError || (e instanceof Error && USAGE_CODES.has((e as { code?: unknown }).code))) {
      // One line, always: a message that quotes input (JSON.parse, a module's error) may hold newlines.
      io.err(`worldswitch: ${e.message.replace(/\s*[\r\n]+\s*/g, ' ').trim()}\n`);
      return 2;
    }
    io.err(`worldswitch: internal error: ${e instanceof Error ? (e.stack ?? e.message) : describeError(e)}\n`);
    return 3;
  } finally {
    releaseDestinations(); // a pipe held open for a report that was never written: its reader sees the end
  }
}

/** process.exit as Node provides it: a policy's call to `process.exit` is made to throw instead (see `run`). */
let realExit: (code?: number) => never = process.exit.bind(process);

/** Entry point of the `worldswitch` binary. */
export async function run(): Promise<void> {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      // A reader that stops early (`| head`) closes the pipe: end quietly, as Unix tools do.
      if (e.code === 'EPIPE') realExit(typeof process.exitCode === 'number' ? process.exitCode : 0);
      // Any other write error (a full disk): one line, exit 2; never the code of a verdict.
      if (stream === process.stdout) {
        try {
          process.stderr.write(`worldswitch: cannot write the report to stdout: ${e.code ?? e.message}\n`);
        } catch {}
      }
      realExit(2);
    });
  }
  // Signals, on a terminal or not: the first stops the run (it prints what it completed and exits
  // 130/143); a second one, or one while nothing can answer, ends the process at once.
  let first: Signal | undefined;
  let count = 0;
  const handlers = new Set<(signal: Signal, count: number) => void>();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      first ??= signal;
      count++;
      if (count > 1 && handlers.size === 0) {
        process.stderr.write(`\nworldswitch: stopped by ${signal}\n`);
        realExit(signalExitCode(signal));
      }
      for (const h of handlers) h(signal, count);
    });
  }
  // Policy code (hooks, module top level) runs in this thread for cost and replay: process.exit,
  // process.abort, process.reallyExit or a kill of this process there is a finding.
  realExit = guardProcessEnds().exit;
  // A status line needs a terminal that understands \r and ESC [K: not CI logs, not TERM=dumb (Emacs shells, some IDEs).
  const tty = process.stderr.isTTY === true && !process.env.CI && process.env.TERM !== 'dumb';
  const io: Io = {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    ...(tty
      ? {
          // Cut to the terminal's width: a line that wraps cannot be cleared with \r and piles up.
          status: (line: string) => process.stderr.write(`\r\x1b[K${fitLine(line, process.stderr.columns)}`),
        }
      : {}),
    onSignal: (handler) => {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    signalled: () => first,
    ...(process.env.GITHUB_ACTIONS === 'true' ? { annotate: (line: string) => process.stderr.write(line) } : {}),
  };
  const code = await main(process.argv.slice(2), io);
  process.exitCode = first && code === 0 ? signalExitCode(first) : code;
  // Stopped by a signal: end now. Draining the event loop instead would close the signal handlers
  // before the process ends, and a second Ctrl-C in that window killed it by SIGINT's default action
  // (no exit code). stdout and stderr are synchronous for files, pipes and terminals on POSIX.
  if (first) realExit(process.exitCode);
}

const job = (workerData as JobData | undefined) ?? {};
if (!isMainThread && job.worldswitchPool) parentPort?.on('message', runJob);
else if (!isMainThread) runJob(job);
