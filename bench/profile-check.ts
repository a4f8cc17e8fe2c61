/** Profiling aid: `node --cpu-prof dist/bench/profile-check.js [policy] [runs]` runs one check with shrinking off. */
import { architectures, policies } from '../models/catalog.js';
import { invariantsFor } from '../properties/suites.js';
import { check } from '../src/searches/check.js';

const name = process.argv[2] ?? 'arm64-dirty-2015';
const runs = Number(process.argv[3] ?? 20000);
const policy = policies.find((p) => p.name === name);
const arch = architectures.find((a) => a.id === policy?.arch);
if (!policy || !arch) throw new Error(`no policy ${name}`);
const t = performance.now();
const r = check(policy, { arch, invariants: invariantsFor(arch.id), runs, seed: 7, shrink: false });
const ms = performance.now() - t;
process.stdout.write(
  `${name}: ${r.verdict}, ${r.stats.events} events in ${ms.toFixed(0)} ms = ${Math.round(r.stats.events / (ms / 1000))} events/s\n`,
);
