/** Runs the CLI in-process for the CLI tests, capturing what it writes. */
import { main } from '../src/cli/cli.js';

/** Runs `worldswitch …argv` through `main`; returns the exit code and what went to stdout and stderr. */
export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

/** The non-empty lines of `s`. */
export const lines = (s: string): string[] => s.split('\n').filter((l) => l.length > 0);
