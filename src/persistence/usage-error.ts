/** Bad input from the user (unknown policy, bad flag value, unreadable file): one line, exit code 2. */
export class UsageError extends Error {
  readonly code = 'ERR_USAGE';
}
