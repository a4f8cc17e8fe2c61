/**
 * Issue 14, "no false held, no crash": what a careless or hostile policy, flag or trace gets.
 * A policy's faults are policy-total findings with their trace; bad input is one line on stderr
 * and exit 2; a replay says when it broke something else than the saved trace. (Process-level
 * behaviour of the binary, signals, /dev/full and process.exit, is in process-level.test.ts.)
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arm64Nvhe } from '../models/arm64-nvhe/model.js';
import eager from '../models/arm64-nvhe/policies/eager.js';
import { invariantsFor } from '../properties/suites.js';
import { definePolicy } from '../src/engine/policy.js';
import { expectPolicy, PolicyViolation } from '../src/expect-policy.js';
import { loadPolicyFile } from '../src/persistence/load-policy.js';
import { UsageError } from '../src/persistence/usage-error.js';
import { bfs } from '../src/searches/bfs.js';
import { check, NONDETERMINISTIC } from '../src/searches/check.js';
import { explore, fullAlphabet, makeExploreExecutor } from '../src/searches/explore.js';
import { cli, lines } from './cli-harness.js';

const invariants = invariantsFor('arm64-nvhe');
const H = 'test/quality/hostile-policies';
const dir = mkdtempSync(join(tmpdir(), 'worldswitch-i14-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** eager plus one extra vcpuLoad hook. */
const withLoad = (name: string, vcpuLoad: (k: never) => unknown) =>
  definePolicy({ name, arch: 'arm64-nvhe', summary: name, hooks: { ...eager.hooks, vcpuLoad: vcpuLoad as () => void } });

describe('1. same-named exports', () => {
  it('refuses a file with two policies of one name, naming both exports', async () => {
    await expect(loadPolicyFile(`${H}/twins.ts`)).rejects.toThrow(/export "default" and export "holds"/);
  });
  it('addresses one export as file.ts#export, and checks that one (not the first of the name)', async () => {
    const [one] = await loadPolicyFile(`${H}/twins.ts#default`);
    expect(one?.exportName).toBe('default');
    expect(Object.keys(one?.policy.hooks ?? {})).toHaveLength(0);
    await expect(loadPolicyFile(`${H}/twins.ts#nosuch`)).rejects.toThrow(/no policy export "nosuch"/);
  });
});

describe('2. async hooks', () => {
  const asyncLoad = withLoad('async-load', async () => {
    await null;
  });
  it('a hook returning a Promise is a policy-total finding in check and explore', () => {
    const c = check(asyncLoad, { arch: arm64Nvhe, invariants, runs: 50 });
    expect(c.verdict).toBe('violated');
    expect(c.violation?.message).toMatch(/vcpuLoad returned a Promise/);
    const e = explore(asyncLoad, { arch: arm64Nvhe, invariants, depth: 2 });
    expect(e.verdict).toBe('violated');
    expect(e.violation?.invariant).toBe('policy-total');
  });
  it('and in the vitest helper', () => {
    expect(() => expectPolicy(asyncLoad).toHold({ runs: 20 })).toThrow(/returned a Promise/);
  });
});

describe('3. --invariant that no selected architecture has', () => {
  it('is exit 2 with one line, not a vacuous held', async () => {
    const r = await cli('check', 'arm64-nvhe/eager', '--invariant', 'userspace-debug-honored');
    expect(r.code).toBe(2);
    expect(lines(r.err)).toEqual([expect.stringMatching(/--invariant userspace-debug-honored does not apply to arm64-nvhe/)]);
  });
});

describe('4. nondeterministic policies', () => {
  // Throws on the 50th vcpuLoad since it was made: a module-level counter, state outside k.vcpu/k.host.
  const counting = () => {
    let loads = 0;
    return withLoad('counting', () => {
      if (++loads === 50) throw new Error('the 50th load');
    });
  };
  it('check reports policy-total "nondeterministic" with the original trace, not a trace that breaks nothing', () => {
    const r = check(counting(), { arch: arm64Nvhe, invariants, seed: 1 });
    expect(r.verdict).toBe('violated');
    expect(r.nondeterministic).toBe(true);
    expect(r.violation?.invariant).toBe('policy-total');
    expect(r.violation?.message).toBe(`${NONDETERMINISTIC} (there it broke policy-total: vcpuLoad threw: Error: the 50th load)`);
    expect(r.trace.length).toBe(r.violation?.step);
    expect(r.trace.some((e) => e.event === 'VCPU_LOAD')).toBe(true);
  });
  it('explore reports it too, instead of crashing and blaming symmetry', () => {
    const r = explore(counting(), { arch: arm64Nvhe, invariants, depth: 6 });
    expect(r.verdict).toBe('violated');
    expect(r.violation?.message).toBe(`${NONDETERMINISTIC} (there it broke policy-total)`);
    expect(r.trace.length).toBeGreaterThan(0);
  });
});

describe('5. k.hw.write arguments', () => {
  it.each([
    ['a string register id', "'5'", (k: { hw: { write(r: unknown, v: number): void } }) => k.hw.write('5', 1)],
    ['a fractional register id', '1.5', (k: { hw: { write(r: unknown, v: number): void } }) => k.hw.write(1.5, 1)],
    ['-1', '-1', (k: { hw: { write(r: number, v: number): void } }) => k.hw.write(0, -1)],
    ['1.5', '1.5', (k: { hw: { write(r: number, v: number): void } }) => k.hw.write(0, 1.5)],
    ['2^60', '0x1000000000000000', (k: { hw: { write(r: number, v: number): void } }) => k.hw.write(0, 2 ** 60)],
  ])('%s is a policy-total finding naming the call', (_, shown, hook) => {
    const r = check(withLoad('bad-write', hook as never), { arch: arm64Nvhe, invariants, runs: 20 });
    expect(r.violation?.invariant).toBe('policy-total');
    expect(r.violation?.message).toContain(`k.hw.write(`);
    expect(r.violation?.message).toContain(shown.replace(/'/g, '"'));
  });
});

describe('6. replay against the saved trace', () => {
  let saved: Record<string, unknown>;
  const trace = join(dir, 't.json');
  const variant = (name: string, change: Record<string, unknown>): string => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify({ ...saved, ...change }));
    return file;
  };
  beforeAll(async () => {
    expect((await cli('check', 'arm64-nvhe/arm64-dirty-2015-v2', '--seed', '1', '--out', trace)).code).toBe(1);
    saved = JSON.parse(readFileSync(trace, 'utf8')) as Record<string, unknown>;
  });
  it('notes a different invariant than the saved one, in text and JSON', async () => {
    const file = variant('wrong-invariant.json', { invariant: 'no-stale-read' });
    const text = await cli('replay', file);
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/^Note: the saved trace broke no-stale-read at step 7; this replay broke \S+ at step 7$/m);
    const json = JSON.parse((await cli('replay', file, '--json')).out) as { matchesSaved: boolean; note: string };
    expect(json.matchesSaved).toBe(false);
    expect(json.note).toMatch(/saved trace broke no-stale-read/);
  });
  it('notes a different step', async () => {
    const r = await cli('replay', variant('wrong-step.json', { step: 5 }));
    expect(r.out).toMatch(/^Note: the saved trace broke \S+ at step 5; this replay broke \S+ at step 7$/m);
  });
  it('refuses an invariants list without the invariant the trace broke', async () => {
    const r = await cli('replay', variant('inv.json', { invariants: ['host-breakpoints-preserved'] }));
    expect(r.code).toBe(2);
    expect(lines(r.err)).toEqual([expect.stringMatching(/invariants: does not list "host-breakpoints-quiet-in-guest"/)]);
  });
  it('a replay under --policy that stops applying is verdict diverged, exit 5', async () => {
    const r = await cli('replay', trace, '--policy', 'arm64-nvhe/eager', '--json');
    expect(r.code).toBe(5);
    expect((JSON.parse(r.out) as { verdict: string }).verdict).toBe('diverged');
  });
});

describe('7. an unprintable thrown value', () => {
  it('is policy-total, not a checker crash', () => {
    const r = check(
      withLoad('null-proto', () => {
        throw Object.create(null);
      }),
      { arch: arm64Nvhe, invariants, runs: 20 },
    );
    expect(r.verdict).toBe('violated');
    expect(r.violation?.message).toBe('vcpuLoad threw: {}');
  });
});

describe('8. malformed --path', () => {
  it.each(['garbage', '1:2:x', '-1'])('%s is exit 2 with one line', async (path) => {
    const r = await cli('check', 'arm64-nvhe/arm64-dirty-2015-v2', '--path', path);
    expect(r.code).toBe(2);
    expect(lines(r.err)).toEqual([expect.stringMatching(/^worldswitch: --path takes the path a report printed/)]);
  });

  it('a path fast-check cannot follow under these flags is exit 2 with one line, not an internal error', async () => {
    const r = await cli('check', 'arm64-nvhe/arm64-dirty-2015-v2', '--path', '5:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0');
    expect(r.code).toBe(2);
    expect(lines(r.err)).toEqual([expect.stringMatching(/^worldswitch: --path 5:0:0(:0)* does not lead to a run of this check/)]);
  });

  it("the Replay line of a check run from a --path keeps it, and prints the same report (a shard's printed command)", async () => {
    const args = ['check', 'arm64-nvhe/arm64-dirty-2015-v2', '--seed', '1', '--runs', '500', '--path', '500'];
    const first = await cli(...args);
    expect(first.code).toBe(1);
    const replay = /^Replay: npx worldswitch (.*)$/m.exec(first.out)?.[1] ?? '';
    expect(replay).toBe(args.join(' '));
    expect((await cli(...replay.split(' '))).out).toBe(first.out);
  });

  it('a printed path run with another seed that holds says it reproduced nothing', async () => {
    const found = JSON.parse((await cli('check', 'arm64-nvhe/arm64-dirty-2015-v2', '--seed', '2', '--json')).out);
    const again = await cli('check', 'arm64-nvhe/arm64-dirty-2015-v2', '--seed', '2', '--path', found.path);
    expect(again.code).toBe(1);
    expect(again.err).not.toContain('reproduced no violation');
    const elsewhere = await cli('check', 'arm64-nvhe/arm64-dirty-2015-v2', '--path', '0:99999');
    expect(elsewhere.code).toBe(0);
    expect(lines(elsewhere.err)).toEqual([expect.stringMatching(/^worldswitch: --path 0:99999 reproduced no violation/)]);
  });
});

describe('10. watchdogs in-process: the vitest helper and replay', () => {
  const spin = withLoad('spin', () => {
    for (;;) {}
  });
  it('toHold reports a hook that never returns as policy-total instead of hanging', () => {
    let thrown: unknown;
    try {
      expectPolicy(spin).toHold({ runs: 5, hookTimeout: 1 });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(PolicyViolation);
    expect(String(thrown)).toMatch(/vcpuLoad did not return within 1 s/);
  });
  it('toHoldOn too', () => {
    expect(() => expectPolicy(spin).toHoldOn([{ event: 'VCPU_LOAD', vcpu: 0, cpu: 0 }], { hookTimeout: 1 })).toThrow(
      /did not return within 1 s/,
    );
  });
});

describe('11. budgets and sizes', () => {
  it('explore --max-states stops with verdict held-so-far and exit 4', async () => {
    const r = await cli('explore', 'arm64-nvhe/eager', '--depth', '8', '--max-states', '500', '--json');
    expect(r.code).toBe(4);
    const json = JSON.parse(r.out) as { verdict: string; depthCompleted: number; stoppedBy: string };
    expect(json).toMatchObject({ verdict: 'held-so-far', stoppedBy: 'max-states' });
    expect(json.depthCompleted).toBeLessThan(8);
  });
  it('check --max-states stops with held-so-far and the runs done', async () => {
    const r = await cli('check', 'arm64-nvhe/eager', '--max-states', '2000');
    expect(r.code).toBe(4);
    expect(r.out).toMatch(/^arm64-nvhe\/eager: held so far \(stopped at --max-states\)$/m);
  });
  it('check --time-limit stops with held-so-far, exit 4', async () => {
    const r = await cli('check', 'arm64-nvhe/eager', '--runs', '10000000', '--time-limit', '1', '--json');
    expect(r.code).toBe(4);
    const json = JSON.parse(r.out) as { verdict: string; stoppedBy: string; runs: number };
    expect(json).toMatchObject({ verdict: 'held-so-far', stoppedBy: 'time-limit' });
    expect(json.runs).toBeLessThan(10_000_000);
  });
  it('explore --time-limit too, with the depth it completed', async () => {
    const r = await cli('explore', 'arm64-vhe/eager', '--depth', '30', '--time-limit', '2', '--json');
    expect(r.code).toBe(4);
    const json = JSON.parse(r.out) as { verdict: string; stoppedBy: string; depthCompleted: number };
    expect(json).toMatchObject({ verdict: 'held-so-far', stoppedBy: 'time-limit' });
    expect(json.depthCompleted).toBeLessThan(30);
  });
  it('a found violation still wins over a budget', async () => {
    const r = await cli('check', 'arm64-nvhe/arm64-dirty-2015-v2', '--seed', '1', '--max-states', '100000000');
    expect(r.code).toBe(1);
  });
  it('explore --max-memory stops with held-so-far, exit 4', async () => {
    // Any node process is past 64 MiB resident: the budget is reached at the first poll.
    const r = await cli('explore', 'arm64-nvhe/eager', '--depth', '9', '--max-memory', '64', '--json');
    expect(r.code).toBe(4);
    expect(JSON.parse(r.out)).toMatchObject({ verdict: 'held-so-far', stoppedBy: 'max-memory' });
  });
  it('an allocation failure in the search ends it with the depths completed, not a crash', () => {
    const x = makeExploreExecutor(eager, arm64Nvhe, invariants);
    const full = fullAlphabet();
    let failing = false;
    const r = bfs(x, {
      depth: 6,
      alphabet: (xx, emit) => {
        if (failing) throw new RangeError('Array buffer allocation failed');
        full(xx, emit);
      },
      onLevel: (d) => {
        failing = d === 2;
        return undefined;
      },
    });
    expect(r).toMatchObject({ outcome: 'stopped', stoppedBy: 'out-of-memory', depthCompleted: 2 });
  });
  it('replay refuses a file that is not regular before reading it', async () => {
    const r = await cli('replay', '/dev/zero');
    expect(r.code).toBe(2);
    expect(lines(r.err)).toEqual(['worldswitch: Trace file /dev/zero is not a regular file.']);
  });
});

describe('14. --out and --html destinations', () => {
  it.each([
    ['check', ['arm64-nvhe/arm64-dirty-2015-v2', '--out', 'nodir/t.json']],
    ['explore', ['arm64-nvhe/eager', '--depth', '6', '--html', 'nodir/x.html']],
  ])('%s checks them before running', async (command, args) => {
    const r = await cli(command, ...args);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(lines(r.err)).toEqual([expect.stringMatching(/Cannot write nodir\/\S+: directory nodir does not exist/)]);
  });
});

describe('15. one line on stderr', () => {
  it('a trace with a byte-order mark replays; multi-line text that is not JSON is one line', async () => {
    const src = join(dir, 'bom-src.json');
    expect((await cli('check', 'arm64-nvhe/arm64-dirty-2015-v2', '--seed', '1', '--out', src)).code).toBe(1);
    const bom = join(dir, 'bom.json');
    writeFileSync(bom, `\uFEFF${readFileSync(src, 'utf8')}`);
    expect((await cli('replay', bom)).code).toBe(1);
    const text = join(dir, 'multi.json');
    writeFileSync(text, 'hello\nworld\nthree lines');
    const r = await cli('replay', text);
    expect(r.code).toBe(2);
    expect(lines(r.err)).toHaveLength(1);
  });
  it('a policy syntax error says file:line:col: message on one line', async () => {
    const file = join(dir, 'syntax.ts');
    writeFileSync(file, 'export const x = {\n  a: 1,\n  b: = 2,\n};\n');
    const r = await cli('check', file);
    expect(r.code).toBe(2);
    expect(lines(r.err)).toEqual([`worldswitch: Cannot load policy file ${file}: ${file}:3:5: Unexpected "="`]);
  });
  it('no command at all is one line on stderr, exit 2', async () => {
    const r = await cli();
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(lines(r.err)).toHaveLength(1);
  });
});

describe('16. objects that claim to be policies', () => {
  it('a kind: worldswitch-policy object without hooks is refused at load (exit 2)', async () => {
    await expect(loadPolicyFile(`${H}/fake-kind.ts`)).rejects.toThrow(UsageError);
    const r = await cli('check', `${H}/fake-kind.ts`);
    expect(r.code).toBe(2);
  });
});

describe('17. a hook that hangs under explore', () => {
  it('is reported with the path up to the hung hook, no "0 steps" and no regression test', async () => {
    const r = await cli('explore', `${H}/spin.ts`, '--depth', '3', '--hook-timeout', '1');
    expect(r.code).toBe(1);
    expect(r.out).not.toMatch(/0 steps/);
    expect(r.out).not.toMatch(/regression test/);
    expect(r.out).toMatch(/^State 1: VCPU_LOAD \{ vcpu: 0, cpu: \d \}\s+<== policy-total broke here \(in vcpuLoad\)$/m);
  });
});

describe('18. replaying a trace that names a policy file', () => {
  const sub = join(dir, 'traces');
  const trace = join(sub, 'twin.json');
  beforeAll(async () => {
    mkdirSync(sub, { recursive: true });
    expect((await cli('check', `${H}/twins.ts#default`, '--runs', '50', '--out', trace)).code).toBe(1);
  });
  it('stores policyFile relative to the trace file, with its export', () => {
    const saved = JSON.parse(readFileSync(trace, 'utf8')) as { policyFile: string };
    expect(saved.policyFile).toMatch(/^(\.\.\/)+.*test\/quality\/hostile-policies\/twins\.ts#default$/);
    expect(join(sub, saved.policyFile.replace(/#.*/, ''))).toBe(join(process.cwd(), H, 'twins.ts'));
  });
  it('does not run it without --policy or --trust-policy-file', async () => {
    const r = await cli('replay', trace);
    expect(r.code).toBe(2);
    expect(lines(r.err)).toEqual([expect.stringMatching(/names the policy file .*twins\.ts#default, which replay would run as code/)]);
  });
  it('runs it with --trust-policy-file, and with an explicit --policy', async () => {
    expect((await cli('replay', trace, '--trust-policy-file')).code).toBe(1);
    expect((await cli('replay', trace, '--policy', `${H}/twins.ts#default`)).code).toBe(1);
    expect((await cli('replay', trace, '--policy', `${H}/twins.ts#holds`)).code).toBe(0);
  });
});
