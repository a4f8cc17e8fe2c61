import type { Invariant } from '../engine/invariant.js';
import type { ArchModel } from '../engine/model.js';
import type { Policy } from '../engine/policy.js';

/** What the commands need from `models/catalog.ts` and `properties/suites.ts`, handed in by `cli.ts`. */
export interface Catalog {
  readonly architectures: readonly ArchModel[];
  readonly policies: readonly Policy[];
  readonly invariants: readonly Invariant[];
  invariantsFor(arch: string): Invariant[];
}
