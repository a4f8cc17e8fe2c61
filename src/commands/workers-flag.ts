import { InvalidArgumentError } from 'commander';

/** Parses `--workers N`: a positive integer, else a one-line usage error (exit 2). */
export function parseWorkers(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError(`--workers takes a positive integer (threads to use), got "${value}".`);
  }
  return n;
}
