/** Profiling aid: the executor alone on pre-generated choices (no fast-check), to split engine from generator cost. */
import { architectures, policies } from '../models/catalog.js';
import { invariantsFor } from '../properties/suites.js';
import { makeExecutor } from '../src/searches/check.js';

const name = process.argv[2] ?? 'eager';
const policy = policies.find((p) => p.name === name);
const arch = architectures.find((a) => a.id === policy?.arch);
if (!policy || !arch) throw new Error(`no policy ${name}`);
const x = makeExecutor(policy, arch, invariantsFor(arch.id));
let s = 12345;
const rnd = (): number => {
  s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
  return s;
};
const runs = Array.from({ length: 20000 }, () => Array.from({ length: 1 + (rnd() % 40) }, rnd));
for (const r of runs.slice(0, 2000)) x.runChoices(r);
const before = x.eventsExecuted;
const t = performance.now();
for (const r of runs) x.runChoices(r);
const ms = performance.now() - t;
process.stdout.write(
  `${name}: ${x.eventsExecuted - before} events in ${ms.toFixed(0)} ms = ${Math.round((x.eventsExecuted - before) / (ms / 1000))} events/s (executor only)\n`,
);
