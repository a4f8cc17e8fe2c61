/**
 * Hostile files where the CLI expects input files: a symbolic link to nothing or a link cycle in a
 * directory argument, a FIFO or a device in place of a policy file, a trace, a report or an
 * `--assume-fixed` trace, and JSON nested 100,000 levels deep. Each is one line on stderr naming
 * the file and exit 2 (a link cycle: every file once), never a crash (exit 3) or a hang. Whatever
 * could block runs in a child process (`bin/worldswitch.js`, the compiled dist/) under a timeout,
 * so a regression fails the test instead of hanging the test run.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, lines } from './cli-harness.js';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin/worldswitch.js');
const dir = mkdtempSync(join(tmpdir(), 'worldswitch-files-'));
const trace = join(dir, 't.json');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  if (!existsSync(join(root, 'dist/src/cli/cli.js'))) throw new Error('dist/ is not built: run `npx tsc -p .` (npm test does)');
  expect((await cli('check', 'arm64-nvhe/arm64-dirty-2015-v2', '--seed', '1', '--out', trace)).code).toBe(1);
});

/** The binary on `args`, killed after 30 s: a blocked read shows as exit code null. */
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

/** An exit-2 refusal: exactly one line on stderr, matching `says`, and nothing on stdout. */
function refused(r: { code: number | null; out: string; err: string }, says: RegExp): void {
  expect(r.code, r.err).toBe(2);
  expect(lines(r.err)).toEqual([expect.stringMatching(says)]);
  expect(r.out).toBe('');
}

describe('a directory argument holding a symbolic link to nothing', () => {
  it('replay DIR names the link, exit 2', async () => {
    const corpus = join(dir, 'dangling-traces');
    mkdirSync(corpus);
    copyFileSync(trace, join(corpus, 'good.json'));
    symlinkSync('/nonexistent/worldswitch-trace.json', join(corpus, 'bad.json'));
    refused(
      await cli('replay', corpus),
      /^worldswitch: Trace file .*bad\.json is a symbolic link to \/nonexistent\/.*, which does not exist\.$/,
    );
  });
  it('check DIR/ names the link, exit 2', async () => {
    const policies = join(dir, 'dangling-policies');
    mkdirSync(policies);
    symlinkSync('/nonexistent/policy.ts', join(policies, 'bad.ts'));
    refused(
      await cli('check', `${policies}/`),
      /^worldswitch: Policy file .*bad\.ts is a symbolic link to \/nonexistent\/policy\.ts, which does not exist\.$/,
    );
  });
});

describe('a directory argument with a symbolic link cycle', () => {
  it('replays each trace once and ends', () => {
    const corpus = join(dir, 'loop');
    mkdirSync(join(corpus, 'sub'), { recursive: true });
    copyFileSync(trace, join(corpus, 't.json'));
    // Two links back to the top: followed naively, the walk doubles at every level.
    symlinkSync(corpus, join(corpus, 'sub', 'a'));
    symlinkSync(corpus, join(corpus, 'sub', 'b'));
    const r = run('replay', corpus, '--json');
    expect(r.code, r.err).toBe(1);
    const json = JSON.parse(r.out) as { summary: { traces: number }; results: unknown[] };
    expect(json.summary.traces).toBe(1);
    expect(json.results).toHaveLength(1);
  }, 60_000);
});

describe('a FIFO or a device where a file is read: refused before opening it', () => {
  const fifo = (name: string): string => {
    const path = join(dir, name);
    expect(spawnSync('mkfifo', [path]).status).toBe(0);
    return path;
  };
  let traceFifo = '';
  let policyFifo = '';
  beforeAll(() => {
    traceFifo = fifo('fifo.json');
    policyFifo = fifo('fifo.ts');
  });
  it.each([
    [
      '--assume-fixed',
      () => ['check', 'arm64-nvhe/eager', '--assume-fixed', traceFifo],
      /--assume-fixed trace .*fifo\.json is not a regular file/,
    ],
    ['a merge input', () => ['merge', traceFifo], /Report .*fifo\.json is not a regular file/],
    ['a policy file (check)', () => ['check', policyFifo, '--hook-timeout', '5'], /Policy file .*fifo\.ts is not a regular file/],
    ['a policy file (cost)', () => ['cost', policyFifo], /Policy file .*fifo\.ts is not a regular file/],
    ['replay --policy', () => ['replay', trace, '--policy', policyFifo], /Policy file .*fifo\.ts is not a regular file/],
    ['a device as a policy file', () => ['check', '/dev/zero'], /Policy file \/dev\/zero is not a regular file/],
  ])(
    '%s',
    (_what, argv, says) => {
      refused(run(...argv()), says);
    },
    60_000,
  );
  it('a FIFO inside a directory argument is named, not skipped and not read', () => {
    const corpus = join(dir, 'fifo-corpus');
    mkdirSync(corpus);
    copyFileSync(trace, join(corpus, 'good.json'));
    expect(spawnSync('mkfifo', [join(corpus, 'pipe.json')]).status).toBe(0);
    refused(run('replay', corpus), /Trace file .*pipe\.json is not a regular file/);
  }, 60_000);
});

describe('JSON nested 100,000 levels deep', () => {
  const deep = join(dir, 'deep.json');
  const deepReport = join(dir, 'deep-report.json');
  beforeAll(() => {
    const nested = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    writeFileSync(deep, nested);
    writeFileSync(deepReport, `{"reportVersion":1,"command":"check","results":[${nested}]}`);
  });
  it.each([
    ['replay', () => ['replay', deep], /deep\.json is not a valid trace: its JSON nests deeper than 64 levels/],
    [
      '--assume-fixed',
      () => ['check', 'arm64-nvhe/eager', '--assume-fixed', deep],
      /deep\.json is not a valid trace: its JSON nests deeper than 64 levels/,
    ],
    ['merge', () => ['merge', deepReport], /Report .*deep-report\.json is not a valid report: its JSON nests deeper than 64 levels/],
  ])('%s: not a valid trace or report, exit 2', async (_what, argv, says) => {
    refused(await cli(...argv()), says);
  });
});
