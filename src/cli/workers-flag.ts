import { availableParallelism } from 'node:os';
import { InvalidArgumentError } from 'commander';

/** The most worker threads `--workers` accepts. */
export const MAX_WORKERS = 1024;

/** The default of `--workers`: every core this process may use. */
export const defaultWorkers = (): number => availableParallelism();

/** Parses `--workers N`: a whole number from 1 to MAX_WORKERS (a commander argument parser; a bad value is one line, exit 2). */
export function parseWorkers(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1 && n <= MAX_WORKERS)) {
    throw new InvalidArgumentError(`--workers takes a whole number from 1 to ${MAX_WORKERS} (worker threads), got "${value}".`);
  }
  return n;
}
