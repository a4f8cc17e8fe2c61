/** Executors for a policy on an architecture, sharing one model instance per configuration. */

import { Executor } from '../engine/execute.js';
import type { Invariant } from '../engine/invariant.js';
import type { ArchModel, EventKind, ModelConfig, ModelInstance } from '../engine/model.js';
import type { Policy } from '../engine/policy.js';
import { lifecycleEvents } from '../model-kit/events.js';

/** Makes an executor for `policy` on `arch` configured with `config`. */
export function makeExecutor(policy: Policy, arch: ArchModel, invariants: readonly Invariant[], config: ModelConfig = {}): Executor {
  const { instance, generic } = instanceOf(arch, config);
  return new Executor(instance, policy, invariants, generic);
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
