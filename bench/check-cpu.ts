/**
 * `node dist/bench/check-cpu.js [arch/policy...]`: `check` events per second of each policy with
 * every invariant on, in process CPU time (user + system), so that other processes on a shared
 * machine move the figure less than wall time does. Per policy: two warm-up checks, then the
 * median (and range) of five 3000-run checks with shrinking off, seeds 7-11. Default policies: the
 * switch-heavy ones issue 19 names. Never run as a timed test.
 */
import { architectures, policies } from '../models/catalog.js';
import { invariantsFor } from '../properties/suites.js';
import { check } from '../src/searches/check.js';

const DEFAULTS = ['arm64-nvhe/eager', 'arm64-nvhe/arm64-dirty-2015', 'armv7/eager', 'x86-vmx/eager', 'x86-svm/eager'];
const RUNS = 3000;
const REPEATS = 5;

/** Events per CPU second of one check of `name` (arch/policy) with `seed`. */
function cpuRate(name: string, seed: number): number {
  const [archId, policyName] = name.split('/');
  const policy = policies.find((p) => p.arch === archId && p.name === policyName);
  const arch = architectures.find((a) => a.id === archId);
  if (!policy || !arch) throw new Error(`no policy ${name}`);
  const start = process.cpuUsage();
  const r = check(policy, { arch, invariants: invariantsFor(arch.id), runs: RUNS, seed, shrink: false });
  const cpu = process.cpuUsage(start);
  return r.stats.events / ((cpu.user + cpu.system) / 1e6);
}

const names = process.argv.length > 2 ? process.argv.slice(2) : DEFAULTS;
for (const name of names) {
  cpuRate(name, 99);
  cpuRate(name, 98);
  const rates = Array.from({ length: REPEATS }, (_, i) => cpuRate(name, 7 + i)).sort((a, b) => a - b);
  const k = (x: number): string => `${Math.round(x / 1000)} k`;
  process.stdout.write(`${name}\t${k(rates[REPEATS >> 1] as number)}\t(${k(rates[0] as number)}-${k(rates[REPEATS - 1] as number)})\n`);
}
