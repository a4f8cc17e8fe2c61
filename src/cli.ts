/**
 * The worldswitch command line (DESIGN §7). The only module that touches `process`: it parses
 * flags, reads the catalog, runs checks and maps verdicts to exit codes
 * (0 held, 1 violation, 2 usage or input error, 3 the checker or an invariant crashed).
 */
import { writeFileSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { architectures, policies as builtins } from '../models/catalog.js';
import { invariants as allInvariants, invariantsFor } from '../properties/suites.js';
import { CHECK_DEFAULTS, type CheckResult, check, makeExecutor } from './check.js';
import { EVENT_WIDTH, POLICY_TOTAL } from './execute.js';
import { HOOK_NAMES } from './lifecycle.js';
import { loadPolicyFile } from './load-policy.js';
import type { ArchModel } from './model.js';
import type { Policy } from './policy.js';
import { toJsonReport } from './render/json.js';
import { renderTable, renderText } from './render/text.js';
import { isPolicyFile, selectPolicies } from './select-policies.js';
import { unpackTrace } from './trace.js';
import { UsageError } from './usage-error.js';

/** Where the CLI writes; tests pass their own. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

const integer =
  (flag: string, min: number, max: number) =>
  (value: string): number => {
    if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`${flag} takes a whole number, got "${value}".`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`${flag} must be between ${min} and ${max}, got ${n}.`);
    return n;
  };

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

interface CheckFlags {
  invariant?: string[];
  runs: number;
  seed: number;
  maxSteps: number;
  path?: string;
  json?: boolean;
  out?: string;
  hookTimeout: number;
  [option: string]: unknown;
}

/** What the CLI sends a worker that checks a user's policy file. */
interface WorkerJob {
  readonly file: string;
  readonly policy: string;
  readonly arch: string;
  readonly invariants: readonly string[];
  readonly config: Record<string, number>;
  readonly runs: number;
  readonly seed: number;
  readonly maxSteps: number;
  readonly path?: string;
  readonly beat: SharedArrayBuffer;
  readonly trace: SharedArrayBuffer;
}

/** Runs in the worker: loads the file again, checks the named policy with the shared watch memory. */
async function workerMain(job: WorkerJob): Promise<void> {
  const found = (await loadPolicyFile(job.file)).find((p) => p.name === job.policy && p.arch === job.arch);
  const arch = architectures.find((a) => a.id === job.arch);
  if (!found || !arch) throw new Error(`worker cannot find ${job.arch}/${job.policy} in ${job.file}`);
  const invariants = invariantsFor(arch.id).filter((i) => job.invariants.includes(i.name));
  const watch = { beat: new Int32Array(job.beat), trace: new Float64Array(job.trace) };
  const { runs, seed, maxSteps, path, config } = job;
  parentPort?.postMessage(check(found, { arch, invariants, config, runs, seed, maxSteps, path, watch }));
}

if (!isMainThread && (workerData as { worldswitchJob?: WorkerJob } | undefined)?.worldswitchJob) {
  workerMain((workerData as { worldswitchJob: WorkerJob }).worldswitchJob).catch((e: unknown) => {
    parentPort?.postMessage({ workerError: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  });
}

/**
 * Checks a policy from a user's file in a worker thread, with a watchdog: a hook that has not
 * returned after `timeoutMs` is a policy-total finding (it does not terminate), reported with the
 * trace that led to it, and the worker is stopped.
 */
function checkInWorker(job: Omit<WorkerJob, 'beat' | 'trace'>, policy: Policy, arch: ArchModel, timeoutMs: number): Promise<CheckResult> {
  const beat = new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT);
  const trace = new SharedArrayBuffer(job.maxSteps * EVENT_WIDTH * Float64Array.BYTES_PER_ELEMENT);
  const beats = new Int32Array(beat);
  const data = { workerData: { worldswitchJob: { ...job, beat, trace } } };
  // Run from TypeScript sources (the test suite), the worker loads this module through tsx.
  const self = JSON.stringify(import.meta.url);
  const worker = import.meta.url.endsWith('.ts')
    ? new Worker(`import('tsx/esm/api').then((m) => m.tsImport(${self}, ${self}));`, { ...data, eval: true })
    : new Worker(new URL(import.meta.url), data);
  return new Promise((resolve, reject) => {
    let last = -1;
    let since = performance.now();
    const timer = setInterval(
      () => {
        const now = performance.now();
        const b = Atomics.load(beats, 0);
        if (b !== last || beats[1] === 0) {
          last = b;
          since = now;
          return;
        }
        if (now - since < timeoutMs) return;
        clearInterval(timer);
        void worker.terminate();
        const invariants = invariantsFor(arch.id).filter((i) => job.invariants.includes(i.name));
        const x = makeExecutor(policy, arch, invariants, job.config);
        const steps = beats[2] as number;
        const hook = HOOK_NAMES[(beats[1] as number) - 1] ?? 'a hook';
        resolve({
          verdict: 'violated',
          hung: true,
          policy: policy.name,
          arch: arch.id,
          config: x.model.config,
          invariants: job.invariants,
          runs: beats[3] as number,
          seed: job.seed,
          maxSteps: job.maxSteps,
          shrinks: 0,
          violation: {
            invariant: POLICY_TOTAL,
            message: `${hook} did not return within ${timeoutMs / 1000} s: it does not terminate`,
            step: steps,
            at: `in ${hook}`,
          },
          trace: unpackTrace(x, new Float64Array(trace), steps),
          warnings: [],
          stats: { events: -1 },
        });
      },
      Math.min(100, timeoutMs / 4),
    );
    worker.once('message', (result: CheckResult | { workerError: string }) => {
      clearInterval(timer);
      void worker.terminate();
      if ('workerError' in result) reject(new Error(result.workerError));
      else resolve(result);
    });
    worker.once('error', (e) => {
      clearInterval(timer);
      reject(e);
    });
  });
}

const MODEL_OPTIONS = [...new Map(architectures.flatMap((a) => a.options).map((o) => [o.name, o])).values()];

function archOf(policy: Policy): ArchModel {
  const arch = architectures.find((a) => a.id === policy.arch);
  if (!arch)
    throw new UsageError(
      `Policy "${policy.name}" names an unknown arch "${policy.arch}". Expected one of: ${architectures.map((a) => a.id).join(', ')}.`,
    );
  return arch;
}

async function resolvePolicies(args: readonly string[]): Promise<{ policy: Policy; arg: string; file?: string }[]> {
  if (args.length === 0) return builtins.map((p) => ({ policy: p, arg: `${p.arch}/${p.name}` }));
  const out: { policy: Policy; arg: string; file?: string }[] = [];
  for (const arg of args) {
    if (isPolicyFile(arg)) for (const policy of await loadPolicyFile(arg)) out.push({ policy, arg, file: arg });
    else for (const policy of selectPolicies(arg, builtins, architectures)) out.push({ policy, arg: `${policy.arch}/${policy.name}` });
  }
  return out;
}

async function runCheck(args: string[], flags: CheckFlags, io: Io): Promise<number> {
  const names = flags.invariant ?? [];
  for (const n of names) {
    if (!allInvariants.some((i) => i.name === n)) {
      throw new UsageError(`Unknown invariant "${n}". Expected one of: ${allInvariants.map((i) => i.name).join(', ')}.`);
    }
  }
  const selected = await resolvePolicies(args);
  const results: { result: CheckResult; ms: number; text: string }[] = [];
  for (const { policy, arg, file } of selected) {
    const arch = archOf(policy);
    const config: Record<string, number> = {};
    const flagsForReplay: string[] = [];
    for (const o of arch.options) {
      const value = flags[o.name];
      if (typeof value !== 'number') continue;
      if (value < o.min || value > o.max)
        throw new UsageError(`--${o.name} must be between ${o.min} and ${o.max} on ${arch.id}, got ${value}.`);
      config[o.name] = value;
      flagsForReplay.push(`--${o.name} ${value}`);
    }
    const invariants = invariantsFor(arch.id).filter((i) => names.length === 0 || names.includes(i.name) || i.name === POLICY_TOTAL);
    for (const n of names) flagsForReplay.push(`--invariant ${n}`);
    if (flags.maxSteps !== CHECK_DEFAULTS.maxSteps) flagsForReplay.push(`--max-steps ${flags.maxSteps}`);
    if (flags.runs !== CHECK_DEFAULTS.runs) flagsForReplay.push(`--runs ${flags.runs}`);
    const started = performance.now();
    const options = { runs: flags.runs, seed: flags.seed, maxSteps: flags.maxSteps, path: flags.path };
    const result =
      file === undefined
        ? check(policy, { arch, invariants, config, ...options })
        : await checkInWorker(
            { file, policy: policy.name, arch: arch.id, invariants: invariants.map((i) => i.name), config, ...options },
            policy,
            arch,
            flags.hookTimeout * 1000,
          );
    const ms = performance.now() - started;
    const renderer = makeExecutor(policy, arch, invariants, config);
    results.push({ result, ms, text: renderText(result, renderer, { policyArg: arg, flags: flagsForReplay }) });
  }
  const json =
    results.length === 1 && results[0]
      ? toJsonReport(results[0].result, results[0].ms)
      : { reportVersion: 1, results: results.map((r) => toJsonReport(r.result, r.ms)) };
  if (flags.out) writeFileSync(flags.out, `${JSON.stringify(json, null, 2)}\n`);
  if (flags.json) io.out(`${JSON.stringify(json, null, 2)}\n`);
  else if (results.length === 1) io.out(results[0]?.text ?? '');
  else {
    io.out(renderTable(results.map((r) => r.result)));
    for (const r of results) if (r.result.verdict !== 'held') io.out(`\n${r.text}`);
  }
  if (results.some((r) => r.result.verdict === 'crashed')) return 3;
  return results.some((r) => r.result.verdict === 'violated') ? 1 : 0;
}

function runList(io: Io): number {
  const lines = ['Architectures:'];
  for (const a of architectures) {
    lines.push(`  ${a.id.padEnd(14)} ${a.summary}`);
    lines.push(`  ${''.padEnd(14)} options: ${a.options.map((o) => `--${o.name} (${o.min}-${o.max}, default ${o.default})`).join(', ')}`);
  }
  lines.push('', 'Policies:');
  const width = Math.max(...builtins.map((p) => p.arch.length + p.name.length + 1));
  for (const p of builtins) lines.push(`  ${`${p.arch}/${p.name}`.padEnd(width)}  ${p.summary}`);
  lines.push('', 'Invariants:');
  const iw = Math.max(...allInvariants.map((i) => i.name.length));
  for (const i of allInvariants) lines.push(`  ${i.name.padEnd(iw)}  ${i.claim}`);
  io.out(`${lines.join('\n')}\n`);
  return 0;
}

function program(io: Io, exit: { code: number }): Command {
  const cmd = new Command('worldswitch')
    .description('Finds bugs in hypervisor debug-state world-switch policies by checking random interleavings.')
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride()
    .showHelpAfterError(false);
  cmd
    .command('list')
    .description('list architectures, policies and invariants')
    .action(() => {
      exit.code = runList(io);
    });
  const c = cmd
    .command('check')
    .description('check policies on random interleavings; with no policy, every built-in one (verdict table)')
    .argument('[policy...]', '<arch>/<name>, a bare <name> (every arch that has it), or a policy file (.ts/.js)')
    .option('--invariant <name>', 'check only this invariant (repeatable; policy-total is always on)', collect)
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
      '--hook-timeout <s>',
      'seconds a hook of a policy file may run before it counts as looping',
      integer('--hook-timeout', 1, 3600),
      10,
    )
    .option('--json', 'print the versioned JSON report instead of text')
    .option('--out <file>', 'also write the JSON report to a file');
  for (const o of MODEL_OPTIONS) {
    c.addOption(new Option(`--${o.name} <n>`, `model: ${o.describe} (default ${o.default})`).argParser(integer(`--${o.name}`, 0, 64)));
  }
  c.action(async (args: string[], flags: CheckFlags) => {
    exit.code = await runCheck(args, flags, io);
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
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0; // --help, --version
      return 2; // commander already printed its one-line error
    }
    if (e instanceof UsageError) {
      io.err(`worldswitch: ${e.message}\n`);
      return 2;
    }
    io.err(`worldswitch: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 3;
  }
}

/** Entry point of the `worldswitch` binary. */
export async function run(): Promise<void> {
  process.exitCode = await main(process.argv.slice(2), {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  });
}
