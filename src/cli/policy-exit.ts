/** What a policy hook (or module) that calls `process.exit` gets (see `engine/process-ends.ts`). */
export { PolicyExitError } from '../engine/process-ends.js';
