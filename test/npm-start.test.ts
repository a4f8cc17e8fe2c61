/**
 * `npm start`, as the README runs it: `check` on every built-in policy, exit 0 when findings were
 * printed (the seeded policies are meant to be buggy), the real exit code for anything else, and
 * flags after `--` passed to `check` (`npm start -- --verbose`). Runs npm in this checkout; needs the build.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
// A child npm must not think it runs inside vitest.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'NODE_OPTIONS'));
const start = (...args: string[]) => {
  const r = spawnSync('npm', ['start', '--silent', '--', ...args], { cwd: root, env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('npm start', () => {
  it('passes --verbose to check: the full report, exit 0 for a finding', () => {
    const r = start('arm64-dirty-2015-v2', '--runs', '50', '--verbose');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^arm64-nvhe\/arm64-dirty-2015-v2: violated host-breakpoints-quiet-in-guest\nProperty failed/);
  }, 120_000);
  it('keeps exit 2 for a usage error, on one line', () => {
    const r = start('--runs', '0');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^worldswitch: option '--runs <n>' argument '0' is invalid/);
  }, 120_000);
  it('passes an argument with a space as one argument', () => {
    const r = start('arm64-nvhe/two words', '--runs', '5');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Unknown policy "two words"/);
  }, 120_000);
});
