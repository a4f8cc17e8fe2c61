/**
 * `--out-dir` is checked before the run, as `--out` and `--html` are: a path under a file, a file,
 * or a directory that cannot be made is exit 2 at once, whatever the verdict would have been; the
 * directory is made one component at a time (Node 20's recursive mkdirSync never returns under /proc).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './cli-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'ws-out-dir-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'afile');
writeFileSync(file, '');

describe('--out-dir before the run', () => {
  it.each([
    ['a path under a file, a violated run', ['check', 'arm64-dirty-2015-v2', '--runs', '50'], join(file, 'sub'), /is not a directory/],
    ['a path under a file, a held run', ['check', 'arm64-nvhe/eager', '--runs', '5'], join(file, 'sub'), /is not a directory/],
    ['a file', ['explore', 'arm64-dirty-2015-v2', '--depth', '2'], file, /--out-dir .* is not a directory/],
    ['empty', ['check', 'arm64-nvhe/eager', '--runs', '5'], '', /--out-dir takes a directory name/],
  ])('%s: exit 2, one line, nothing run', async (_, args, outDir, message) => {
    const r = await cli(...args, '--out-dir', outDir, '--quiet');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.out).toBe('');
  });
  it('a held run does not leave the directory it checked', async () => {
    const out = join(dir, 'new/deeper');
    const r = await cli('check', 'arm64-nvhe/eager', '--runs', '5', '--out-dir', out, '--quiet');
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, 'new'))).toBe(false);
  });
  it('a violated run makes the missing directories and saves there', async () => {
    const out = join(dir, 'made/a/b');
    const r = await cli('check', 'arm64-dirty-2015-v2', '--runs', '50', '--out-dir', out, '--quiet');
    expect(r.code).toBe(1);
    expect(readdirSync(out)).toHaveLength(1);
  });
  it.runIf(existsSync('/proc/self'))(
    'under /proc: exit 2 at once, no hang',
    () => {
      const bin = resolve(import.meta.dirname, '../bin/worldswitch.js');
      const r = spawnSync(process.execPath, [bin, 'check', 'arm64-nvhe/eager', '--runs', '5', '--out-dir', '/proc/worldswitch-od'], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^worldswitch: Cannot create --out-dir \/proc\/worldswitch-od: /);
    },
    30_000,
  );
});
