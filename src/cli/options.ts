/**
 * The flags several commands share, as commander options: model options (once each, with the
 * architectures that have them), the hook watchdog, budgets, and check's and explore's reporting and
 * triage flags. Parsers give one-line errors (exit 2).
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { architectures } from '../../models/catalog.js';
import { DEFAULT_HOOK_TIMEOUT_S } from '../searches/guard.js';

/** A parser for a whole-number flag in [min, max]. */
export const integer =
  (flag: string, min: number, max: number) =>
  (value: string): number => {
    if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`${flag} takes a whole number, got "${value}".`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`${flag} must be between ${min} and ${max}, got ${n}.`);
    return n;
  };

/** A repeatable flag's values, in order. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * Each model option once, with the architectures that have it; where they describe it differently
 * (`--brps`: ID_AA64DFR0_EL1 on arm64, DBGDIDR on armv7), each description names its architectures.
 * Defaults in commander's own `(default: N)` form.
 */
const MODEL_OPTIONS = [...new Set(architectures.flatMap((a) => a.options.map((o) => o.name)))].map((name) => {
  const having = architectures.filter((a) => a.options.some((o) => o.name === name));
  const of = (a: (typeof architectures)[number]) => a.options.find((o) => o.name === name) as (typeof a.options)[number];
  const option = of(having[0] as (typeof architectures)[number]);
  const where = having.length === architectures.length ? '' : ` (${having.map((a) => a.id).join(', ')})`;
  const texts = [...new Set(having.map((a) => of(a).describe))];
  const describe =
    texts.length === 1
      ? option.describe
      : texts
          .map(
            (t) =>
              `${t} on ${having
                .filter((a) => of(a).describe === t)
                .map((a) => a.id)
                .join(', ')}`,
          )
          .join('; ');
  return { ...option, help: `model${where}: ${describe} (default: ${option.default})` };
});

export function addArchOptions(c: Command): Command {
  // A whole number here; its range is the architecture's, checked once the policy is known (selection.ts modelConfig).
  for (const o of MODEL_OPTIONS) c.addOption(new Option(`--${o.name} <n>`, o.help).argParser(integer(`--${o.name}`, -Infinity, Infinity)));
  return c;
}

/** `--hook-timeout`: the watchdog on a policy file's hooks (and on loading it). */
export function addHookTimeout(c: Command): Command {
  return c.option(
    '--hook-timeout <s>',
    'seconds a hook of a policy file (or loading the file) may run before it counts as looping',
    integer('--hook-timeout', 1, 3600),
    DEFAULT_HOOK_TIMEOUT_S,
  );
}

/** The budgets of check and explore: reaching one stops the run with verdict held-so-far (exit 4). */
export function addBudgets(c: Command, states: string): Command {
  return c
    .option('--time-limit <s>', 'stop after this many seconds: verdict held-so-far (exit 4)', integer('--time-limit', 1, 10_000_000))
    .option('--max-states <n>', `stop after ${states}: verdict held-so-far (exit 4)`, integer('--max-states', 1, 2 ** 52))
    .option(
      '--max-memory <mb>',
      'stop when the process uses more than this many MiB (also the heap limit of the worker running the search): held-so-far (exit 4)',
      integer('--max-memory', 64, 1_048_576),
    );
}

export function addModelOptions(c: Command): Command {
  return addHookTimeout(addArchOptions(c))
    .option('--invariant <name>', 'check only this invariant (repeatable; policy-total is always on)', collect)
    .option('--coverage', 'report which lifecycle states, transitions and events were exercised')
    .option('--json', 'print the versioned JSON report instead of text')
    .option('--out <file>', 'save the counterexample as a replayable trace file (worldswitch replay <file>)')
    .option('--html <file>', 'write the counterexample as a self-contained HTML sequence diagram')
    .option('--full-state', 'also print the complete debug state at the failing point')
    .option('--verbose', 'with several policies, print every finding in full before the verdict table')
    .option('--quiet', 'no progress bar or timing lines on stderr (for CI)')
    .option(
      '--junit <file>',
      'also write the verdicts as JUnit XML (one testcase per policy and invariant set; /dev/stdout and a FIFO with a reader work)',
    )
    .option('--continue', 'go on after a violation: one (shortest, shrunk) counterexample per invariant that breaks, with a summary table')
    .option('--skip-invariant <name>', 'do not check this invariant (repeatable; policy-total cannot be skipped)', collect)
    .option(
      '--assume-fixed <trace.json>',
      'a saved trace of a known bug: counterexamples breaking at the same point (event, hook, register) are listed as known, and the search goes on (repeatable)',
      collect,
    )
    .option('--out-dir <dir>', 'save every counterexample as a trace file <dir>/<arch>-<policy>-<invariant>.json');
}
