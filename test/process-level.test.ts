/**
 * The `worldswitch` binary as a process (issue 14): signals on every command whether or not
 * stderr is a terminal, write errors on stdout, process.exit() inside a policy, and a trace
 * replayed from another directory. These spawn `bin/worldswitch.js`, which runs the compiled
 * dist/ (`npm test` builds it first).
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interrupt } from './interrupt.js';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin/worldswitch.js');
const H = join(root, 'test/quality/hostile-policies');
const dir = mkdtempSync(join(tmpdir(), 'worldswitch-proc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => {
  if (!existsSync(join(root, 'dist/src/cli/cli.js'))) throw new Error('dist/ is not built: run `npx tsc -p .` (npm test does)');
});

const run = (args: string[], options: { cwd?: string } = {}) => {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: options.cwd ?? root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

/** Starts the binary (stderr a pipe, so not a terminal) and sends `signal` once it has used `cpuMs` of CPU. */
const interruptOnce = (args: string[], signal: NodeJS.Signals, cpuMs: number) => interrupt(args, [[signal, cpuMs]]);

describe('12. signals, on every command, not on a terminal', () => {
  it('SIGINT stops explore: the depth completed is printed, verdict held-so-far, exit 130', async () => {
    const r = await interruptOnce(['explore', 'arm64-vhe/arm64-owner-2025', '--depth', '12', '--quiet'], 'SIGINT', 4000);
    expect(r.code).toBe(130);
    expect(r.out).toMatch(
      /^arm64-vhe\/arm64-owner-2025: held so far \(stopped by SIGINT\): held for every interleaving of at most \d+ events/m,
    );
    expect(r.err).toMatch(/stopped by SIGINT/);
  }, 60_000);
  it('SIGTERM stops check at once (the first signal): runs done and held so far, exit 143', async () => {
    const r = await interruptOnce(['check', 'arm64-nvhe/eager', '--runs', '10000000', '--json'], 'SIGTERM', 4000);
    expect(r.code).toBe(143);
    const json = JSON.parse(r.out) as { verdict: string; stoppedBy: string; runs: number };
    expect(json).toMatchObject({ verdict: 'held-so-far', stoppedBy: 'SIGTERM' });
    expect(json.runs).toBeGreaterThan(0);
  }, 60_000);
  it('SIGINT during a multi-policy explore stops the whole run, not just the current policy', async () => {
    const r = await interruptOnce(['explore', 'eager', '--depth', '9', '--quiet', '--json'], 'SIGINT', 4000);
    expect(r.code).toBe(130);
    type Report = { verdict: string; stats: { peakBytes: number } };
    const json = JSON.parse(r.out) as Report & { results?: Report[] };
    const reported = json.results?.length ?? 1;
    expect(reported).toBeLessThan(6);
    // The stopped search's peak is of the levels it completed (it read 0 when the run was abandoned).
    const stopped = json.results?.at(-1) ?? json;
    expect(stopped.verdict).toBe('held-so-far');
    expect(stopped.stats.peakBytes).toBeGreaterThan(0);
    expect(r.err).toMatch(new RegExp(`stopped by SIGINT; ${reported} of 6 policies reported`));
  }, 60_000);
  it('SIGINT during a multi-policy explore in text prints the report of the policy it stopped', async () => {
    // Depth 12: the first policy is still being searched when the signal comes, on any machine.
    const r = await interruptOnce(['explore', 'eager', '--depth', '12', '--quiet'], 'SIGINT', 4000);
    expect(r.code).toBe(130);
    expect(r.out).toMatch(/^arm64-nvhe\/eager: held so far \(stopped by SIGINT\)/m);
    expect(r.err).toMatch(/stopped by SIGINT; 1 of 6 policies reported/);
  }, 60_000);
  it('SIGINT stops a spinning file hook under explore without waiting for the hook timeout', async () => {
    const r = await interruptOnce(['explore', join(H, 'spin.ts'), '--depth', '3', '--hook-timeout', '600'], 'SIGINT', 6000);
    expect(r.code).toBe(130);
    expect(r.afterSignalMs).toBeLessThan(24_000);
  }, 60_000);
  it('a signal while the modules load ends the process with a message and 130/143, not by the signal', async () => {
    // The real bin beside a stand-in dist/ whose loading takes as long as a loaded machine's can.
    const fake = join(dir, 'slow-start');
    mkdirSync(join(fake, 'bin'), { recursive: true });
    mkdirSync(join(fake, 'dist/src/cli'), { recursive: true });
    copyFileSync(bin, join(fake, 'bin/worldswitch.js'));
    writeFileSync(
      join(fake, 'dist/src/cli/cli.js'),
      "process.stderr.write('loading\\n');\nawait new Promise((r) => setTimeout(r, 20000));\nexport const run = () => {};\n",
    );
    for (const [signal, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      const child = spawn(process.execPath, [join(fake, 'bin/worldswitch.js'), 'check'], { cwd: fake });
      let err = '';
      child.stderr.on('data', (d) => {
        err += d;
        if (err === 'loading\n') child.kill(signal);
      });
      const exit = await new Promise<number | null>((done) => child.on('close', done));
      expect({ exit, err }).toEqual({ exit: code, err: `loading\nworldswitch: stopped by ${signal} while starting\n` });
    }
  }, 60_000);
});

describe('13. write errors on stdout', () => {
  it.each([['check', 'arm64-nvhe/eager', '--runs', '10'], ['list']])('%s >/dev/full is exit 2 with one line, not a stack', (...args) => {
    const full = openSync('/dev/full', 'w');
    const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', full, 'pipe'] });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^worldswitch: cannot write the report to stdout: ENOSPC$/)]);
  });
});

describe('9. process.exit() in a hook, in the commands that run hooks in-process', () => {
  let trace: string;
  beforeAll(() => {
    trace = join(dir, 't.json');
    expect(run(['check', 'arm64-nvhe/arm64-dirty-2015-v2', '--seed', '1', '--out', trace]).code).toBe(1);
  });
  it('cost reports it as policy-total and exits 1, not with the policy exit code and no output', () => {
    const r = run(['cost', join(H, 'process-exit.ts'), '--rounds', '2']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/policy-total: vcpuLoad threw: PolicyExitError: called process\.exit\(7\)/);
  });
  it('replay --policy reports it as policy-total', () => {
    const r = run(['replay', trace, '--policy', join(H, 'process-exit.ts')]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/violated policy-total/);
  });
  it('check reports it at once, not after the hook timeout', () => {
    const started = Date.now();
    const r = run(['check', join(H, 'process-exit.ts'), '--runs', '20', '--hook-timeout', '600']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/process\.exit\(7\)/);
    expect(Date.now() - started).toBeLessThan(60_000);
  });
});

describe('9. process.abort(), process.reallyExit() and a kill of the checker in a hook are findings too', () => {
  let trace: string;
  beforeAll(() => {
    trace = join(dir, 'ends.json');
    expect(run(['check', 'arm64-nvhe/arm64-dirty-2015-v2', '--seed', '1', '--out', trace]).code).toBe(1);
  });
  // Each used to end the process its own way: abort with a core dump (134), reallyExit with the
  // policy's code and no report (exit 0 reads as held), the kill as a Ctrl-C (143, the other
  // policies held-so-far).
  const cases = [
    ['process-abort.ts', /PolicyExitError: called process\.abort\(\)/],
    ['process-really-exit.ts', /PolicyExitError: called process\.reallyExit\(0\)/],
    ['process-kill.ts', /PolicyExitError: called process\.kill\(\d+, "SIGTERM"\)/],
  ] as const;
  for (const [file, says] of cases) {
    it(`${file}: replay --policy, cost and check report policy-total, exit 1`, () => {
      for (const args of [
        ['replay', trace, '--policy', join(H, file)],
        ['cost', join(H, file), '--rounds', '2'],
        ['check', join(H, file), '--runs', '20'],
      ]) {
        const r = run(args);
        expect({ args, code: r.code, err: r.err }).toEqual({ args, code: 1, err: '' });
        expect(r.out).toMatch(says);
      }
    });
  }
  it('a policy file that calls process.abort() while loading is an input error, exit 2', () => {
    const file = join(dir, 'abort-at-load.mjs');
    writeFileSync(file, 'process.abort();\nexport default {};\n');
    const r = run(['check', file]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^worldswitch: .*called process\.abort\(\) while loading\n$/);
  });
});

describe('18. a saved trace replays from any directory', () => {
  it('policyFile is relative to the trace file', () => {
    const trace = join(dir, 'twin.json');
    expect(run(['check', join(H, 'twins.ts#default'), '--runs', '50', '--out', trace]).code).toBe(1);
    const r = run(['replay', 'twin.json', '--trust-policy-file'], { cwd: dir });
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
  });
});

describe('--version of the built binary', () => {
  it('prints the version in package.json, not "unknown" (dist/src/cli/ is three levels below the package)', () => {
    const r = run(['--version']);
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
  });
});

describe('a --path fast-check cannot follow, in a worker thread', () => {
  it('is exit 2 with one line, as in-process (the worker keeps the error bad input)', () => {
    const r = run(['check', 'arm64-nvhe/arm64-dirty-2015-v2', '--seed', '3', '--path', '5:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0']);
    expect(r.code).toBe(2);
    expect(r.err.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^worldswitch: --path 5:0:0(:0)* does not lead to a run of this check/),
    ]);
  });
});
