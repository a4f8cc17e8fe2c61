/**
 * How `check --workers N` scales on this machine: the built binary (the build `npm run bench`
 * runs), one held policy at a time, on 1, 2 and all cores; events per second from the report's
 * own counters and wall time (worker start-up included), medians over repeats taken round-robin
 * (load from elsewhere falls on each count alike), and the ratios to one worker.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

/** Held policies (a violated one ends at its first counterexample), switch-heavy, on three architectures. */
export const SCALING_POLICIES = ['arm64-nvhe/eager', 'arm64-nvhe/arm64-dirty-2015', 'x86-vmx/eager'] as const;

const BIN = fileURLToPath(new URL('../../bin/worldswitch.js', import.meta.url));

/** One `check` of `policy` with `workers`: events per second over the check (from its JSON report). */
function eventsPerSecond(policy: string, runs: number, workers: number): number {
  const r = spawnSync(process.execPath, [BIN, 'check', policy, '--runs', String(runs), '--workers', String(workers), '--json', '--quiet'], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  if (r.status !== 0) throw new Error(`bench: check ${policy} --workers ${workers} exited ${r.status}: ${r.stderr}`);
  const report = JSON.parse(r.stdout) as { stats: { events: number; ms: number } };
  return report.stats.events / (report.stats.ms / 1000);
}

/** Per policy: events/s on 1, 2 and all cores (medians of `repeats`), and the ratios to one worker. */
export function measureScaling(runs: number, repeats: number, median: (xs: readonly number[]) => number) {
  const cores = availableParallelism();
  const counts = [...new Set([1, Math.min(2, cores), cores])];
  return SCALING_POLICIES.map((policy) => {
    process.stderr.write(`bench: check ${policy} --runs ${runs} --workers ${counts.join('|')}\n`);
    const rates = new Map<number, number[]>(counts.map((n) => [n, []]));
    for (let r = 0; r < repeats; r++) for (const n of counts) rates.get(n)?.push(eventsPerSecond(policy, runs, n));
    const at = (n: number): number => Math.round(median(rates.get(n) ?? [0]));
    const one = at(1);
    const ratio = (n: number): number => Math.round((at(n) / one) * 100) / 100;
    return {
      policy,
      runs,
      eventsPerSecond: { workers1: one, workers2: at(Math.min(2, cores)), workersAll: at(cores) },
      ratio: { workers2: ratio(Math.min(2, cores)), workersAll: ratio(cores) },
    };
  });
}

/**
 * How `explore` with several policies scales (issue 19, goal 3: multi-policy runs): every built-in
 * policy at `depth`, through the binary, with `--workers` 1, 2 and all cores (policies side by
 * side); wall seconds per run (worker start-up included), medians of `repeats` taken round-robin,
 * and the speed-ups over one worker.
 */
export function measureMultiExplore(depth: number, repeats: number, median: (xs: readonly number[]) => number) {
  const cores = availableParallelism();
  const counts = [...new Set([1, Math.min(2, cores), cores])];
  process.stderr.write(`bench: explore (every built-in policy) --depth ${depth} --workers ${counts.join('|')}\n`);
  const seconds = new Map<number, number[]>(counts.map((n) => [n, []]));
  let policies = 0;
  for (let r = 0; r < repeats; r++)
    for (const n of counts) {
      const started = performance.now();
      const run = spawnSync(process.execPath, [BIN, 'explore', '--depth', String(depth), '--workers', String(n), '--json', '--quiet'], {
        encoding: 'utf8',
        maxBuffer: 256 * 2 ** 20,
      });
      // Some built-in policies are the seeded bugs: exit 1 is the expected verdict.
      if (run.status !== 0 && run.status !== 1)
        throw new Error(`bench: explore --depth ${depth} --workers ${n} exited ${run.status}: ${run.stderr}`);
      seconds.get(n)?.push((performance.now() - started) / 1000);
      policies = (JSON.parse(run.stdout) as { results: unknown[] }).results.length;
    }
  const at = (n: number): number => Math.round(median(seconds.get(n) ?? [0]) * 100) / 100;
  const one = at(1);
  const ratio = (n: number): number => Math.round((one / at(n)) * 100) / 100;
  return {
    depth,
    policies,
    seconds: { workers1: one, workers2: at(Math.min(2, cores)), workersAll: at(cores) },
    ratio: { workers2: ratio(Math.min(2, cores)), workersAll: ratio(cores) },
  };
}
