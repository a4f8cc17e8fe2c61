import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../persistence/usage-error.js';

/** Whether `path` names a directory (false for anything that does not exist). */
export const isDirectory = (path: string): boolean => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

/**
 * The files under `dir` (recursively, `node_modules` and dot-directories skipped) whose names
 * match `pattern`, sorted so that every machine sees the same order; a usage error when none do.
 */
export function filesIn(dir: string, pattern: RegExp, what: string): string[] {
  const found = (readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[])
    .filter((rel) => !rel.split(/[\\/]/).some((part) => part === 'node_modules' || part.startsWith('.')))
    .filter((rel) => pattern.test(rel))
    .map((rel) => join(dir, rel))
    .filter((path) => statSync(path).isFile())
    .sort();
  if (found.length === 0) throw new UsageError(`Directory ${dir} holds no ${what}.`);
  return found;
}
