/**
 * Hostile files where the CLI expects input files: a symbolic link to nothing or a link cycle in a
 * directory argument, a FIFO or a device in place of a policy file, a trace, a report or an
 * `--assume-fixed` trace, and JSON nested 100,000 levels deep. Each is one line on stderr naming
 * the file and exit 2 (a link cycle: every file once), never a crash (exit 3) or a hang. Where it
 * writes, a FIFO that no process reads is refused before the run; one with a reader, `/dev/stdout`
 * and a process substitution get the report. Whatever
 * could block runs in a child process (`bin/worldswitch.js`, the compiled dist/) under a timeout,
 * so a regression fails the test instead of hanging the test run.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveFile } from '../src/cli/save-file.js';
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

describe('a FIFO where a report is written (--out, --html, --junit)', () => {
  const fifo = (name: string): string => {
    const path = join(dir, name);
    expect(spawnSync('mkfifo', [path]).status).toBe(0);
    return path;
  };
  /** `cat` reading `path` until its writers close it (killed after 20 s); resolves with what it read and whether it was killed. */
  const reader = (path: string): Promise<{ got: string; killed: boolean }> =>
    new Promise((done) => {
      const cat = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'inherit'] });
      const timer = setTimeout(() => cat.kill('SIGKILL'), 20_000);
      let got = '';
      cat.stdout.on('data', (b: Buffer) => {
        got += b.toString();
      });
      cat.on('close', (_code, signal) => {
        clearTimeout(timer);
        done({ got, killed: signal !== null });
      });
    });
  const violated = ['check', 'arm64-nvhe/arm64-dirty-2015-v2', '--seed', '1', '--quiet'];

  it.each(['--out', '--html', '--junit'])(
    '%s to a FIFO that no process reads: one line, exit 2, before the run',
    (flag) => {
      const path = fifo(`unread${flag}`);
      const started = Date.now();
      refused(
        run(...violated, flag, path),
        /^worldswitch: .*unread--\w+ is a FIFO \(named pipe\) that no process reads: writing to it would wait forever/,
      );
      expect(Date.now() - started).toBeLessThan(10_000);
    },
    60_000,
  );

  it.each([
    ['--out', /^\{\n {2}"format": "worldswitch-trace"/],
    ['--html', /^<!DOCTYPE html>/],
    ['--junit', /^<\?xml version="1\.0" encoding="UTF-8"\?>[\s\S]*<\/testsuites>\n$/],
  ])(
    '%s to a FIFO with a reader: the report arrives whole',
    async (flag, starts) => {
      const path = fifo(`read${flag}`);
      const got = reader(path);
      const r = run(...violated, flag, path);
      expect(r.code, r.err).toBe(1);
      expect(await got).toEqual({ got: expect.stringMatching(starts), killed: false });
    },
    60_000,
  );

  it('a report larger than a pipe holds arrives whole: the write waits for its reader', async () => {
    const path = fifo('big.json');
    const copy = join(dir, 'big-copy.json');
    // The reader writes to a file: this thread, blocked in saveFile, could not drain a pipe from it.
    const cat = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', path, copy], { stdio: 'ignore' });
    const closed = new Promise((done) => cat.on('close', done));
    const text = `${'x'.repeat(1 << 20)}\n`;
    for (const started = Date.now(); ; await new Promise((r) => setTimeout(r, 50))) {
      try {
        saveFile(path, text); // the reader may not have opened it yet: that is the one-line refusal
        break;
      } catch (e) {
        if (!/no process reads/.test((e as Error).message) || Date.now() - started > 10_000) throw e;
      }
    }
    await closed;
    expect(readFileSync(copy, 'utf8')).toBe(text);
  }, 60_000);

  it('a FIFO held open for a report that is never written (--html, nothing violated): its reader sees the end', async () => {
    const path = fifo('never.html');
    // The reader is open before the run (a non-blocking open of a FIFO for reading never waits; a
    // spawned reader could still be starting when the run checks its destinations).
    const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      // In this process, as the API and the tests run it: the process does not exit and close it.
      const r = await cli('check', 'arm64-nvhe/eager', '--runs', '20', '--html', path);
      expect(r.code, r.err).toBe(0);
      // End of file (0 bytes), not EAGAIN: no writer holds the FIFO open any more.
      expect(readSync(fd, Buffer.alloc(16))).toBe(0);
    } finally {
      closeSync(fd);
    }
  }, 60_000);

  it('--junit /dev/stdout on a pipe and --junit >(cat) get the JUnit', () => {
    // Through a shell: a child's stdout from spawnSync is a socket, which /dev/stdout cannot be opened on.
    const check = `${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} check arm64-nvhe/eager --runs 20 --quiet --junit`;
    const copy = join(dir, 'substituted.xml');
    const shell = (script: string) =>
      spawnSync('bash', ['-c', script], { cwd: root, encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' });
    const piped = shell(`${check} /dev/stdout | cat`);
    expect(piped.status, piped.stderr).toBe(0);
    expect(piped.stdout).toMatch(/<testsuites name="worldswitch" tests="1" failures="0"[\s\S]*<\/testsuites>/);
    const sub = shell(`${check} >(cat > ${JSON.stringify(copy)}); wait`);
    expect(sub.status, sub.stderr).toBe(0);
    expect(readFileSync(copy, 'utf8')).toMatch(/<testsuites name="worldswitch" tests="1" failures="0"[\s\S]*<\/testsuites>/);
  }, 60_000);
});
