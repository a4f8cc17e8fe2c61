import { defineInvariant } from '../src/engine/invariant.js';

/**
 * A hook that throws, loops, reaches BUG() or executes an UNDEFINED register access. The executor
 * raises it (it cannot be observed from state); it is always on, since nothing after it is defined.
 */
export default defineInvariant({
  name: 'policy-total',
  claim: 'a policy hook never throws, never loops, never hits a BUG() or an UNDEFINED register access',
});
