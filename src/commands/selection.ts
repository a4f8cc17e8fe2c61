import { CHECK_DEFAULTS } from '../check.js';
import { POLICY_TOTAL } from '../execute.js';
import type { Invariant } from '../invariant.js';
import { loadPolicyFile } from '../load-policy.js';
import type { ArchModel } from '../model.js';
import type { Policy } from '../policy.js';
import { isPolicyFile, selectPolicies } from '../select-policies.js';
import { UsageError } from '../usage-error.js';
import type { Catalog } from './catalog.js';

/** One policy to run, how the user named it, and the file it came from (user policies). */
export interface Selected {
  readonly policy: Policy;
  readonly arch: ArchModel;
  readonly arg: string;
  readonly file?: string;
}

/** Resolves policy arguments (built-in names or files); none means every built-in policy. */
export async function selectAll(args: readonly string[], catalog: Catalog): Promise<Selected[]> {
  const archOf = (policy: Policy): ArchModel => {
    const arch = catalog.architectures.find((a) => a.id === policy.arch);
    if (arch) return arch;
    throw new UsageError(
      `Policy "${policy.name}" names an unknown arch "${policy.arch}". Expected one of: ${catalog.architectures.map((a) => a.id).join(', ')}.`,
    );
  };
  if (args.length === 0) return catalog.policies.map((policy) => ({ policy, arch: archOf(policy), arg: `${policy.arch}/${policy.name}` }));
  const out: Selected[] = [];
  for (const arg of args) {
    if (isPolicyFile(arg)) for (const policy of await loadPolicyFile(arg)) out.push({ policy, arch: archOf(policy), arg, file: arg });
    else
      for (const policy of selectPolicies(arg, catalog.policies, catalog.architectures))
        out.push({ policy, arch: archOf(policy), arg: `${policy.arch}/${policy.name}` });
  }
  return out;
}

/** Validates `--invariant` names. */
export function checkInvariantNames(names: readonly string[], catalog: Catalog): void {
  for (const n of names) {
    if (!catalog.invariants.some((i) => i.name === n)) {
      throw new UsageError(`Unknown invariant "${n}". Expected one of: ${catalog.invariants.map((i) => i.name).join(', ')}.`);
    }
  }
}

/** The invariants to check on `arch`: the named ones (policy-total always), or all. */
export function invariantsToCheck(arch: ArchModel, names: readonly string[], catalog: Catalog): Invariant[] {
  return catalog.invariantsFor(arch.id).filter((i) => names.length === 0 || names.includes(i.name) || i.name === POLICY_TOTAL);
}

/** Rejects a model flag (`--gdb`, `--mdbgen`, ...) that no selected policy's architecture has: it would be ignored. */
export function checkModelFlags(
  selected: readonly { readonly arch: ArchModel }[],
  flags: Readonly<Record<string, unknown>>,
  catalog: Catalog,
): void {
  const names = new Set(catalog.architectures.flatMap((a) => a.options.map((o) => o.name)));
  for (const name of names) {
    if (typeof flags[name] !== 'number' || selected.some(({ arch }) => arch.options.some((o) => o.name === name))) continue;
    const having = catalog.architectures.filter((a) => a.options.some((o) => o.name === name)).map((a) => a.id);
    const archs = [...new Set(selected.map(({ arch }) => arch.id))].join(', ');
    throw new UsageError(`--${name} does not apply to ${archs}: it is a model option of ${having.join(', ')}.`);
  }
}

/** The model configuration from the model flags (`--cpus`, `--brps`, ...), validated against `arch`. */
export function modelConfig(
  arch: ArchModel,
  flags: Readonly<Record<string, unknown>>,
): { config: Record<string, number>; replay: string[] } {
  const config: Record<string, number> = {};
  const replay: string[] = [];
  for (const o of arch.options) {
    // commander stores --x86-era as x86Era.
    const value = flags[o.name] ?? flags[o.name.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase())];
    if (typeof value !== 'number') continue;
    if (value < o.min || value > o.max)
      throw new UsageError(`--${o.name} must be between ${o.min} and ${o.max} on ${arch.id}, got ${value}.`);
    config[o.name] = value;
    replay.push(`--${o.name} ${value}`);
  }
  return { config, replay };
}

/** Flags that reproduce a check's interleavings, beyond the policy, seed and path. */
export function checkReplayFlags(names: readonly string[], flags: { runs: number; maxSteps: number }): string[] {
  const out = names.map((n) => `--invariant ${n}`);
  if (flags.maxSteps !== CHECK_DEFAULTS.maxSteps) out.push(`--max-steps ${flags.maxSteps}`);
  if (flags.runs !== CHECK_DEFAULTS.runs) out.push(`--runs ${flags.runs}`);
  return out;
}
