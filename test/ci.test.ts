/**
 * worldswitch in CI: JUnit that a CI server parses back (suite, case and failure counts), GitHub
 * annotations on the policy file's failing hook, a regression corpus replayed with a summary
 * and its own exit code for a trace that no longer applies, shard plans, and the conventions
 * (`--version`, `list --json`, `--quiet` everywhere, directory arguments).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policies } from '../models/catalog.js';
import { main } from '../src/cli/cli.js';
import { fitLine } from '../src/cli/progress-bar.js';
import { shardUnits } from '../src/cli/shard.js';
import { hookLine } from '../src/reports/github.js';
import { cli, lines } from './cli-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'worldswitch-ci-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Case {
  '@_name': string;
  '@_classname': string;
  failure?: { '@_type': string; '@_message': string; '#text': string };
  error?: unknown;
}
interface Suite {
  '@_name': string;
  '@_tests': string;
  '@_failures': string;
  '@_errors': string;
  testcase: Case[];
}

/** Parses a JUnit file the way a CI server reads it: one or more suites of test cases. */
function readJunit(file: string): { root: Record<string, string>; suites: Suite[] } {
  const parser = new XMLParser({
    ignoreAttributes: false,
    isArray: (name) => name === 'testsuite' || name === 'testcase',
  });
  const doc = parser.parse(readFileSync(file, 'utf8'), true) as { testsuites: Record<string, string> & { testsuite: Suite[] } };
  const { testsuite, ...root } = doc.testsuites;
  return { root, suites: testsuite };
}

describe('--junit', () => {
  it('check: one testcase per policy, a <failure> with the counterexample for the violated one', async () => {
    const file = join(dir, 'check.xml');
    const r = await cli(
      'check',
      'arm64-nvhe/arm64-dirty-2015-v2',
      'arm64-nvhe/arm64-dirty-2015',
      'armv7/eager',
      '--runs',
      '200',
      '--junit',
      file,
    );
    expect(r.code).toBe(1);
    const { root, suites } = readJunit(file);
    expect(root).toMatchObject({ '@_name': 'worldswitch', '@_tests': '3', '@_failures': '1', '@_errors': '0' });
    expect(suites).toHaveLength(1);
    const [suite] = suites as [Suite];
    expect(suite).toMatchObject({ '@_name': 'worldswitch check', '@_tests': '3', '@_failures': '1', '@_errors': '0' });
    expect(suite.testcase.map((c) => c['@_name'])).toEqual([
      'arm64-nvhe/arm64-dirty-2015-v2',
      'arm64-nvhe/arm64-dirty-2015',
      'armv7/eager',
    ]);
    const failed = suite.testcase.filter((c) => c.failure);
    expect(failed.map((c) => c['@_name'])).toEqual(['arm64-nvhe/arm64-dirty-2015-v2']);
    const failure = failed[0]?.failure;
    expect(failure?.['@_type']).toBe('host-breakpoints-quiet-in-guest');
    expect(failure?.['@_message']).toMatch(/^violated host-breakpoints-quiet-in-guest at step \d+: /);
    // The failure's text is the report check prints: states, the marked step, the replay command (escaped `<==` read back).
    expect(failure?.['#text']).toContain('State 1: ');
    expect(failure?.['#text']).toContain('<== host-breakpoints-quiet-in-guest broke here');
    expect(failure?.['#text']).toContain('Replay: npx worldswitch check');
  });

  it('names the invariant set of a check restricted with --invariant', async () => {
    const file = join(dir, 'subset.xml');
    const r = await cli('check', 'arm64-nvhe/eager', '--runs', '20', '--invariant', 'no-stale-read', '--junit', file);
    expect(r.code).toBe(0);
    const [suite] = readJunit(file).suites as [Suite];
    expect(suite.testcase.map((c) => c['@_name'])).toEqual(['arm64-nvhe/eager [no-stale-read]']);
    expect(suite['@_failures']).toBe('0');
  });

  it('explore: the shortest counterexample in <failure>', async () => {
    const file = join(dir, 'explore.xml');
    const r = await cli('explore', 'arm64-nvhe/arm64-dirty-2015-v2', '--depth', '4', '--quiet', '--junit', file);
    expect(r.code).toBe(1);
    const { root, suites } = readJunit(file);
    expect(root).toMatchObject({ '@_tests': '1', '@_failures': '1' });
    expect(suites[0]?.['@_name']).toBe('worldswitch explore');
    expect(suites[0]?.testcase[0]?.failure?.['#text']).toContain('Shortest counterexample: 4 steps');
  });

  it('a crash is an <error>, not a <failure>', async () => {
    const { renderJunit } = await import('../src/reports/junit.js');
    const xml = renderJunit([
      {
        name: 's',
        cases: [
          {
            name: 'p',
            classname: 'c',
            seconds: 0,
            outcome: { kind: 'error', type: 'crashed', message: 'boom & "bang"', text: 'a\u0001b' },
          },
        ],
      },
    ]);
    const path = join(dir, 'error.xml');
    writeFileSync(path, xml);
    const { root, suites } = readJunit(path);
    expect(root).toMatchObject({ '@_tests': '1', '@_failures': '0', '@_errors': '1' });
    expect(suites[0]?.testcase[0]?.error).toMatchObject({ '@_message': 'boom & "bang"', '#text': 'ab' });
  });
});

describe('GitHub Actions annotations', () => {
  it('point at the policy file and the line of the hook that broke, on stderr', async () => {
    const policy = join(dir, 'throwing.ts');
    copyFileSync('test/fixtures/throwing-policy.ts', policy);
    writeFileSync(
      policy,
      readFileSync(policy, 'utf8').replace("'../../src/engine/policy.js'", `'${join(process.cwd(), 'src/engine/policy.js')}'`),
    );
    const notes: string[] = [];
    let out = '';
    const code = await main(['check', policy, '--runs', '50', '--json'], {
      out: (s) => (out += s),
      err: () => {},
      annotate: (s) => notes.push(s),
    });
    expect(code).toBe(1);
    expect(() => JSON.parse(out)).not.toThrow(); // annotations never mix into the JSON on stdout
    const line = hookLine(readFileSync(policy, 'utf8'), 'guestEnter');
    expect(line).toBe(9);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(
      new RegExp(
        `^::error file=[^,]*throwing\\.ts,line=${line},title=worldswitch%3A arm64-nvhe/throwing violated policy-total::violated policy-total at step \\d+: .*%0AReproduce: npx worldswitch check `,
      ),
    );
    expect(lines(notes[0] ?? '')).toHaveLength(1);
  });

  it('say nothing when the policy holds, and nothing outside GitHub Actions', async () => {
    const notes: string[] = [];
    expect(
      await main(['check', 'arm64-nvhe/eager', '--runs', '20'], { out: () => {}, err: () => {}, annotate: (s) => notes.push(s) }),
    ).toBe(0);
    expect(notes).toEqual([]);
    const r = await cli('check', 'arm64-nvhe/arm64-dirty-2015-v2', '--runs', '100');
    expect(r.code).toBe(1);
    expect(r.err).not.toContain('::error');
  });
});

describe('replay DIR: a regression corpus', () => {
  const corpus = join(dir, 'corpus');
  beforeAll(async () => {
    mkdirSync(join(corpus, 'trfcr'), { recursive: true });
    expect((await cli('check', 'arm64-nvhe/arm64-dirty-2015-v2', '--seed', '1', '--out', join(corpus, 'dirty.json'))).code).toBe(1);
    // arm64-trfcr-2023 breaks on a trace-filter event that only policies with a setGuestTrace hook enable.
    expect((await cli('check', 'arm64-nvhe/arm64-trfcr-2023', '--seed', '1', '--out', join(corpus, 'trfcr', 'trfcr.json'))).code).toBe(1);
    writeFileSync(join(corpus, 'notes.txt'), 'not a trace: ignored');
  });

  it('every trace still violates its own policy: exit 1, a row per trace', async () => {
    const r = await cli('replay', corpus);
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    const table = lines(r.out).slice(0, 4);
    expect(table[0]).toMatch(/^trace\s+policy\s+verdict\s+invariant\s+steps$/);
    expect(table[1]).toMatch(/dirty\.json\s+arm64-nvhe\/arm64-dirty-2015-v2\s+violated\s+host-breakpoints-quiet-in-guest/);
    expect(table[2]).toMatch(/trfcr\.json\s+arm64-nvhe\/arm64-trfcr-2023\s+violated\s+policy-total/);
    expect(table[3]).toBe('2 traces: 0 held (fixed), 2 still violated, 0 diverged (no longer apply)');
  });

  it('under the fixed policy: one trace held, the stale one reported diverged with exit 5 (never a silent 0)', async () => {
    const junit = join(dir, 'corpus.xml');
    const r = await cli('replay', corpus, '--policy', 'arm64-nvhe/arm64-dirty-2015', '--junit', junit);
    expect(r.err).toBe('');
    expect(r.code).toBe(5);
    expect(r.out).toMatch(/dirty\.json\s+arm64-nvhe\/arm64-dirty-2015\s+held\s+-\s+7\/7/);
    expect(r.out).toMatch(/trfcr\.json\s+arm64-nvhe\/arm64-dirty-2015\s+diverged\s+-\s+1\/2/);
    expect(r.out).toContain('2 traces: 1 held (fixed), 0 still violated, 1 diverged (no longer apply)');
    expect(r.out).toContain('step 2 (RUN_LOOP_TRACE');
    const { root, suites } = readJunit(junit);
    expect(root).toMatchObject({ '@_tests': '2', '@_failures': '1', '@_errors': '0' });
    expect(suites[0]?.testcase.find((c) => c.failure)?.failure?.['@_type']).toBe('diverged');
  });

  it('--json: a summary and a result per trace', async () => {
    const r = await cli(
      'replay',
      join(corpus, 'dirty.json'),
      join(corpus, 'trfcr', 'trfcr.json'),
      '--policy',
      'arm64-nvhe/arm64-dirty-2015',
      '--json',
    );
    expect(r.code).toBe(5);
    const json = JSON.parse(r.out) as { command: string; summary: unknown; results: { verdict: string }[] };
    expect(json.command).toBe('replay');
    expect(json.summary).toEqual({ traces: 2, held: 1, violated: 0, diverged: 1 });
    expect(json.results.map((x) => x.verdict)).toEqual(['held', 'diverged']);
  });

  it('a single stale trace exits 5 too; a fixed one 0', async () => {
    expect((await cli('replay', join(corpus, 'trfcr', 'trfcr.json'), '--policy', 'arm64-nvhe/eager')).code).toBe(5);
    expect((await cli('replay', join(corpus, 'dirty.json'), '--policy', 'arm64-nvhe/arm64-dirty-2015')).code).toBe(0);
  });

  it('a directory without traces, or --html on a corpus, is one line and exit 2', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    for (const argv of [
      ['replay', empty],
      ['replay', corpus, '--html', join(dir, 'x.html')],
    ]) {
      const r = await cli(...argv);
      expect(r.code).toBe(2);
      expect(lines(r.err)).toHaveLength(1);
    }
  });
});

describe('shard plans', () => {
  const cover = (items: number, runs: number, n: number) => {
    const all = Array.from({ length: n }, (_, k) => shardUnits(items, runs, { index: k + 1, total: n })).flat();
    return Array.from({ length: items }, (_, item) =>
      all
        .filter((u) => u.item === item)
        .sort((a, b) => a.from - b.from)
        .map((u) => [u.from, u.to]),
    );
  };
  it('together, the shards run every run of every policy exactly once', () => {
    for (const [items, runs, n] of [
      [1, 1000, 4],
      [3, 400, 4],
      [29, 1000, 4],
      [2, 3, 8],
      [5, 10, 1],
    ] as const) {
      for (const slices of cover(items, runs, n)) {
        expect(slices[0]?.[0]).toBe(0);
        expect(slices.at(-1)?.[1]).toBe(runs);
        for (let i = 1; i < slices.length; i++) expect(slices[i]?.[0]).toBe(slices[i - 1]?.[1]);
      }
    }
  });
  it('deals whole policies when there are at least as many as shards', () => {
    expect(shardUnits(29, 1000, { index: 2, total: 4 }).map((u) => [u.item, u.from, u.to])).toEqual(
      [1, 5, 9, 13, 17, 21, 25].map((i) => [i, 0, 1000]),
    );
  });
  it('rejects a malformed --shard with one line', async () => {
    for (const bad of ['0/4', '5/4', '1/0', 'x', '1/4/2']) {
      const r = await cli('check', 'arm64-nvhe/eager', '--shard', bad);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/--shard takes K\/N/);
    }
  });
});

describe('merge', () => {
  it('a shard prints the same report every time (deterministic share)', async () => {
    const a = await cli('check', 'arm64-nvhe/arm64-dirty-2015-v2', 'armv7/eager', '--runs', '200', '--shard', '2/4');
    const b = await cli('check', 'arm64-nvhe/arm64-dirty-2015-v2', 'armv7/eager', '--runs', '200', '--shard', '2/4');
    expect(a.out).toBe(b.out);
    expect(a.out.length).toBeGreaterThan(0);
  });

  it('combines unsharded reports of different policies; the same policy twice is exit 2', async () => {
    const v2 = join(dir, 'plain-v2.json');
    const eager = join(dir, 'plain-eager.json');
    writeFileSync(v2, (await cli('check', 'arm64-nvhe/arm64-dirty-2015-v2', '--runs', '100', '--json')).out);
    writeFileSync(eager, (await cli('check', 'armv7/eager', 'x86-vmx/eager', '--runs', '50', '--json')).out);
    const r = await cli('merge', v2, eager);
    expect(r.code).toBe(1);
    expect(
      lines(r.out)
        .slice(0, 4)
        .map((l) => l.split(/\s+/).slice(0, 2).join(' ')),
    ).toEqual(['policy verdict', 'arm64-nvhe/arm64-dirty-2015-v2 violated', 'armv7/eager held', 'x86-vmx/eager held']);
    const twice = await cli('merge', v2, v2);
    expect(twice.code).toBe(2);
    expect(twice.err).toMatch(/arm64-nvhe\/arm64-dirty-2015-v2 is in both/);
  });

  it('refuses what is not a report of check or explore, with one line', async () => {
    const trace = join(dir, 'not-a-report.json');
    await cli('check', 'arm64-nvhe/arm64-dirty-2015-v2', '--runs', '100', '--out', trace);
    const list = join(dir, 'list.json');
    writeFileSync(list, (await cli('list', '--json')).out);
    const expected = [
      /is a saved trace \(--out\), not a report: replay it/,
      /command: merge combines reports of/,
      /does not exist/,
      /is not a JSON report/,
    ];
    for (const [i, file] of [trace, list, join(dir, 'missing.json'), join(process.cwd(), 'README.md')].entries()) {
      const r = await cli('merge', file);
      expect(r.code, file).toBe(2);
      expect(lines(r.err), file).toHaveLength(1);
      expect(r.err).toMatch(expected[i] as RegExp);
    }
  });
});

describe('explore --shard K/N, merged, equals one search', () => {
  it('the same verdicts, the same shortest counterexample lengths, and every state of the last level expanded once', async () => {
    const policies = ['arm64-nvhe/arm64-dirty-2015-v2', 'arm64-nvhe/arm64-dirty-2015', 'armv7/armv7-dirty-2015'];
    const one = await cli('explore', ...policies, '--depth', '4', '--quiet', '--json');
    expect(one.code).toBe(1);
    const files = [];
    for (const k of [1, 2, 3, 4]) {
      const r = await cli('explore', ...policies, '--depth', '4', '--quiet', '--json', '--shard', `${k}/4`);
      expect([0, 1]).toContain(r.code);
      const file = join(dir, `explore-shard-${k}.json`);
      writeFileSync(file, r.out);
      files.push(file);
    }
    const merged = await cli('merge', ...files, '--json');
    expect(merged.err).toBe('');
    expect(merged.code).toBe(1);
    type R = { policy: string; verdict: string; trace: unknown[]; depthCompleted: number; stats: { transitions: number } };
    const single = (JSON.parse(one.out) as { results: R[] }).results;
    const combined = (JSON.parse(merged.out) as { results: R[] }).results;
    expect(new Set(single.map((r) => r.verdict))).toEqual(new Set(['held', 'violated']));
    expect(combined.map((r) => [r.policy, r.verdict, r.trace.length, r.depthCompleted])).toEqual(
      single.map((r) => [r.policy, r.verdict, r.trace.length, r.depthCompleted]),
    );
    // The held policy: every shard repeats the search to depth 3, then the shards divide depth 4's transitions
    // with none done twice: together, one search's transitions plus three more copies of the part to depth 3.
    const held = single.findIndex((r) => r.verdict === 'held');
    const upper = await cli('explore', 'arm64-nvhe/arm64-dirty-2015', '--depth', '3', '--quiet', '--json');
    const t3 = (JSON.parse(upper.out) as R).stats.transitions;
    expect(combined[held]?.stats.transitions).toBe((single[held]?.stats.transitions ?? 0) + 3 * t3);
    const text = await cli('merge', ...files);
    expect(text.out).toMatch(
      /arm64-nvhe\/arm64-dirty-2015: held for every interleaving of at most 4 events \(exhaustive, the shards together\)/,
    );
    expect(text.out).toMatch(/split at depth 3 \([\d,]+ states\) into 4 shards/);
    // The domain as one search prints it: the options that are off dropped, the configuration named.
    const domain = (await cli('explore', 'arm64-nvhe/arm64-dirty-2015', '--depth', '1')).out.split('\n')[1] ?? '';
    expect(text.out).toContain(`${domain}\n`);
    expect(domain).toMatch(/^ {2}domain: .*; cpus=2 vcpus=1 brps=6 wrps=4$/);
  }, 300_000);

  it('a shard that holds says its part holds, never that the search was exhaustive (shard 1/2 of armv7-none is violated)', async () => {
    const other = await cli('explore', 'armv7/armv7-none', '--depth', '2', '--shard', '1/2');
    expect(other.code).toBe(1);
    const r = await cli('explore', 'armv7/armv7-none', '--depth', '2', '--shard', '2/2');
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe(
      "armv7/armv7-none: held in this shard's part: the interleavings of at most 2 events through its states (not exhaustive alone)",
    );
    expect(r.out).not.toContain('exhaustive, breadth-first');
  });

  it('--shard 1/1 is the whole search: exhaustive', async () => {
    const r = await cli('explore', 'armv7/eager', '--depth', '3', '--shard', '1/1');
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe('armv7/eager: held for every interleaving of at most 3 events (exhaustive, breadth-first)');
  });
});

describe('conventions', () => {
  it('--version prints the package version', async () => {
    const r = await cli('--version');
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });

  it('list --json names every policy and invariant', async () => {
    const r = await cli('list', '--json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out) as { command: string; policies: { name: string }[]; architectures: { id: string }[] };
    expect(json.command).toBe('list');
    expect(json.policies.map((p) => p.name)).toEqual(policies.map((p) => `${p.arch}/${p.name}`));
  });

  it('every command accepts --quiet', async () => {
    const trace = join(dir, 'quiet.json');
    expect((await cli('check', 'arm64-nvhe/arm64-dirty-2015-v2', '--runs', '50', '--quiet', '--out', trace)).code).toBe(1);
    for (const argv of [
      ['list', '--quiet'],
      ['cost', 'arm64-nvhe/eager', '--rounds', '2', '--quiet'],
      ['explore', 'arm64-nvhe/eager', '--depth', '2', '--quiet'],
      ['replay', trace, '--quiet'],
    ]) {
      const r = await cli(...argv);
      expect(r.err, argv.join(' ')).toBe('');
      expect([0, 1]).toContain(r.code);
    }
  });

  it('cost --json says command: "cost"', async () => {
    const r = await cli('cost', 'arm64-nvhe/eager', '--rounds', '2', '--json');
    expect(JSON.parse(r.out)).toMatchObject({ reportVersion: 1, command: 'cost' });
  });

  it('a directory argument checks every policy file in it, skipping helpers and tests', async () => {
    const policiesDir = join(dir, 'policies');
    mkdirSync(policiesDir, { recursive: true });
    const src = readFileSync('test/fixtures/throwing-policy.ts', 'utf8').replace(
      "'../../src/engine/policy.js'",
      `'${join(process.cwd(), 'src/engine/policy.js')}'`,
    );
    writeFileSync(join(policiesDir, 'a-throwing.ts'), src);
    writeFileSync(join(policiesDir, 'helper.ts'), 'export const two = 2;\n');
    writeFileSync(join(policiesDir, 'a-throwing.test.ts'), 'throw new Error("a test file must not be loaded as a policy");\n');
    const r = await cli('check', policiesDir, '--runs', '20');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^arm64-nvhe\/throwing: violated policy-total/);
    const none = join(dir, 'no-policies');
    mkdirSync(none, { recursive: true });
    writeFileSync(join(none, 'helper.ts'), 'export const two = 2;\n');
    const e = await cli('check', none);
    expect(e.code).toBe(2);
    expect(e.err).toMatch(/holds no file that exports a policy/);
    const missing = await cli('check', join(dir, 'no-such-dir/'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/^worldswitch: Directory .*no-such-dir\/ does not exist\.\n$/);
  });

  it('the status line is cut to the terminal width', () => {
    const long = 'x'.repeat(200);
    expect(fitLine(long, 80)).toHaveLength(79);
    expect(fitLine(long, 80).endsWith('…')).toBe(true);
    expect(fitLine('short', 80)).toBe('short');
    expect(fitLine(long, undefined)).toBe(long);
  });
});
