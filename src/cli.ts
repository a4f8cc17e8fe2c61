/**
 * The worldswitch command line (DESIGN §7). The only module that touches `process` and the only
 * one in src/ that reads the catalog: it parses flags, hands the catalog to the commands, runs the
 * worker side of checks and explorations, and maps verdicts to exit codes
 * (0 held, 1 violation, 2 usage or input error, 3 the checker or an invariant crashed).
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { architectures, policies } from '../models/catalog.js';
import { invariants, invariantsFor } from '../properties/suites.js';
import { CHECK_DEFAULTS, check } from './check.js';
import type { Catalog } from './commands/catalog.js';
import { type CheckFlags, checkCommand } from './commands/check-command.js';
import { type CostFlags, costCommand } from './commands/cost-command.js';
import { type ExploreFlags, exploreCommand } from './commands/explore-command.js';
import type { Io } from './commands/io.js';
import { listCommand } from './commands/list-command.js';
import { type ReplayCommandFlags, replayCommand } from './commands/replay-command.js';
import { COST_DEFAULTS } from './cost.js';
import { explore } from './explore.js';
import { loadPolicyFile } from './load-policy.js';
import { UsageError } from './usage-error.js';
import type { WorkerJob, WorkerShared } from './worker-run.js';

export type { Io } from './commands/io.js';

const catalog: Catalog = { architectures, policies, invariants, invariantsFor };

const integer =
  (flag: string, min: number, max: number) =>
  (value: string): number => {
    if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`${flag} takes a whole number, got "${value}".`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`${flag} must be between ${min} and ${max}, got ${n}.`);
    return n;
  };

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Each model option once, as the first architecture declaring it describes it, with the architectures that have it. */
const MODEL_OPTIONS = [...new Set(architectures.flatMap((a) => a.options.map((o) => o.name)))].map((name) => {
  const having = architectures.filter((a) => a.options.some((o) => o.name === name));
  const option = having[0]?.options.find((o) => o.name === name) as (typeof architectures)[number]['options'][number];
  const where = having.length === architectures.length ? '' : ` (${having.map((a) => a.id).join(', ')})`;
  return { ...option, help: `model${where}: ${option.describe} (default ${option.default})` };
});

function addArchOptions(c: Command): Command {
  for (const o of MODEL_OPTIONS)
    c.addOption(new Option(`--${o.name} <n>`, o.help).argParser(integer(`--${o.name}`, 0, Math.max(64, o.max))));
  return c;
}

function addModelOptions(c: Command): Command {
  return addArchOptions(c)
    .option('--invariant <name>', 'check only this invariant (repeatable; policy-total is always on)', collect)
    .option('--coverage', 'report which lifecycle states, transitions and events were exercised')
    .option(
      '--hook-timeout <s>',
      'seconds a hook of a policy file may run before it counts as looping',
      integer('--hook-timeout', 1, 3600),
      10,
    )
    .option('--json', 'print the versioned JSON report instead of text')
    .option('--out <file>', 'save the counterexample as a replayable trace file (worldswitch replay <file>)')
    .option('--html <file>', 'write the counterexample as a self-contained HTML sequence diagram')
    .option('--quiet', 'no progress bar or timing lines on stderr (for CI)');
}

function program(io: Io, exit: { code: number }): Command {
  const cmd = new Command('worldswitch')
    .description('Finds bugs in hypervisor debug-state world-switch policies: random interleavings and bounded exhaustive exploration.')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s.startsWith('error:') ? `worldswitch: ${s.slice(7)}` : s) })
    .exitOverride();
  cmd
    .command('list')
    .description('list architectures, policies and invariants')
    .action(() => {
      exit.code = listCommand(io, catalog);
    });
  addModelOptions(
    cmd
      .command('check')
      .description('check policies on random interleavings; with no policy, every built-in one (verdict table)')
      .argument('[policy...]', '<arch>/<name>, a bare <name> (every arch that has it), or a policy file (.ts/.js)')
      .option('--runs <n>', 'random interleavings per policy', integer('--runs', 1, 10_000_000), CHECK_DEFAULTS.runs)
      .option(
        '--seed <n>',
        'fast-check seed: the same seed gives the same runs and report',
        integer('--seed', -0x80000000, 0x7fffffff),
        CHECK_DEFAULTS.seed,
      )
      .option('--max-steps <k>', 'events per interleaving, at most', integer('--max-steps', 1, 10_000), CHECK_DEFAULTS.maxSteps)
      .option('--path <p>', 'fast-check replay path printed with a counterexample'),
  ).action(async (args: string[], flags: CheckFlags) => {
    exit.code = await checkCommand(args, flags, io, catalog, import.meta.url);
  });
  addModelOptions(
    cmd
      .command('explore')
      .description('bounded exhaustive exploration: every interleaving of at most --depth events over the small domain')
      .argument('[policy...]', '<arch>/<name>, a bare <name>, or a policy file; with none, every built-in policy')
      .requiredOption('--depth <d>', 'events per interleaving, at most', integer('--depth', 1, 64))
      .option('--no-symmetry', 'do not identify states that differ only by a permutation of CPUs'),
  ).action(async (args: string[], flags: ExploreFlags) => {
    exit.code = await exploreCommand(args, flags, io, catalog, import.meta.url);
  });
  addArchOptions(
    cmd
      .command('cost')
      .description('cycles per world switch (entry + exit) in each usage case, measured on generated workloads')
      .argument('[policy...]', '<arch>/<name>, a bare <name>, or a policy file; with none, every built-in policy')
      .option('--rounds <n>', 'measured guest runs per case', integer('--rounds', 1, 100_000), COST_DEFAULTS.rounds)
      .option(
        '--seed <n>',
        'fast-check seed of the generated guest activity',
        integer('--seed', -0x80000000, 0x7fffffff),
        COST_DEFAULTS.seed,
      )
      .option('--json', 'print the versioned JSON report instead of text'),
  ).action(async (args: string[], flags: CostFlags) => {
    exit.code = await costCommand(args, flags, io, catalog);
  });
  cmd
    .command('replay')
    .description('re-execute a saved counterexample (check/explore --out); exit 1 if it still violates, 0 if not')
    .argument('<trace.json>', 'a trace file saved with --out')
    .option('--policy <policy>', 'replay against this policy instead of the saved one (<arch>/<name>, a bare <name>, or a policy file)')
    .option('--html <file>', 'write the replay as a self-contained HTML sequence diagram')
    .option('--json', 'print the versioned JSON report instead of text')
    .action(async (file: string, flags: ReplayCommandFlags) => {
      exit.code = await replayCommand(file, flags, io, catalog);
    });
  return cmd;
}

/** Runs the CLI on `argv` (without node and script); returns the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const exit = { code: 0 };
  try {
    await program(io, exit).parseAsync([...argv], { from: 'user' });
    return exit.code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2; // commander printed its one line
    if (e instanceof UsageError) {
      io.err(`worldswitch: ${e.message}\n`);
      return 2;
    }
    if (e instanceof Error && e.message === 'interrupted') return 130;
    io.err(`worldswitch: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 3;
  }
}

/** Entry point of the `worldswitch` binary. */
export async function run(): Promise<void> {
  // A reader that stops early (`| head`) closes the pipe: end quietly, as Unix tools do.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  const tty = process.stderr.isTTY === true && !process.env.CI;
  const io: Io = {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    ...(tty
      ? {
          status: (line: string) => process.stderr.write(`\r\x1b[K${line}`),
          onInterrupt: (handler: () => void) => {
            process.on('SIGINT', handler);
            return () => process.off('SIGINT', handler);
          },
        }
      : {}),
  };
  process.exitCode = await main(process.argv.slice(2), io);
}

/** The worker side: finds the policy (built-in or from its file) and runs the job with the shared memory. */
async function workerMain(job: WorkerJob, shared: WorkerShared): Promise<void> {
  const policy = job.file
    ? (await loadPolicyFile(job.file)).find((p) => p.name === job.policy && p.arch === job.arch)
    : policies.find((p) => p.name === job.policy && p.arch === job.arch);
  const arch = architectures.find((a) => a.id === job.arch);
  if (!policy || !arch) throw new Error(`worker cannot find ${job.arch}/${job.policy}`);
  const selected = invariantsFor(arch.id).filter((i) => job.invariants.includes(i.name));
  const watch = { beat: new Int32Array(shared.beat), trace: new Float64Array(shared.trace) };
  if (job.kind === 'check' && job.check) {
    parentPort?.postMessage(check(policy, { arch, invariants: selected, config: job.config, ...job.check, watch }));
  } else if (job.explore) {
    const stop = new Int32Array(shared.stop);
    const progress = new Float64Array(shared.progress);
    const result = explore(policy, {
      arch,
      invariants: selected,
      config: job.config,
      ...job.explore,
      ...(job.file ? { watch } : {}),
      shouldStop: () => Atomics.load(stop, 0) === 1,
      onProgress: (depth, states, transitions) => {
        progress[0] = depth;
        progress[1] = states;
        progress[2] = transitions;
      },
    });
    parentPort?.postMessage(result);
  }
}

const job = (workerData as { worldswitchJob?: WorkerJob; shared?: WorkerShared } | undefined) ?? {};
if (!isMainThread && job.worldswitchJob && job.shared) {
  workerMain(job.worldswitchJob, job.shared).catch((e: unknown) => {
    parentPort?.postMessage({ workerError: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  });
}
