import { resolve } from 'node:path';
import { type Executor, POLICY_TOTAL } from '../engine/execute.js';
import { checkedByDefault, type Invariant, onlyWithOptions } from '../engine/invariant.js';
import { HOOK_NAMES } from '../engine/lifecycle.js';
import type { ArchModel } from '../engine/model.js';
import { type Policy, PolicyError, PolicyScopeError } from '../engine/policy.js';
import { type LoadedPolicy, loadPolicyFile, probePolicyFile } from '../persistence/load-policy.js';
import { UsageError } from '../persistence/usage-error.js';
import { CHECK_DEFAULTS, makeExecutor } from '../searches/check.js';
import { policyConfig } from '../searches/make-executor.js';
import type { Catalog } from './catalog.js';
import { filesIn, isDirectory } from './files-in.js';
import type { Io } from './io.js';
import { isPolicyFile, selectPolicies } from './select-policies.js';

/** Policy files in a directory argument: scripts, not declarations, tests or specs. */
const POLICY_FILE = /^(?!.*\.(test|spec|d)\.[mc]?[jt]s$).*\.m?[jt]s$/;

/** Every policy the files under `dir` export; a file there that exports none (a helper module) is skipped. */
async function policiesInDirectory(dir: string, loadTimeoutS: number): Promise<{ arg: string; loaded: LoadedPolicy[] }[]> {
  const out: { arg: string; loaded: LoadedPolicy[] }[] = [];
  for (const file of filesIn(dir, POLICY_FILE, 'policy files (*.ts, *.mts, *.js, *.mjs)')) {
    try {
      out.push({ arg: file, loaded: await loadUnderWatchdog(file, loadTimeoutS) });
    } catch (e) {
      if (!(e instanceof UsageError && e.message.includes('exports no policy'))) throw e;
    }
  }
  if (out.length === 0) throw new UsageError(`Directory ${dir} holds no file that exports a policy (definePolicy).`);
  return out;
}

/** A policy file's policies, its top-level code first run in a worker under a watchdog. */
async function loadUnderWatchdog(address: string, loadTimeoutS: number): Promise<LoadedPolicy[]> {
  await probePolicyFile(address, loadTimeoutS * 1000);
  return loadPolicyFile(address);
}

/** One policy to run, how the user named it, and the file it came from (user policies). */
export interface Selected {
  readonly policy: Policy;
  readonly arch: ArchModel;
  readonly arg: string;
  /** The policy file (without `#export`), for a user policy. */
  readonly file?: string;
  /** The export of `file` the policy is (the worker loads it by this, not by its name). */
  readonly exportName?: string;
}

/** A shard report's `policyExport`: the export a file of several policies was named by (`file.ts#export`), else nothing. */
export const policyExport = (s: {
  readonly arg: string;
  readonly file?: string;
  readonly exportName?: string;
}): { policyExport?: string } =>
  s.file !== undefined && s.arg !== s.file && s.exportName !== undefined ? { policyExport: s.exportName } : {};

/** Seconds a policy file may take to load (its top-level code) before it counts as looping. */
export const DEFAULT_LOAD_TIMEOUT_S = 10;

/**
 * Resolves policy arguments (built-in names, files, `file.ts#export`); none means every built-in
 * policy. A policy file is first loaded in a worker under a watchdog of `loadTimeoutS` seconds.
 */
export async function selectAll(args: readonly string[], catalog: Catalog, loadTimeoutS = DEFAULT_LOAD_TIMEOUT_S): Promise<Selected[]> {
  const archOf = (policy: Policy): ArchModel => {
    const arch = catalog.architectures.find((a) => a.id === policy.arch);
    if (arch) return arch;
    throw new UsageError(
      `Policy "${policy.name}" names an unknown arch "${policy.arch}". Expected one of: ${catalog.architectures.map((a) => a.id).join(', ')}.`,
    );
  };
  if (args.length === 0) return catalog.policies.map((policy) => ({ policy, arch: archOf(policy), arg: `${policy.arch}/${policy.name}` }));
  const out: Selected[] = [];
  // A policy named twice (`arm64-nvhe/eager eager`, `dir/ dir/p.ts`, `./p.ts p.ts`) is run once, where first named.
  const seen = new Set<string>();
  const push = (s: Selected): void => {
    const key = s.file === undefined ? `${s.arch.id}/${s.policy.name}` : `${resolve(s.file)}#${s.exportName ?? ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(s);
  };
  for (const arg of args) {
    if (/[\\/]$/.test(arg) && !isDirectory(arg)) throw new UsageError(`Directory ${arg} does not exist.`);
    if (isDirectory(arg) || isPolicyFile(arg)) {
      const found = isDirectory(arg)
        ? await policiesInDirectory(arg, loadTimeoutS)
        : [{ arg, loaded: await loadUnderWatchdog(arg, loadTimeoutS) }];
      for (const { arg: named, loaded } of found) {
        const file = named.replace(/#[^#/\\]*$/, '');
        for (const { policy, exportName } of loaded) {
          // The argument that names this one policy again: with #export when the file has several.
          const one = loaded.length > 1 || named !== file ? `${file}#${exportName}` : file;
          push({ policy, arch: archOf(policy), arg: one, file, exportName });
        }
      }
    } else
      for (const policy of selectPolicies(arg, catalog.policies, catalog.architectures))
        push({ policy, arch: archOf(policy), arg: `${policy.arch}/${policy.name}` });
  }
  return out;
}

/**
 * The configuration a selected policy runs with: the model flags over its era's `defaults`
 * (policyConfig), which decides what applies (`Invariant.onlyWith`) as it decides the model.
 */
export function runConfig(s: Sel, flags: Readonly<Record<string, unknown>>): Record<string, number> {
  return { ...policyConfig(s.policy, s.arch, modelConfig(s.arch, flags).config) };
}

/** A selected policy on its architecture, as the checks on flags need it. */
type Sel = { readonly policy: Policy; readonly arch: ArchModel };

/** Whether invariant `n` applies to `s` under the model flags and its era's defaults (`Invariant.onlyWith`). */
function hasInvariant(catalog: Catalog, s: Sel, n: string, flags: Readonly<Record<string, unknown>>): boolean {
  const i = catalog.invariantsFor(s.arch.id).find((inv) => inv.name === n);
  return i !== undefined && checkedByDefault(i, s.arch.id, runConfig(s, flags));
}

/** Validates `--invariant` names. */
export function checkInvariantNames(names: readonly string[], catalog: Catalog): void {
  for (const n of names) {
    if (!catalog.invariants.some((i) => i.name === n)) {
      throw new UsageError(`Unknown invariant "${n}". Expected one of: ${catalog.invariants.map((i) => i.name).join(', ')}.`);
    }
  }
}

/**
 * Rejects an `--invariant` that no selected policy's architecture has: the run would check only
 * policy-total and call that `held`. (On a mixed selection it applies where the arch has it.)
 */
export function checkInvariantsApply(
  names: readonly string[],
  selected: readonly Sel[],
  catalog: Catalog,
  flags: Readonly<Record<string, unknown>> = {},
): void {
  for (const n of names) {
    if (selected.some((s) => hasInvariant(catalog, s, n, flags))) continue;
    const having = catalog.architectures.flatMap((a) => {
      const inv = catalog.invariantsFor(a.id).find((i) => i.name === n);
      const options = inv ? onlyWithOptions(inv, a.id) : [];
      return inv ? [options.length > 0 ? `${a.id} (with ${options.map((o) => `--${o} 1`).join(' or ')})` : a.id] : [];
    });
    const archs = [...new Set(selected.map(({ arch }) => arch.id))].join(', ');
    throw new UsageError(`--invariant ${n} does not apply to ${archs}: it is an invariant of ${having.join(', ')}.`);
  }
}

/** `--path` as fast-check prints it: whole numbers separated by colons. */
export function checkPathFlag(path: string | undefined): void {
  if (path !== undefined && !/^\d{1,9}(:\d{1,9})*$/.test(path)) {
    throw new UsageError(`--path takes the path a report printed (numbers separated by ":", e.g. 12:3:0), got "${path}".`);
  }
}

/**
 * The invariants to check on `arch` under model `config`: the named ones (policy-total always), or
 * all that apply without naming (`Invariant.onlyWith`); less the skipped ones (`--skip-invariant`).
 */
export function invariantsToCheck(
  arch: ArchModel,
  names: readonly string[],
  catalog: Catalog,
  skip: readonly string[] = [],
  config: Readonly<Record<string, unknown>> = {},
): Invariant[] {
  return catalog
    .invariantsFor(arch.id)
    .filter(
      (i) =>
        checkedByDefault(i, arch.id, config) &&
        (names.length === 0 || names.includes(i.name) || i.name === POLICY_TOTAL) &&
        !skip.includes(i.name),
    );
}

/** A model option's flag value: commander keys `--guest-step` as `guestStep`. */
const flagValue = (flags: Readonly<Record<string, unknown>>, name: string): unknown =>
  flags[name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())];

/**
 * Under a table of several architectures: a note per model flag given that some selected
 * architectures do not have (`check eager --gdb 1`: only arm64-vhe's row ran with it). Empty when
 * every row ran with every flag.
 */
export function modelFlagNotes(selected: readonly { readonly arch: ArchModel }[], flags: Readonly<Record<string, unknown>>): string {
  const archs = [...new Map(selected.map(({ arch }) => [arch.id, arch])).values()];
  const names = [...new Set(archs.flatMap((a) => a.options.map((o) => o.name)))];
  let notes = '';
  for (const name of names) {
    const value = flagValue(flags, name);
    if (typeof value !== 'number') continue;
    const having = archs.filter((a) => a.options.some((o) => o.name === name)).map((a) => a.id);
    if (having.length === archs.length) continue;
    notes += `note: --${name} ${value} is a model option of ${having.join(', ')} only: the other rows ran without it.\n`;
  }
  return notes;
}

/**
 * Under a table of several architectures: a note per `--invariant` some selected architectures do
 * not have (`check arm64-nvhe/eager x86-vmx/eager --invariant userspace-debug-honored`), naming the
 * rows that ran without it, and those left with policy-total alone.
 */
export function invariantNotes(
  selected: readonly Sel[],
  names: readonly string[],
  catalog: Catalog,
  flags: Readonly<Record<string, unknown>> = {},
): string {
  const archs = [...new Set(selected.map(({ arch }) => arch.id))];
  // An arch has `n` when one of its selected policies runs with it.
  const has = (a: string, n: string) => selected.some((s) => s.arch.id === a && hasInvariant(catalog, s, n, flags));
  let notes = '';
  for (const n of names) {
    const lacking = archs.filter((a) => !has(a, n));
    if (lacking.length > 0) notes += `note: --invariant ${n} is no invariant of ${lacking.join(', ')}: those rows ran without it.\n`;
  }
  const asked = names.filter((n) => n !== POLICY_TOTAL);
  const bare = archs.filter((a) => asked.length > 0 && asked.every((n) => !has(a, n)));
  if (bare.length > 0) notes += `note: the rows of ${bare.join(', ')} checked policy-total alone.\n`;
  return notes;
}

/**
 * A note on stderr per hook of a policy file that its architecture never calls (`fastpath` off x86,
 * `runEnter` off ppc-booke, `hostTrap` off armv7): that code is never checked, so a held verdict
 * says nothing of it. A hook the architecture calls only in some configurations (x86's `fastpath`
 * from Linux 5.8) gets no note. Built-in policies are tested not to have one.
 */
export function noteUncalledHooks(selected: readonly Selected[], flags: Readonly<Record<string, unknown>>, io: Io): void {
  for (const s of selected) {
    if (s.file === undefined) continue;
    const never = hooksNeverCalled(makeExecutor(s.policy, s.arch, [], modelConfig(s.arch, flags).config));
    if (never.length === 0) continue;
    const what = never.length === 1 ? `hook ${never[0]}, which` : `hooks ${never.join(', ')}, which`;
    io.err(`worldswitch: note: ${s.arch.id}/${s.policy.name} has ${what} ${s.arch.id} never calls here: that code is not checked\n`);
  }
}

/** The hooks `x`'s policy has that its model never calls: not in the lifecycle machine's actions, no kind's `needsHook`, not a direct hook. */
export function hooksNeverCalled(x: Executor): string[] {
  const called = new Set<string>(x.model.directHooks ?? []);
  for (const h of x.model.lifecycle.hook) if (h >= 0) called.add(HOOK_NAMES[h] as string);
  for (const k of x.kinds) if (k.needsHook !== undefined) called.add(k.needsHook);
  return HOOK_NAMES.filter((h) => x.policy.hooks[h] !== undefined && !called.has(h));
}

/** Rejects a model flag (`--gdb`, `--mdbgen`, ...) that no selected policy's architecture has: it would be ignored. */
export function checkModelFlags(
  selected: readonly { readonly arch: ArchModel }[],
  flags: Readonly<Record<string, unknown>>,
  catalog: Catalog,
): void {
  const names = new Set(catalog.architectures.flatMap((a) => a.options.map((o) => o.name)));
  for (const name of names) {
    if (typeof flagValue(flags, name) !== 'number' || selected.some(({ arch }) => arch.options.some((o) => o.name === name))) continue;
    const having = catalog.architectures.filter((a) => a.options.some((o) => o.name === name)).map((a) => a.id);
    const archs = [...new Set(selected.map(({ arch }) => arch.id))].join(', ');
    throw new UsageError(`--${name} does not apply to ${archs}: it is a model option of ${having.join(', ')}.`);
  }
}

/**
 * The selected policies whose code models the run's option values: one whose `scope` leaves a value
 * out (`x86-lazy-2014` under `--x86-era 2`) is not run, with a note on stderr saying why; when that
 * leaves none, the reason is the error. A policy file's bad `defaults` or `scope` is an error.
 */
export function inScope(selected: readonly Selected[], flags: Readonly<Record<string, unknown>>, io: Io): Selected[] {
  const kept: Selected[] = [];
  const left: string[] = [];
  for (const s of selected) {
    try {
      policyConfig(s.policy, s.arch, modelConfig(s.arch, flags).config);
      kept.push(s);
    } catch (e) {
      if (e instanceof PolicyScopeError) left.push(e.message);
      else if (e instanceof PolicyError) throw new UsageError(`${s.file ?? s.arg}: ${e.message}`);
      else throw e;
    }
  }
  if (kept.length === 0 && left.length > 0) throw new UsageError(left.join('; '));
  for (const why of left) io.err(`worldswitch: note: not run: ${why}\n`);
  return kept;
}

/** The model configuration from the model flags (`--cpus`, `--brps`, ...), validated against `arch`. */
export function modelConfig(
  arch: ArchModel,
  flags: Readonly<Record<string, unknown>>,
): { config: Record<string, number>; replay: string[] } {
  const config: Record<string, number> = {};
  const replay: string[] = [];
  for (const o of arch.options) {
    const value = flagValue(flags, o.name);
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
