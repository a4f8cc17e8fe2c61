import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isPolicy, type Policy } from './policy.js';
import { UsageError } from './usage-error.js';

/**
 * Loads the policies a user's file exports (default and named exports made by `definePolicy`).
 * TypeScript files are loaded through tsx, so `npx worldswitch check ./my-policy.ts` needs no build.
 */
export async function loadPolicyFile(file: string): Promise<Policy[]> {
  const path = resolve(file);
  if (!existsSync(path)) throw new UsageError(`Policy file ${file} does not exist.`);
  let module: Record<string, unknown>;
  try {
    if (/\.m?ts$/.test(path)) {
      const { tsImport } = await import('tsx/esm/api');
      module = (await tsImport(pathToFileURL(path).href, import.meta.url)) as Record<string, unknown>;
    } else {
      module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    }
  } catch (e) {
    const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new UsageError(`Cannot load policy file ${file}: ${message}`);
  }
  const found = new Set<Policy>();
  for (const value of Object.values(module)) {
    if (isPolicy(value)) found.add(value);
    // tsx may wrap a CommonJS-style default export once more.
    else if (typeof value === 'object' && value !== null && isPolicy((value as { default?: unknown }).default)) {
      found.add((value as { default: Policy }).default);
    }
  }
  if (found.size === 0)
    throw new UsageError(`Policy file ${file} exports no policy: export default definePolicy({ name, arch, summary, hooks }).`);
  return [...found];
}
