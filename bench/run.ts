/**
 * `npm run bench [-- --json]`: worldswitch's speed, measured side by side in one process on one
 * core (DESIGN §9). Per built-in policy: events checked per second with every invariant on,
 * the same model run the textbook way (bench/textbook.ts) and the ratio, explore states per
 * second at a fixed depth (every policy finishes it) and bytes per stored state. Per seeded bug:
 * median time to the first and to the shrunk counterexample over 20 seeds. Then how
 * `check --workers N` and `explore` of every built-in policy side by side scale on this machine's
 * cores (bench/scaling.ts). Medians over repeats;
 * never run as a timed test.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { architectures, policies } from '../models/catalog.js';
import { invariantsFor } from '../properties/suites.js';
import type { ArchModel } from '../src/engine/model.js';
import type { Policy } from '../src/engine/policy.js';
import { check, makeExecutor } from '../src/searches/check.js';
import { explore } from '../src/searches/explore.js';
import { measureMultiExplore, measureScaling } from './scaling.js';
import { versusSpin } from './spin.js';
import { textbookRun } from './textbook.js';

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

const REPEATS = 3;
const SLICE_MS = 400;
const MAX_STEPS = 40;
/** Every policy explores exactly this depth (VHE's depth 6 has over a million states; depth 4 at most about 15 k). */
const EXPLORE_DEPTH = Number(process.env.WS_BENCH_DEPTH ?? 4);
/** A safety stop for a deeper WS_BENCH_DEPTH (its rate is then states found per second so far). */
const EXPLORE_MS = Number(process.env.WS_BENCH_EXPLORE_MS ?? 30_000);
/** Runs per `check` in the --workers scaling measurement, and its repeats (WS_BENCH_SCALING_REPEATS=0 skips it). */
const SCALING_RUNS = Number(process.env.WS_BENCH_SCALING_RUNS ?? 200_000);
const SCALING_REPEATS = Number(process.env.WS_BENCH_SCALING_REPEATS ?? 3);
/** The depth of the several-policy `explore` in the scaling measurement (every built-in policy side by side). */
const MULTI_DEPTH = Number(process.env.WS_BENCH_MULTI_DEPTH ?? 5);
const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);

/** Events per second of `run(seed)` (returns events), repeated over seeds for one time slice. */
function rate(run: (seed: number) => number): number {
  let events = 0;
  let seed = 1;
  const start = performance.now();
  while (performance.now() - start < SLICE_MS) events += run(seed++);
  return events / ((performance.now() - start) / 1000);
}

function measure(policy: Policy, arch: ArchModel) {
  const invariants = invariantsFor(arch.id);
  const ours = (seed: number): number =>
    check(policy, { arch, invariants, runs: 500, seed, maxSteps: MAX_STEPS, shrink: false }).stats.events;
  const x = makeExecutor(policy, arch, invariants);
  const textbook = (seed: number): number => textbookRun(x, 100, MAX_STEPS, seed).events;
  // Warm both up for one slice, not measured: the JIT optimises the engine's hot paths in the first hundreds of milliseconds.
  rate(ours);
  rate(textbook);
  const oursRates: number[] = [];
  const textbookRates: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    oursRates.push(rate(ours));
    textbookRates.push(rate(textbook));
  }
  const t = performance.now();
  const e = explore(policy, { arch, invariants, depth: EXPLORE_DEPTH, shouldStop: () => performance.now() - t > EXPLORE_MS });
  const exploreMs = performance.now() - t;
  const eventsPerSecond = Math.round(median(oursRates));
  const textbookEventsPerSecond = Math.round(median(textbookRates));
  return {
    policy: `${arch.id}/${policy.name}`,
    eventsPerSecond,
    eventsPerSecondRange: [Math.round(Math.min(...oursRates)), Math.round(Math.max(...oursRates))],
    textbookEventsPerSecond,
    ratio: round(eventsPerSecond / textbookEventsPerSecond, 2),
    exploreDepth: EXPLORE_DEPTH,
    exploreVerdict: e.verdict,
    exploreDepthCompleted: e.depthCompleted,
    exploreStates: e.states,
    exploreStatesPerSecond: Math.round(e.states / (exploreMs / 1000)),
    bytesPerState: e.states ? Math.round(e.peakBytes / e.states) : null,
  };
}

function seededBug(policy: Policy, arch: ArchModel) {
  const invariants = invariantsFor(arch.id);
  if (check(policy, { arch, invariants, runs: 2000, seed: 1 }).verdict !== 'violated') return undefined;
  const first: number[] = [];
  const shrunk: number[] = [];
  const steps: number[] = [];
  for (const seed of SEEDS) {
    let t = performance.now();
    check(policy, { arch, invariants, runs: 100_000, seed, shrink: false });
    first.push(performance.now() - t);
    t = performance.now();
    const s = check(policy, { arch, invariants, runs: 100_000, seed });
    shrunk.push(performance.now() - t);
    steps.push(s.trace.length);
  }
  return {
    policy: `${arch.id}/${policy.name}`,
    medianFirstMs: round(median(first), 2),
    firstRangeMs: [round(Math.min(...first), 2), round(Math.max(...first), 2)],
    medianShrunkMs: round(median(shrunk), 2),
    shrunkRangeMs: [round(Math.min(...shrunk), 2), round(Math.max(...shrunk), 2)],
    medianSteps: median(steps),
  };
}

type PolicyMeasure = ReturnType<typeof measure>;
type BugMeasure = NonNullable<ReturnType<typeof seededBug>>;

// `--policy arch/name` (the bench runs itself so): measure that one policy and print its JSON.
const onlyAt = process.argv.indexOf('--policy');
if (onlyAt >= 0) {
  const [archId, name] = (process.argv[onlyAt + 1] ?? '').split('/');
  const policy = policies.find((p) => p.arch === archId && p.name === name);
  const arch = architectures.find((a) => a.id === archId);
  if (!policy || !arch) throw new Error(`bench: no policy ${process.argv[onlyAt + 1]}`);
  process.stdout.write(`${JSON.stringify({ policy: measure(policy, arch), bug: seededBug(policy, arch) ?? null })}\n`);
  process.exit(0);
}

const SELF = fileURLToPath(import.meta.url);
const BIN = fileURLToPath(new URL('../../bin/worldswitch.js', import.meta.url));

/**
 * Each policy is measured in a process of its own, as `worldswitch check <policy>` runs it: in one
 * process shared by every policy, the JIT's type feedback from the policies measured before makes
 * the engine's call sites polymorphic, and the later policies measured up to 2x slower than the
 * CLI runs them.
 */
function measureAlone(id: string): { policy: PolicyMeasure; bug: BugMeasure | null } {
  const r = spawnSync(process.execPath, [SELF, '--policy', id], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`bench: ${id} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** `worldswitch explore <args> --json --quiet` through the binary: states, transitions and the search's own seconds (stats.ms). */
function cliExplore(args: readonly string[]): { states: number; transitions: number; seconds: number } {
  const r = spawnSync(process.execPath, [BIN, 'explore', ...args, '--json', '--quiet'], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`bench: explore ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const { stats } = JSON.parse(r.stdout) as { stats: { states: number; transitions: number; ms: number } };
  return { states: stats.states, transitions: stats.transitions, seconds: stats.ms / 1000 };
}

const perPolicy: PolicyMeasure[] = [];
const bugs: BugMeasure[] = [];
for (const policy of policies) {
  const arch = architectures.find((a) => a.id === policy.arch);
  if (!arch) continue;
  process.stderr.write(`bench: ${arch.id}/${policy.name}\n`);
  const one = measureAlone(`${arch.id}/${policy.name}`);
  perPolicy.push(one.policy);
  if (one.bug) bugs.push(one.bug);
}

/** Spin's search of the same model next to ours (DESIGN §9; `WS_BENCH_SPIN=0` leaves it out). */
const SPIN_DEPTH = Number(process.env.WS_BENCH_SPIN_DEPTH ?? 8);
const spinSide = (() => {
  if (process.env.WS_BENCH_SPIN === '0') return undefined;
  const policy = policies.find((p) => p.arch === 'arm64-nvhe' && p.name === 'arm64-dirty-2015');
  const arch = architectures.find((a) => a.id === 'arm64-nvhe');
  if (!policy || !arch) return undefined;
  process.stderr.write(`bench: arm64-nvhe/arm64-dirty-2015 --depth ${SPIN_DEPTH} --no-symmetry, and Spin on the same model\n`);
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const cores = availableParallelism();
  const base = ['arm64-nvhe/arm64-dirty-2015', '--depth', String(SPIN_DEPTH), '--no-symmetry'];
  return versusSpin(root, SPIN_DEPTH, 3, median, [
    { label: '1 core, --no-por', run: () => cliExplore([...base, '--workers', '1', '--no-por']) },
    { label: '1 core, --por', run: () => cliExplore([...base, '--workers', '1']) },
    ...(cores > 1 ? [{ label: `${cores} cores, --por`, run: () => cliExplore([...base, '--workers', String(cores)]) }] : []),
  ]);
})();

const scaling = SCALING_REPEATS > 0 ? measureScaling(SCALING_RUNS, SCALING_REPEATS, median) : [];
const multiPolicyExplore = SCALING_REPEATS > 0 ? measureMultiExplore(MULTI_DEPTH, SCALING_REPEATS, median) : null;
const report = {
  node: process.version,
  /** The per-policy figures (events/s, explore states/s) are measured on one core, one thread. */
  cpus: 1,
  /** The worker threads `check` uses by default here (os.availableParallelism()). */
  workers: availableParallelism(),
  date: new Date().toISOString().slice(0, 10),
  exploreDepth: EXPLORE_DEPTH,
  policies: perPolicy,
  bugs,
  scaling,
  multiPolicyExplore,
  versusSpin: spinSide,
};
if (process.argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  const out = (s: string): boolean => process.stdout.write(`${s}\n`);
  out(`worldswitch bench (${report.node}, one core; medians of ${REPEATS} x ${SLICE_MS} ms slices; explore depth ${EXPLORE_DEPTH})`);
  out('');
  out('policy                           events/s   textbook/s   ratio   explore states/s   bytes/state');
  for (const p of perPolicy) {
    out(
      `${p.policy.padEnd(32)} ${String(p.eventsPerSecond).padStart(9)}  ${String(p.textbookEventsPerSecond).padStart(11)}  ${p.ratio.toFixed(2).padStart(6)}   ${String(p.exploreStatesPerSecond).padStart(16)}   ${String(p.bytesPerState).padStart(11)}`,
    );
  }
  out('');
  out(`seeded bug                       first ms   shrunk ms (min-max)      steps   (median of ${SEEDS.length} seeds)`);
  for (const b of bugs) {
    out(
      `${b.policy.padEnd(32)} ${String(b.medianFirstMs).padStart(8)}   ${String(b.medianShrunkMs).padStart(9)} (${b.shrunkRangeMs.join('-')})   ${b.medianSteps}`,
    );
  }
  if (spinSide) {
    out('');
    out(`${spinSide.policy} --depth ${spinSide.depth} --no-symmetry against Spin on the same model (medians of 3)`);
    for (const o of spinSide.ours)
      out(`  worldswitch ${o.label.padEnd(24)} ${String(o.states).padStart(9)} states  ${String(o.statesPerSecond).padStart(9)} states/s`);
    const spin = spinSide.spin;
    if ('statesPerSecond' in spin) {
      out(
        `  Spin ${'(gcc -O2, BFS)'.padEnd(31)} ${String(spin.states).padStart(9)} states  ${String(spin.statesPerSecond).padStart(9)} states/s  (build ${spin.buildSeconds} s)`,
      );
      for (const [label, r] of Object.entries(spinSide.oursOverSpin)) out(`  ${label}: ${r}x Spin's rate`);
    } else out(`  Spin: skipped: ${spin.skipped}`);
  }
  out('');
  out(`check --workers (${report.workers} cores; ${SCALING_RUNS} runs; medians of ${SCALING_REPEATS}; events/s, ratio to 1 worker)`);
  for (const s of scaling) {
    out(
      `${s.policy.padEnd(32)} 1: ${String(s.eventsPerSecond.workers1).padStart(9)}   2: ${String(s.eventsPerSecond.workers2).padStart(9)} (${s.ratio.workers2.toFixed(2)}x)   all: ${String(s.eventsPerSecond.workersAll).padStart(9)} (${s.ratio.workersAll.toFixed(2)}x)`,
    );
  }
  if (multiPolicyExplore) {
    const m = multiPolicyExplore;
    out('');
    out(
      `explore --depth ${m.depth}, all ${m.policies} built-in policies side by side (medians of ${SCALING_REPEATS}; seconds, speed-up over 1 worker)`,
    );
    out(
      `  1: ${m.seconds.workers1} s   2: ${m.seconds.workers2} s (${m.ratio.workers2.toFixed(2)}x)   all: ${m.seconds.workersAll} s (${m.ratio.workersAll.toFixed(2)}x)`,
    );
  }
}
