/**
 * Multi-bug triage (issue 15): a policy with two independent bugs breaking different invariants
 * (test/fixtures/two-bugs.ts). `--continue` reports both; skipping or assuming fixed the first
 * lets plain `check` and `explore` report the second; `--out-dir` saves one replayable trace each.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './cli-harness.js';

const POLICY = 'test/fixtures/two-bugs.ts';
const A = 'no-stale-read';
const B = 'host-breakpoints-preserved';
const dir = mkdtempSync(join(tmpdir(), 'ws-triage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Report = {
  verdict: string;
  invariant: string | null;
  trace: unknown[];
  counterexamples?: { invariant: string; trace: { event: string }[]; violation: { invariant: string; register?: string } }[];
  known?: { invariant: string; event: string; register?: string; source: string }[];
};
const json = (out: string): Report => JSON.parse(out) as Report;

describe('explore --continue', () => {
  it('reports the shortest counterexample of each of the two bugs, shortest first, and exits 1', async () => {
    const r = await cli('explore', POLICY, '--depth', '4', '--continue', '--json', '--quiet');
    expect(r.code).toBe(1);
    const report = json(r.out);
    expect(report.counterexamples?.map((c) => [c.invariant, c.trace.length])).toEqual([
      [A, 3],
      [B, 4],
    ]);
    expect(report.counterexamples?.map((c) => c.violation.register)).toEqual(['MDSCR_EL1', 'MDCCINT_EL1']);
  });

  it('prints a summary table with one row per broken invariant before the traces', async () => {
    const r = await cli('explore', POLICY, '--depth', '4', '--continue', '--quiet');
    const lines = r.out.split('\n');
    expect(lines[0]).toBe(`arm64-nvhe/two-bugs: violated 2 invariants (--continue): ${A}, ${B}`);
    expect(lines[2]).toMatch(new RegExp(`^ {2}1 {2}${A} +3 +VMM_GET_REG +after the event +MDSCR_EL1$`));
    expect(lines[3]).toMatch(new RegExp(`^ {2}2 {2}${B} +4 +GUEST_EXIT +after the event +MDCCINT_EL1$`));
    expect(r.out).toContain(`[2/2] ${B}`);
  });

  it('with --per-point keeps one counterexample per distinct failing observation point', async () => {
    // armv7-none switches nothing: the guest sees host values in several registers, each its own point.
    const r = await cli('explore', 'armv7/armv7-none', '--depth', '3', '--continue', '--per-point', '--json', '--quiet');
    const all = json(r.out).counterexamples ?? [];
    const points = all.map((c) => `${c.invariant} ${c.trace[c.trace.length - 1]?.event} ${c.violation.register}`);
    expect(new Set(points).size).toBe(points.length);
    expect(all.filter((c) => c.invariant === 'guest-isolation').length).toBeGreaterThanOrEqual(2);
    const text = await cli('explore', 'armv7/armv7-none', '--depth', '3', '--continue', '--per-point', '--quiet');
    expect(text.out.split('\n')[0]).toBe(`armv7/armv7-none: violated 1 invariant (--continue), at ${all.length} points: guest-isolation`);
  });

  it('without --continue stops at the first (shortest) one', async () => {
    const r = json((await cli('explore', POLICY, '--depth', '4', '--json', '--quiet')).out);
    expect(r.invariant).toBe(A);
    expect(r.counterexamples).toBeUndefined();
  });
});

describe('check --continue', () => {
  it('reports one shrunk counterexample of each bug and exits 1', async () => {
    const r = await cli('check', POLICY, '--continue', '--json', '--quiet');
    expect(r.code).toBe(1);
    const report = json(r.out);
    expect(report.counterexamples?.map((c) => c.invariant).sort()).toEqual([B, A].sort());
    for (const c of report.counterexamples ?? []) expect(c.trace.length).toBeLessThanOrEqual(4);
  });

  it('prints the same text twice for the same seed', async () => {
    const a = await cli('check', POLICY, '--continue', '--quiet', '--seed', '1');
    const b = await cli('check', POLICY, '--continue', '--quiet', '--seed', '1');
    expect(a.out).toBe(b.out);
    expect(a.out).toMatch(/violated 2 invariants/);
  });
});

describe('moving past the first bug', () => {
  it('plain check reports the first bug, and with --skip-invariant of it the second', async () => {
    const first = json((await cli('check', POLICY, '--json', '--quiet')).out).invariant;
    expect([A, B]).toContain(first);
    const second = first === A ? B : A;
    const r = await cli('check', POLICY, '--skip-invariant', first ?? '', '--json', '--quiet');
    expect(r.code).toBe(1);
    expect(json(r.out).invariant).toBe(second);
  });

  it('plain explore reports the second bug with --skip-invariant of the first', async () => {
    const r = await cli('explore', POLICY, '--depth', '4', '--skip-invariant', A, '--json', '--quiet');
    expect(r.code).toBe(1);
    expect(json(r.out).invariant).toBe(B);
  });

  it('with --assume-fixed of the saved first trace, check and explore report the second', async () => {
    const saved = join(dir, 'a.json');
    expect((await cli('explore', POLICY, '--depth', '4', '--out', saved, '--quiet')).code).toBe(1);
    const checked = await cli('check', POLICY, '--assume-fixed', saved, '--json', '--quiet');
    expect(checked.code).toBe(1);
    expect(json(checked.out).invariant).toBe(B);
    // Breadth-first meets the known bug first (3 steps): it is listed as known, and the search goes on.
    const explored = await cli('explore', POLICY, '--depth', '4', '--assume-fixed', saved, '--json', '--quiet');
    expect(explored.code).toBe(1);
    const report = json(explored.out);
    expect(report.invariant).toBe(B);
    expect(report.known?.map((k) => [k.invariant, k.event, k.register, k.source])).toEqual([[A, 'VMM_GET_REG', 'MDSCR_EL1', saved]]);
  });

  it('check --continue --assume-fixed reports only the unknown bug as a counterexample and the other as known', async () => {
    const saved = join(dir, 'a2.json');
    await cli('explore', POLICY, '--depth', '4', '--out', saved, '--quiet');
    const report = json((await cli('check', POLICY, '--continue', '--assume-fixed', saved, '--json', '--quiet')).out);
    expect(report.counterexamples?.map((c) => c.invariant)).toEqual([B]);
    expect(report.known?.map((k) => k.invariant)).toEqual([A]);
  });

  it('assuming both bugs fixed, the policy holds (exit 0) and the report lists both as known', async () => {
    const out = join(dir, 'both');
    await cli('explore', POLICY, '--depth', '4', '--continue', '--out-dir', out, '--quiet');
    const files = readdirSync(out).map((f) => join(out, f));
    const r = await cli('check', POLICY, ...files.flatMap((f) => ['--assume-fixed', f]), '--quiet');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/held/);
    expect(r.out).toMatch(/known \(--assume-fixed\), not counted: 2/);
  });
});

describe('--out-dir', () => {
  it('saves one trace per counterexample, named <arch>-<policy>-<invariant>.json, each replaying to its invariant', async () => {
    const out = join(dir, 'out');
    await cli('explore', POLICY, '--depth', '4', '--continue', '--out-dir', out, '--quiet');
    expect(readdirSync(out).sort()).toEqual([`arm64-nvhe-two-bugs-${B}.json`, `arm64-nvhe-two-bugs-${A}.json`]);
    for (const inv of [A, B]) {
      const file = join(out, `arm64-nvhe-two-bugs-${inv}.json`);
      expect(JSON.parse(readFileSync(file, 'utf8')).invariant).toBe(inv);
      // The trace names the policy file (relative to the trace): replay runs it only when told to.
      const r = await cli('replay', file, '--json', '--trust-policy-file');
      expect(r.code).toBe(1);
      expect(JSON.parse(r.out).invariant).toBe(inv);
    }
  });

  it('gives two policies of one name (two files) a file each, in check and explore, instead of one overwriting the other', async () => {
    const twins = join(dir, 'twins');
    const api = join(process.cwd(), 'src/engine/policy.ts');
    for (const f of ['a', 'c']) {
      mkdirSync(twins, { recursive: true });
      writeFileSync(
        join(twins, `${f}.ts`),
        `import { definePolicy } from '${api}';\nexport default definePolicy({ name: 'twin', arch: 'arm64-nvhe', summary: '', hooks: {} });\n`,
      );
    }
    for (const [command, extra] of [
      ['check', []],
      ['explore', ['--depth', '4']],
    ] as const) {
      const out = join(dir, `twins-${command}`);
      const r = await cli(command, twins, ...extra, '--out-dir', out, '--quiet');
      expect(r.code).toBe(1);
      const [second, first] = readdirSync(out).sort();
      expect(first).toMatch(/^arm64-nvhe-twin-[a-z-]+\.json$/);
      expect(second).toBe(first?.replace(/\.json$/, '-2.json'));
    }
  });
});

describe('bad triage flags', () => {
  it.each([
    ['--skip-invariant policy-total', ['check', POLICY, '--skip-invariant', 'policy-total']],
    ['--skip-invariant of an unknown name', ['check', POLICY, '--skip-invariant', 'nope']],
    ['--assume-fixed of a missing file', ['explore', POLICY, '--depth', '2', '--assume-fixed', 'no-such.json']],
    ['--per-point without --continue', ['explore', POLICY, '--depth', '2', '--per-point']],
    // Checking an invariant and skipping it would check policy-total alone and call that held.
    ['check --invariant X --skip-invariant X', ['check', POLICY, '--invariant', 'guest-isolation', '--skip-invariant', 'guest-isolation']],
    [
      'explore --invariant X --skip-invariant X',
      ['explore', POLICY, '--depth', '2', '--invariant', 'guest-isolation', '--skip-invariant', 'guest-isolation'],
    ],
  ])('exits 2 with one line on stderr for %s', async (_what, argv) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  // A hand-edited known failure that no violation can have would match nothing, and the run would report the bug as new.
  it.each([
    ['an "at" no violation has', { at: 'nowhere' }, /"at" is "nowhere"/],
    ['a register the architecture lacks', { register: 'FOO' }, /"register" "FOO" is no register of arm64-nvhe/],
    ['an unknown invariant', { invariant: 'bogus' }, /unknown invariant "bogus"/],
  ])('--assume-fixed of a trace with %s: exit 2, one line', async (_what, edit, says) => {
    const saved = join(dir, 'edited-base.json');
    expect((await cli('check', 'arm64-nvhe/arm64-dirty-2015-v2', '--workers', '1', '--quiet', '--out', saved)).code).toBe(1);
    const edited = join(dir, `edited-${Object.keys(edit)[0]}.json`);
    writeFileSync(edited, JSON.stringify({ ...JSON.parse(readFileSync(saved, 'utf8')), ...edit }));
    const r = await cli('check', 'arm64-nvhe/arm64-dirty-2015-v2', '--workers', '1', '--assume-fixed', edited);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(says);
  });
});

describe('checking order', () => {
  it('names the first invariant in checking order and lists the others that broke at the same point (armv7-none)', async () => {
    const r = await cli('check', 'armv7/armv7-none', '--quiet');
    expect(r.out).toMatch(/^armv7\/armv7-none: violated guest-isolation/);
    expect(r.out).toMatch(/\n {2}also broke here: no-stale-read: vcpu0 reads DBGDSCRext untrapped/);
  });

  it('explore --continue gives the invariant that only broke alongside another that counterexample, marked as such', async () => {
    const r = await cli('explore', 'armv7/armv7-none', '--depth', '2', '--continue', '--json', '--quiet');
    const report = json(r.out);
    const stale = report.counterexamples?.find((c) => c.invariant === 'no-stale-read');
    expect(stale?.violation.invariant).toBe('guest-isolation');
    const text = await cli('explore', 'armv7/armv7-none', '--depth', '2', '--continue', '--quiet');
    expect(text.out).toMatch(/no-stale-read +\d+ .*same point as guest-isolation \(checked first\)/);
  });
});
