/**
 * `check --workers N` (issue 19): the worker count changes how fast, never what. The same seed
 * gives the same exit code and byte-identical text, JSON and JUnit (timings aside) with one worker
 * and with several, whether a policy's runs are split or policies run side by side. These spawn
 * `bin/worldswitch.js` (the compiled dist/, which `npm test` builds first): the binary is what
 * runs checks in worker threads.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { addCoverage, limiter, mergeSlices, splitRuns } from '../src/cli/check-workers.js';
import type { CheckResult } from '../src/searches/check.js';
import { WorkerPool } from '../src/searches/worker-pool.js';
import { cli, lines } from './cli-harness.js';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin/worldswitch.js');
beforeAll(() => {
  if (!existsSync(join(root, 'dist/src/cli/cli.js'))) throw new Error('dist/ is not built: run `npx tsc -p .` (npm test does)');
});

/** `worldswitch check …argv --workers n`, with the timings of its JSON report (`ms`) zeroed in `out`. */
function check(argv: readonly string[], workers: number): { code: number | null; out: string; err: string; raw: string } {
  const r = spawnSync(process.execPath, [bin, 'check', ...argv, '--workers', String(workers)], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  const untimed = (s: string) => s.replace(/"ms": [\d.]+/g, '"ms": 0');
  return { code: r.status, out: untimed(r.stdout), err: r.stderr, raw: r.stdout };
}

describe('check gives the same verdict, counterexample and output bytes whatever --workers', () => {
  it.each([
    ['a held built-in policy, with coverage', ['arm64-nvhe/eager', '--runs', '200', '--coverage'], 0, 3],
    // x86-lazy-2014 first fails at run 349 (seed 1): with 4 slices of 100 runs, only in the last one.
    ['a violated built-in policy whose failing run is in the last slice', ['x86-vmx/x86-lazy-2014', '--runs', '400'], 1, 4],
    // With 2 slices both fail; the second, failing sooner after its start, finishes first and must not win.
    ['a violated built-in policy failing in two slices', ['x86-vmx/x86-lazy-2014', '--runs', '1000', '--json'], 1, 2],
    ['a user policy file', ['test/fixtures/two-bugs.ts', '--runs', '200', '--json'], 1, 3],
    [
      'a policy file whose hook never returns (a hang finding)',
      ['test/quality/hostile-policies/spin.ts', '--runs', '50', '--hook-timeout', '1'],
      1,
      3,
    ],
    ['--continue (one shrunk counterexample per invariant)', ['test/fixtures/two-bugs.ts', '--runs', '200', '--continue'], 1, 3],
    ['a --max-states budget (held so far)', ['arm64-nvhe/eager', '--runs', '2000', '--max-states', '5000', '--json'], 4, 3],
    [
      'several policies side by side, violated and held',
      ['x86-vmx/x86-lazy-2014', 'arm64-nvhe/eager', 'armv7/armv7-none', '--runs', '300'],
      1,
      3,
    ],
    // One policy in 3 shards: shard 3 is runs 266-399, split again across the workers.
    ['a shard of a policy, split again', ['x86-vmx/x86-lazy-2014', '--runs', '400', '--shard', '3/3', '--json'], 1, 3],
  ] as const)(
    '%s',
    (_what, argv, code, workers) => {
      const one = check(argv, 1);
      const many = check(argv, workers);
      expect(one.code).toBe(code);
      expect(many.code).toBe(one.code);
      expect(many.err).toBe(one.err);
      expect(many.out).toBe(one.out);
    },
    120_000,
  );

  it('writes the same JUnit file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'worldswitch-workers-'));
    try {
      const junit = (workers: number) => {
        const file = join(dir, `junit-${workers}.xml`);
        check(['x86-vmx/x86-lazy-2014', 'arm64-nvhe/eager', '--runs', '400', '--junit', file, '--quiet'], workers);
        return readFileSync(file, 'utf8').replace(/ time="[\d.]+"/g, '');
      };
      const one = junit(1);
      expect(one).toContain('<failure');
      expect(junit(3)).toBe(one);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('stops every worker at --time-limit, held so far with the runs of all slices added up', () => {
    const r = check(['arm64-nvhe/eager', '--runs', '10000000', '--time-limit', '1', '--json'], 2);
    expect(r.code).toBe(4);
    const report = JSON.parse(r.raw) as CheckResult;
    expect(report).toMatchObject({ verdict: 'held-so-far', stoppedBy: 'time-limit' });
    expect(report.runs).toBeGreaterThan(0);
    expect(report.stats.events).toBeGreaterThan(0);
  }, 60_000);
});

describe('the worker pool', () => {
  it('gives a released worker to the next job instead of starting another', async () => {
    const pool = new WorkerPool(pathToFileURL(join(root, 'dist/src/cli/cli.js')).href, 256);
    try {
      const first = pool.acquire();
      pool.release(first);
      expect(pool.acquire()).toBe(first);
      expect(pool.acquire()).not.toBe(first);
    } finally {
      await pool.close();
    }
  });
});

describe('--workers takes a whole number from 1 to 1024', () => {
  it.each([['0'], ['abc'], ['-2'], ['1.5'], ['1025']])('rejects --workers %s with one line and exit 2', async (value) => {
    const r = await cli('check', 'arm64-nvhe/eager', '--workers', value);
    expect(r.code).toBe(2);
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toContain('--workers');
    expect(r.out).toBe('');
  });
});

describe('slices of runs', () => {
  it('cuts a range into contiguous, non-empty slices that cover it exactly', () => {
    expect(splitRuns(0, 10, 3)).toEqual([
      { from: 0, to: 3 },
      { from: 3, to: 6 },
      { from: 6, to: 10 },
    ]);
    expect(splitRuns(5, 7, 4)).toEqual([
      { from: 5, to: 6 },
      { from: 6, to: 7 },
    ]);
    expect(splitRuns(0, 1000, 1)).toEqual([{ from: 0, to: 1000 }]);
  });

  const result = (verdict: CheckResult['verdict'], runs: number, events: number, stoppedBy?: string): CheckResult => ({
    verdict,
    policy: 'p',
    arch: 'a',
    config: {},
    invariants: [],
    runs,
    seed: 1,
    maxSteps: 40,
    shrinks: 0,
    trace: [],
    warnings: [],
    stats: { events, warnings: 0 },
    ...(stoppedBy ? { stoppedBy } : {}),
  });
  const slices = splitRuns(0, 30, 3);

  it('takes the first slice in run order that did not hold, with the runs and events of the slices before it', () => {
    const merged = mergeSlices([result('held', 10, 100), result('violated', 4, 50), result('violated', 1, 7)], slices, 'init');
    expect(merged).toMatchObject({ verdict: 'violated', runs: 14, stats: { events: 150 } });
  });

  it('holds when every slice held, counting every run', () => {
    const merged = mergeSlices([result('held', 10, 1), result('held', 10, 2), result('held', 10, 3)], slices, 'init');
    expect(merged).toMatchObject({ verdict: 'held', runs: 30, stats: { events: 6 } });
  });

  it('is held so far when slices were stopped, with every slice counted', () => {
    const merged = mergeSlices(
      [result('held-so-far', 4, 40, 'time-limit'), result('held-so-far', 3, 30, 'time-limit'), result('held', 10, 100)],
      slices,
      'init',
    );
    expect(merged).toMatchObject({ verdict: 'held-so-far', stoppedBy: 'time-limit', runs: 17, stats: { events: 170 } });
  });

  it('counts every run of a crash, as fast-check passes the runs after it', () => {
    expect(mergeSlices([result('held', 10, 1), result('crashed', 10, 2), undefined], slices, 'init')).toMatchObject({
      verdict: 'crashed',
      runs: 30,
    });
  });

  it('adds coverage counts, entering the initial state once', () => {
    const c = (n: number) => ({
      machine: 'm',
      states: [
        { state: 'init', entered: 1 + n },
        { state: 'run', entered: n },
      ],
      transitions: [{ from: 'init', event: 'go', to: 'run', taken: n }],
      events: [{ event: 'go', applied: n }],
    });
    expect(addCoverage(c(2), c(3), 'init')).toEqual(c(5));
  });

  it('runs at most the limit at once, in the order queued, urgent tasks first', async () => {
    const limit = limiter(1);
    const order: number[] = [];
    const task = (i: number) => async () => {
      order.push(i);
      await new Promise((r) => setTimeout(r, 2));
    };
    await Promise.all([limit(task(0)), limit(task(1)), limit(task(2)), limit(task(3), true)]);
    expect(order).toEqual([0, 3, 1, 2]);
  });
});
