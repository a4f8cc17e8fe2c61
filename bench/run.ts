/**
 * `npm run bench [-- --json]`: events checked per second for every built-in policy (all invariants
 * on, one core) and, for every policy with a seeded bug, time to the first and to the shrunk
 * counterexample over 20 seeds. Medians and spreads; never run as a timed test.
 */
import { architectures, policies } from '../models/catalog.js';
import { invariantsFor } from '../properties/suites.js';
import { check } from '../src/check.js';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

const THROUGHPUT_RUNS = 4000;
const REPEATS = 5;
const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);

const throughput: { policy: string; arch: string; eventsPerSecond: number; spread: [number, number]; verdict: string }[] = [];
const bugs: {
  policy: string;
  arch: string;
  medianFirstMs: number;
  medianShrunkMs: number;
  shrunkSpreadMs: [number, number];
  medianSteps: number;
  found: number;
}[] = [];

for (const policy of policies) {
  const arch = architectures.find((a) => a.id === policy.arch);
  if (!arch) continue;
  const invariants = invariantsFor(arch.id);
  // Warm up the JIT, then time repeated held-or-not runs with shrinking off (pure exploration speed).
  check(policy, { arch, invariants, runs: 500, seed: 99, shrink: false });
  const rates: number[] = [];
  let verdict = 'held';
  for (let r = 0; r < REPEATS; r++) {
    const t = performance.now();
    const result = check(policy, { arch, invariants, runs: THROUGHPUT_RUNS, seed: 1000 + r, shrink: false });
    const ms = performance.now() - t;
    rates.push(result.stats.events / (ms / 1000));
    if (result.verdict !== 'held') verdict = result.verdict;
  }
  throughput.push({
    policy: `${arch.id}/${policy.name}`,
    arch: arch.id,
    eventsPerSecond: Math.round(median(rates)),
    spread: [Math.round(Math.min(...rates)), Math.round(Math.max(...rates))],
    verdict,
  });

  const probe = check(policy, { arch, invariants, runs: 2000, seed: 1 });
  if (probe.verdict !== 'violated') continue;
  const first: number[] = [];
  const shrunk: number[] = [];
  const steps: number[] = [];
  let found = 0;
  for (const seed of SEEDS) {
    let t = performance.now();
    const f = check(policy, { arch, invariants, runs: 100_000, seed, shrink: false });
    first.push(performance.now() - t);
    t = performance.now();
    const s = check(policy, { arch, invariants, runs: 100_000, seed });
    shrunk.push(performance.now() - t);
    if (f.verdict === 'violated' && s.verdict === 'violated') found++;
    steps.push(s.trace.length);
  }
  bugs.push({
    policy: `${arch.id}/${policy.name}`,
    arch: arch.id,
    medianFirstMs: round(median(first)),
    medianShrunkMs: round(median(shrunk)),
    shrunkSpreadMs: [round(Math.min(...shrunk)), round(Math.max(...shrunk))],
    medianSteps: median(steps),
    found,
  });
}

const report = { node: process.version, date: new Date().toISOString().slice(0, 10), throughput, bugs };
if (process.argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  process.stdout.write(`Random checking, all invariants, one core (${REPEATS} x ${THROUGHPUT_RUNS} runs, median [min, max]):\n`);
  for (const t of throughput)
    process.stdout.write(
      `  ${t.policy.padEnd(34)} ${String(t.eventsPerSecond).padStart(9)} events/s  [${t.spread.join(', ')}]  ${t.verdict}\n`,
    );
  process.stdout.write(`\nSeeded bugs, ${SEEDS.length} seeds (median ms; shrunk spread [min, max]):\n`);
  for (const b of bugs) {
    process.stdout.write(
      `  ${b.policy.padEnd(34)} first ${b.medianFirstMs} ms, shrunk ${b.medianShrunkMs} ms [${b.shrunkSpreadMs.join(', ')}], ${b.medianSteps} steps, found ${b.found}/${SEEDS.length}\n`,
    );
  }
}
