/**
 * Every model and built-in policy module loads when it is the first one a program imports: a user
 * policy file that starts with `import owner from '…/arm64-owner-2025.js'` must not die of an import
 * cycle (a constant read before its module ran). One fresh Node process per module, on the compiled dist/.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const models = join(root, 'dist/models');
const modules = readdirSync(models, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => [
    ...['model.js', 'api.js'].map((f) => join(models, d.name, f)),
    ...readdirSync(join(models, d.name, 'policies'))
      .filter((f) => f.endsWith('.js'))
      .map((f) => join(models, d.name, 'policies', f)),
  ]);

/** Imports `file` alone in a new process; resolves with what it printed on failure, '' on success. */
const importAlone = (file: string): Promise<string> =>
  new Promise((done) => {
    const child = spawn(process.execPath, [
      '-e',
      `import(${JSON.stringify(file)}).catch((e) => { console.error(e.message); process.exit(1); })`,
    ]);
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => done(code === 0 ? '' : err.trim() || `exit ${code}`));
  });

describe('load order', () => {
  it('finds the modules', () => {
    expect(modules.length).toBeGreaterThan(40);
  });
  it('loads every model and built-in policy module as the first import', async () => {
    const failures: string[] = [];
    for (let i = 0; i < modules.length; i += 8) {
      const batch = modules.slice(i, i + 8);
      const errs = await Promise.all(batch.map(importAlone));
      errs.forEach((e, j) => {
        if (e) failures.push(`${(batch[j] as string).slice(root.length + 1)}: ${e}`);
      });
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
