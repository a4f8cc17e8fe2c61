/** Executors for a policy on an architecture, sharing one model instance per configuration. */

import { Executor } from '../engine/execute.js';
import type { Invariant } from '../engine/invariant.js';
import type { ArchModel, EventKind, ModelConfig, ModelInstance } from '../engine/model.js';
import { type Policy, PolicyError, PolicyScopeError } from '../engine/policy.js';
import { lifecycleEvents } from '../model-kit/events.js';

/**
 * Makes an executor for `policy` on `arch` configured with `config` and, where `config` leaves an
 * option out, the policy's era defaults. Throws PolicyScopeError outside the policy's scope.
 */
export function makeExecutor(policy: Policy, arch: ArchModel, invariants: readonly Invariant[], config: ModelConfig = {}): Executor {
  const { instance, generic } = instanceOf(arch, policyConfig(policy, arch, config));
  return new Executor(instance, policy, invariants, generic);
}

/**
 * The configuration `policy` runs with: `config` over the policy's `defaults`. Throws PolicyError
 * when `defaults` or `scope` name an option `arch` lacks or a value out of its range, and
 * PolicyScopeError when an option's value is one the policy's code does not model.
 */
export function policyConfig(policy: Policy, arch: ArchModel, config: ModelConfig): ModelConfig {
  if (policy.defaults === undefined && policy.scope === undefined) return config;
  for (const [name, value] of [
    ...Object.entries(policy.defaults ?? {}),
    ...Object.keys(policy.scope ?? {}).map((n) => [n, undefined] as const),
  ]) {
    const o = arch.options.find((option) => option.name === name);
    if (o === undefined) {
      const names = arch.options.map((option) => option.name).join(', ');
      throw new PolicyError(`Policy "${policy.name}" names a model option "${name}" that ${arch.id} does not have (it has ${names}).`);
    }
    if (value !== undefined && (value < o.min || value > o.max))
      throw new PolicyError(`Policy "${policy.name}": its default --${name} ${value} is not between ${o.min} and ${o.max}.`);
  }
  const effective = { ...policy.defaults, ...config };
  const problem = scopeProblem(policy, arch, effective);
  if (problem !== undefined) throw new PolicyScopeError(problem);
  return effective;
}

/** Why `policy` gives no verdict under `config` (an option value its `scope` leaves out), or undefined. */
export function scopeProblem(policy: Policy, arch: ArchModel, config: ModelConfig): string | undefined {
  for (const [name, { values, why }] of Object.entries(policy.scope ?? {})) {
    const value = config[name] ?? arch.options.find((o) => o.name === name)?.default;
    if (value !== undefined && !values.includes(value)) return `${arch.id}/${policy.name} does not model --${name} ${value}: ${why}`;
  }
  return undefined;
}

/**
 * Model instances (and their generic event kinds) by architecture and configuration: building one
 * (register file, slot layout, compiled lifecycle, event closures) costs more than a short check's
 * runs, and an instance holds no state of any executor (its scratch buffers are rewritten on each
 * use), so executors made one after another share it.
 */
const instances = new WeakMap<ArchModel, Map<string, { instance: ModelInstance; generic: EventKind[] }>>();

function instanceOf(arch: ArchModel, config: ModelConfig): { instance: ModelInstance; generic: EventKind[] } {
  let byConfig = instances.get(arch);
  if (byConfig === undefined) {
    byConfig = new Map();
    instances.set(arch, byConfig);
  }
  const key = JSON.stringify(config);
  let entry = byConfig.get(key);
  if (entry === undefined) {
    const instance = arch.instantiate(config);
    entry = { instance, generic: lifecycleEvents(instance) };
    byConfig.set(key, entry);
  }
  return entry;
}
