/** Hostile-policy fixture: a module whose top-level code never finishes. */
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

let spins = 0;
while (spins >= 0) spins = (spins + 1) % 1000;

export default definePolicy({ name: 'toplevel-loop', arch: 'arm64-nvhe', summary: 'hostile fixture: never loads', hooks: eager.hooks });
