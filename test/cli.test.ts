/**
 * The CLI contract (DESIGN §7): exit codes, one-line usage errors, the versioned JSON report and
 * the text report, which is an API and is locked by a snapshot. Most cases call `main` in-process;
 * one spawns the real binary to pin what a user's shell sees.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { policies } from '../models/catalog.js';
import { invariants } from '../properties/suites.js';
import { cli, lines } from './cli-harness.js';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('usage errors: exit 2, one line on stderr, no stack', () => {
  it.each([
    ['an unknown policy', ['check', 'no-such-policy']],
    ['a --runs that is not a number', ['check', 'eager', '--runs', 'abc']],
    ['--runs 0', ['check', 'eager', '--runs', '0']],
    ['an unknown invariant', ['check', 'eager', '--invariant', 'no-such-invariant']],
    ['a policy file that does not exist', ['check', 'test/fixtures/no-such-file.ts']],
    ['a model flag no selected architecture has (--gdb on x86)', ['check', 'x86-vmx/eager', '--gdb', '1']],
    ['a model flag no selected architecture has (--mdbgen in explore)', ['explore', 'arm64-nvhe/eager', '--depth', '2', '--mdbgen', '1']],
  ])('rejects %s', async (_what, argv) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.out).toBe('');
  });

  it('names what it was given and what it expected for an unknown policy', async () => {
    const r = await cli('check', 'no-such-policy');
    expect(r.err).toContain('"no-such-policy"');
    for (const p of policies) expect(r.err).toContain(`${p.arch}/${p.name}`);
  });
});

describe('check', () => {
  it('exits 1 with the versioned JSON report when the v2 policy is violated (--json)', async () => {
    const r = await cli('check', 'arm64-dirty-2015-v2', '--seed', '1', '--json');
    expect(r.code).toBe(1);
    expect(r.err).toBe('');
    const json = JSON.parse(r.out) as Record<string, unknown>;
    expect(json).toMatchObject({
      reportVersion: 1,
      policy: 'arm64-dirty-2015-v2',
      arch: 'arm64-nvhe',
      verdict: 'violated',
      runs: expect.any(Number),
      seed: 1,
      stats: { events: expect.any(Number), ms: expect.any(Number) },
    });
    expect(['guest-breakpoints-effective', 'host-breakpoints-quiet-in-guest']).toContain(json.invariant);
    const trace = json.trace as Record<string, unknown>[];
    expect(trace.length).toBeGreaterThan(0);
    for (const step of trace) expect(typeof step.event).toBe('string');
    expect((json.stats as { events: number }).events).toBeGreaterThan(0);
  });

  it('saves with --out the replayable trace of the counterexample it prints with --json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'worldswitch-'));
    try {
      const file = join(dir, 'trace.json');
      const r = await cli('check', 'arm64-dirty-2015-v2', '--seed', '1', '--json', '--out', file);
      expect(r.code).toBe(1);
      const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      const printed = JSON.parse(r.out) as Record<string, unknown>;
      expect(saved).toMatchObject({ format: 'worldswitch-trace', version: 1, invariant: printed.invariant, seed: printed.seed });
      expect(saved.events).toEqual(printed.trace);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with no policy, checks every built-in one: one line per finding, the verdict table last, exit 1', async () => {
    const r = await cli('check', '--runs', '300', '--seed', '1');
    expect(r.code).toBe(1);
    const [findings, tableText, ...rest] = r.out.split('\n\n');
    expect(rest).toEqual([]);
    const table = lines(tableText ?? '');
    expect(table[0]).toMatch(/^policy\s+verdict\s+invariant\s+steps\s+runs$/);
    for (const p of policies) expect(table.some((row) => row.startsWith(`${p.arch}/${p.name} `))).toBe(true);
    const violated = table.filter((row) => /\sviolated\s/.test(row));
    expect(violated.length).toBeGreaterThan(0);
    // Each violated row has its line before the table, with the command that prints its report.
    const found = lines(findings ?? '');
    expect(found).toHaveLength(violated.length);
    for (const line of found) expect(line).toMatch(/^\S+: violated \S+ \(\d+ steps\): npx worldswitch check \S+ --seed 1 --runs 300$/);
  });

  it('with several policies and --verbose, prints each report in full and the table last', async () => {
    const r = await cli('check', 'arm64-dirty-2015-v2', 'arm64-dirty-2015', '--runs', '300', '--verbose');
    expect(r.code).toBe(1);
    expect(r.out).toContain('State 1:');
    const last = lines(r.out).slice(-3);
    expect(last[0]).toMatch(/^policy\s+verdict/);
    expect(last[1]).toMatch(/^arm64-nvhe\/arm64-dirty-2015-v2\s+violated/);
    expect(last[2]).toMatch(/^arm64-nvhe\/arm64-dirty-2015\s+held/);
  });

  it('explore over several policies prints the verdict table last', async () => {
    const r = await cli('explore', 'arm64-dirty-2015-v2', 'armv7/eager', '--depth', '4', '--quiet');
    expect(r.code).toBe(1);
    const out = lines(r.out);
    expect(out[0]).toBe(
      'arm64-nvhe/arm64-dirty-2015-v2: violated guest-breakpoints-effective (4 steps): npx worldswitch explore arm64-nvhe/arm64-dirty-2015-v2 --depth 4',
    );
    expect(out.slice(1)).toHaveLength(3);
    expect(out[1]).toMatch(/^policy\s+verdict\s+invariant\s+steps\s+depth\s+states$/);
    expect(out[2]).toMatch(/^arm64-nvhe\/arm64-dirty-2015-v2\s+violated\s+guest-breakpoints-effective\s+4\s/);
    expect(out[3]).toMatch(/^armv7\/eager\s+held\s+-\s+-\s+4\s+445$/);
  });

  it('exits 0 when the merged policy holds', async () => {
    const r = await cli('check', 'arm64-dirty-2015', '--runs', '300', '--seed', '1');
    expect(r.code).toBe(0);
    expect(r.out).toContain('held');
    expect(r.out).toContain('300 random interleavings');
  });

  it('reports a user policy file whose hook throws under policy-total (exit 1)', async () => {
    const r = await cli('check', 'test/fixtures/throwing-policy.ts', '--runs', '100');
    expect(r.code).toBe(1);
    expect(r.out).toContain('policy-total');
    expect(r.out).toContain('fixture hook failed on purpose');
  });

  it('prints a byte-identical text report for the same seed, locked by a snapshot', async () => {
    const a = await cli('check', 'arm64-dirty-2015-v2', '--seed', '1');
    const b = await cli('check', 'arm64-dirty-2015-v2', '--seed', '1');
    expect(a.code).toBe(1);
    expect(b.out).toBe(a.out);
    expect(a.out).toMatchSnapshot();
  });
});

describe('list', () => {
  it('exits 0 and names every built-in policy and invariant', async () => {
    const r = await cli('list');
    expect(r.code).toBe(0);
    for (const p of policies) expect(r.out).toContain(`${p.arch}/${p.name}`);
    for (const i of invariants) expect(r.out).toContain(i.name);
  });
});

describe('the worldswitch binary', () => {
  beforeAll(() => {
    const build = spawnSync('npx', ['tsc', '-p', '.'], { cwd: root, encoding: 'utf8' });
    expect(build.status, build.stdout + build.stderr).toBe(0);
  });

  const bin = (...argv: string[]) => spawnSync(process.execPath, ['bin/worldswitch.js', ...argv], { cwd: root, encoding: 'utf8' });

  it('exits 2 with one line on stderr and no stack for an unknown policy', () => {
    const r = bin('check', 'no-such-policy');
    expect(r.status).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^worldswitch: Unknown policy "no-such-policy"/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 1 and prints JSON a parser can read for a violated policy', () => {
    const r = bin('check', 'arm64-dirty-2015-v2', '--seed', '1', '--json');
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ reportVersion: 1, verdict: 'violated', seed: 1 });
  });
});

describe('the printed replay command reproduces the report', () => {
  it('re-running the Replay line of a counterexample gives the byte-identical report', async () => {
    const first = await cli('check', 'arm64-dirty-2015-v2', '--seed', '3');
    expect(first.code).toBe(1);
    const line = first.out.split('\n').find((l) => l.startsWith('Replay: npx worldswitch '));
    expect(line).toBeDefined();
    // Split the printed command like a shell would (the path is the only quoted argument).
    const argv =
      (line ?? '')
        .slice('Replay: npx worldswitch '.length)
        .match(/"[^"]*"|\S+/g)
        ?.map((a) => a.replace(/^"|"$/g, '')) ?? [];
    const again = await cli(...argv);
    expect(again.err).toBe('');
    expect(again.code).toBe(1);
    expect(again.out).toBe(first.out);
  });

  it('takes <arch>/<name> as a built-in policy, not as a file path', async () => {
    const r = await cli('check', 'arm64-nvhe/eager', '--runs', '20');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });
});
