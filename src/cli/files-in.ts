import { type Dirent, readdirSync, realpathSync, statSync } from 'node:fs';
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

/** Whether a directory entry is a directory or a symbolic link to one (a link to nothing is not). */
const leadsToDirectory = (entry: Dirent, path: string): boolean => entry.isDirectory() || (entry.isSymbolicLink() && isDirectory(path));

/**
 * The files under `dir` (recursively, `node_modules` and dot-entries skipped) whose names match
 * `pattern`, sorted so that every machine sees the same order; a usage error when none do.
 * Symbolic links to directories are followed, but no directory is entered twice (a link back up
 * the tree would make the walk endless), and a file reached by two paths is listed once. An entry
 * that matches but is no regular file (a link to nothing, a FIFO) is listed all the same: the
 * command reading it refuses it with one line naming it, rather than silently leaving it out.
 */
export function filesIn(dir: string, pattern: RegExp, what: string): string[] {
  const found: string[] = [];
  const entered = new Set<string>();
  const walk = (abs: string, rel: string): void => {
    let real: string;
    let entries: Dirent[];
    try {
      real = realpathSync(abs);
      if (entered.has(real)) return;
      entered.add(real);
      entries = readdirSync(abs, { withFileTypes: true });
    } catch (e) {
      throw new UsageError(`Cannot read directory ${abs}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const path = join(abs, entry.name);
      const relPath = rel === '' ? entry.name : join(rel, entry.name);
      if (leadsToDirectory(entry, path)) walk(path, relPath);
      else if (pattern.test(relPath)) found.push(path);
    }
  };
  walk(dir, '');
  const seen = new Set<string>();
  const once = found.sort().filter((path) => {
    let real = path;
    try {
      real = realpathSync(path);
    } catch {} // a link to nothing: kept, for the reader to refuse
    if (seen.has(real)) return false;
    seen.add(real);
    return true;
  });
  if (once.length === 0) throw new UsageError(`Directory ${dir} holds no ${what}.`);
  return once;
}
