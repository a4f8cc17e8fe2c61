/**
 * Output names are checked before the run: an empty `--junit` or `--out-dir` is exit 2 as an empty
 * `--out` is, and no two of `--out`, `--html`, `--junit` may name one file (one would overwrite the other).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './cli-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'ws-names-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const f = join(dir, 'f');
const same = join(dir, '.', 'f');
const bug = ['arm64-dirty-2015-v2', '--runs', '50'];

describe('output names', () => {
  it.each([
    [['check', ...bug, '--junit', ''], '--junit takes a file name, got "".'],
    [['explore', 'arm64-nvhe/eager', '--depth', '2', '--junit', ''], '--junit takes a file name, got "".'],
    [['check', ...bug, '--out-dir', ''], '--out-dir takes a directory name, got "".'],
    [['check', ...bug, '--out', f, '--junit', same], `--out and --junit name the same file ${f}.`],
    [['check', ...bug, '--html', f, '--junit', f], `--html and --junit name the same file ${f}.`],
    [['check', ...bug, '--out', f, '--html', same], `--out and --html name the same file ${f}.`],
    [['merge', 'no-such.json', '--junit', ''], '--junit takes a file name, got "".'],
    [['replay', 'no-such.json', '--junit', ''], '--junit takes a file name, got "".'],
  ])('%j: exit 2 before the run', async (args, message) => {
    const r = await cli(...args, '--quiet');
    expect(r.code).toBe(2);
    expect(r.err).toBe(`worldswitch: ${message}\n`);
    expect(r.out).toBe('');
  });
});
