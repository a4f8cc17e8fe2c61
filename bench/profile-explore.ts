/** Profiling aid: `node --cpu-prof dist/bench/profile-explore.js [policy] [depth]`. */
import { architectures, policies } from '../models/catalog.js';
import { invariantsFor } from '../properties/suites.js';
import { explore } from '../src/searches/explore.js';

const name = process.argv[2] ?? 'arm64-dirty-2015';
const depth = Number(process.argv[3] ?? 7);
const policy = policies.find((p) => p.name === name);
const arch = architectures.find((a) => a.id === policy?.arch);
if (!policy || !arch) throw new Error(`no policy ${name}`);
const t = performance.now();
const r = explore(policy, { arch, invariants: invariantsFor(arch.id), depth });
const ms = performance.now() - t;
process.stdout.write(
  `${name}: ${r.verdict} at depth ${r.depthCompleted}, ${r.states} states, ${r.transitions} transitions in ${ms.toFixed(0)} ms = ${Math.round(r.states / (ms / 1000))} states/s\n`,
);
