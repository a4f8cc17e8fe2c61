/**
 * Hostile-policy fixture: two exports with the same name, one that holds (eager's hooks) and a
 * no-op copied from it and not renamed, which is violated. Loading the file is refused; each is
 * reachable as twins.ts#holds and twins.ts#default.
 */
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

export const holds = definePolicy({ name: 'twin', arch: 'arm64-nvhe', summary: 'eager hooks', hooks: eager.hooks });
export default definePolicy({ name: 'twin', arch: 'arm64-nvhe', summary: 'no hooks', hooks: {} });
