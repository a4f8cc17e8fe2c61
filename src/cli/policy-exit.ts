/** What a policy hook (or module) that calls `process.exit` gets: an error, which the executor reports as policy-total. */
export class PolicyExitError extends Error {
  constructor(code: unknown) {
    super(`called process.exit(${code === undefined ? '' : String(code)}): a policy cannot end the checker`);
    this.name = 'PolicyExitError';
  }
}
