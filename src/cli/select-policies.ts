import { existsSync, statSync } from 'node:fs';
import type { ArchModel } from '../engine/model.js';
import type { Policy } from '../engine/policy.js';
import { UsageError } from '../persistence/usage-error.js';

/**
 * A policy argument that names a file rather than a built-in policy: a script extension (with an
 * optional `#exportName`, which `splitPolicyAddress` checks: an empty one is an error, not a
 * built-in name), an explicit path (`./`, `../`, `/`), or an existing file. `arm64-nvhe/eager` is a built-in name.
 */
export const isPolicyFile = (arg: string): boolean =>
  /\.(ts|mts|cts|js|mjs|cjs)(#[^#/\\]*)?$/.test(arg) || /^(\.{1,2}[\\/]|[\\/])/.test(arg) || (existsSync(arg) && statSync(arg).isFile());

/**
 * Resolves `<arch>/<name>` or a bare `<name>` against the built-in policies (DESIGN §7): a bare
 * name shared by several architectures selects it on each of them.
 */
export function selectPolicies(arg: string, policies: readonly Policy[], architectures: readonly ArchModel[]): Policy[] {
  const slash = arg.indexOf('/');
  if (slash >= 0) {
    const arch = arg.slice(0, slash);
    const name = arg.slice(slash + 1);
    if (!architectures.some((a) => a.id === arch)) {
      throw new UsageError(`Unknown architecture "${arch}". Expected one of: ${architectures.map((a) => a.id).join(', ')}.`);
    }
    const found = policies.filter((p) => p.arch === arch && p.name === name);
    if (found.length === 0) {
      const names = policies.filter((p) => p.arch === arch).map((p) => p.name);
      throw new UsageError(`Unknown policy "${name}" for arch ${arch}. Expected one of: ${names.join(', ')}.`);
    }
    return found;
  }
  const found = policies.filter((p) => p.name === arg);
  if (found.length === 0) {
    throw new UsageError(
      `Unknown policy "${arg}". Expected one of: ${policies.map((p) => `${p.arch}/${p.name}`).join(', ')} (or a path to a policy file).`,
    );
  }
  return found;
}
