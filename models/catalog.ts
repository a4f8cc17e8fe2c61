/** The registry of architectures and the policies that ship for each (DESIGN §8). Data, not re-exports. */
import type { ArchModel } from '../src/model.js';
import type { Policy } from '../src/policy.js';
import { arm64Nvhe } from './arm64-nvhe/model.js';
import arm64Dirty2015 from './arm64-nvhe/policies/arm64-dirty-2015.js';
import arm64Dirty2015V2 from './arm64-nvhe/policies/arm64-dirty-2015-v2.js';
import arm64NvheEager from './arm64-nvhe/policies/eager.js';

/** Every built-in architecture, by id. */
export const architectures: readonly ArchModel[] = [arm64Nvhe];

/** Every built-in policy; each names its architecture. */
export const policies: readonly Policy[] = [arm64NvheEager, arm64Dirty2015V2, arm64Dirty2015] as readonly Policy[];
