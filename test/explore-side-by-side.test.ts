/**
 * `explore` with several policies (issue 19, goal 3: multi-policy runs on every core): with
 * `--workers N` they are explored N at a time, each in a thread of its own, and reported in
 * selection order, so the output is the one of `--workers 1`, byte for byte (timings aside).
 * `test/fixtures/side-by-side.ts` witnesses that two searches did run at once: each of its two
 * policies waits at its first vcpuLoad for the other's mark. These spawn the compiled binary
 * (`npm test` builds dist/ first).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/** `worldswitch explore …argv`, with the JSON's timings zeroed and the timings of stderr's lines cut. */
function explore(argv: readonly string[], env: Record<string, string> = {}): { code: number | null; out: string; err: string } {
  if (!existsSync(`${root}dist/src/cli/cli.js`)) throw new Error('dist/ is not built: run `npx tsc -p .` (npm test does)');
  const r = spawnSync(process.execPath, [`${root}bin/worldswitch.js`, 'explore', ...argv], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...env },
  });
  return {
    code: r.status,
    out: r.stdout.replace(/"(ms|statesPerSecond)": [\d.e+-]+/g, '"$1": 0'),
    err: r.stderr.replace(/ in [\d.]+ s \([\d,]+ states\/s\)/g, ''),
  };
}

/** Which of the fixture's two policies saw the other's mark while it waited (explored with `flags`). */
function meetings(flags: readonly string[]): { code: number | null; saw: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'ws-side-'));
  try {
    const r = explore(['test/fixtures/side-by-side.ts', '--depth', '2', '--quiet', ...flags], { WS_RENDEZVOUS_DIR: dir });
    return { code: r.code, saw: ['side-a', 'side-b'].filter((p) => existsSync(join(dir, `${p}-saw`))) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('explore with several policies', () => {
  it('explores them side by side with --workers 2: each policy sees the other start', () => {
    expect(meetings(['--workers', '2'])).toEqual({ code: 0, saw: ['side-a', 'side-b'] });
  }, 60_000);

  it('explores them one at a time with --workers 1, and with --max-memory (a budget for the whole process)', () => {
    // One at a time, the first policy waits its 5 s in vain; the second finds the first's mark.
    expect(meetings(['--workers', '1'])).toEqual({ code: 0, saw: ['side-b'] });
    expect(meetings(['--workers', '2', '--max-memory', '4096'])).toEqual({ code: 0, saw: ['side-b'] });
  }, 60_000);

  it.each([
    ['text, violated and held', ['x86-vmx/x86-lazy-2014', 'arm64-nvhe/eager', 'armv7/armv7-none', 'ppc-booke/eager', '--depth', '5']],
    ['JSON, every built-in eager and a violated policy', ['eager', 'arm64-nvhe/arm64-dirty-2015-v2', '--depth', '4', '--json']],
    [
      '--continue and --no-symmetry',
      ['test/fixtures/two-bugs.ts', 'armv7/armv7-dirty-2015', '--depth', '5', '--continue', '--no-symmetry'],
    ],
  ] as const)(
    'reports %s in selection order, as --workers 1 does',
    (_what, argv) => {
      const one = explore([...argv, '--workers', '1']);
      const many = explore([...argv, '--workers', '3']);
      expect(one.code).toBe(1);
      expect(many.code).toBe(one.code);
      expect(many.out).toBe(one.out);
      expect(many.err).toBe(one.err);
    },
    120_000,
  );
});
