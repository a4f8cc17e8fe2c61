/**
 * worldswitch in CI, as separate processes: `check --shard K/N` run as 4 processes and merged gives
 * the verdicts of one process, and the README's CI workflows run from a fresh project that installs
 * the packed package (`npm pack`, then `npm install` of the tarball in a temporary directory).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'worldswitch-ci-proc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  const build = spawnSync('npx', ['tsc', '-p', '.'], { cwd: root, encoding: 'utf8' });
  expect(build.status, build.stdout + build.stderr).toBe(0);
});

/** Runs a command line in a shell (as a CI step does); resolves with its exit code and output. */
function sh(command: string, cwd: string, env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done) => {
    const child = spawn('bash', ['-c', command], { cwd, env: { ...process.env, CI: 'true', ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => done({ code: code ?? -1, out, err }));
  });
}

const bin = `${JSON.stringify(process.execPath)} ${JSON.stringify(join(root, 'bin/worldswitch.js'))}`;

interface Report {
  policy: string;
  arch: string;
  verdict: string;
  invariant: string | null;
  runs: number;
  trace: unknown[];
  shard?: { from: number };
}

/** Counts of a JUnit file as a CI server reads them. */
function junitCounts(file: string): { tests: number; failures: number; errors: number; cases: number } {
  const doc = new XMLParser({ ignoreAttributes: false, isArray: (n) => n === 'testsuite' || n === 'testcase' }).parse(
    readFileSync(file, 'utf8'),
    true,
  ) as { testsuites: { '@_tests': string; '@_failures': string; '@_errors': string; testsuite: { testcase: unknown[] }[] } };
  const t = doc.testsuites;
  return {
    tests: Number(t['@_tests']),
    failures: Number(t['@_failures']),
    errors: Number(t['@_errors']),
    cases: t.testsuite.reduce((n, s) => n + s.testcase.length, 0),
  };
}

describe('check --shard K/N as 4 processes, merged, equals one process', () => {
  const scenarios: [string, string[], number][] = [
    // Fewer policies than shards: each policy's runs are split into slices across the shards.
    ['3 policies, runs split', ['arm64-nvhe/arm64-dirty-2015-v2', 'arm64-nvhe/arm64-dirty-2015', 'x86-vmx/x86-lazy-2014'], 300],
    // At least as many policies as shards: whole policies are dealt out.
    [
      '6 policies, dealt whole',
      [
        'arm64-nvhe/arm64-dirty-2015-v2',
        'arm64-nvhe/arm64-dirty-2015',
        'armv7/armv7-dirty-2015',
        'ppc-booke/ppc-booke-gdb-2008',
        'x86-vmx/x86-lazy-2014',
        'armv7/eager',
      ],
      300,
    ],
  ];
  it.each(scenarios)(
    '%s',
    async (name, policies, runs) => {
      const work = join(dir, name.replace(/\W+/g, '-'));
      mkdirSync(work, { recursive: true });
      const args = `${policies.join(' ')} --runs ${runs} --quiet`;
      const [one, ...shards] = await Promise.all([
        sh(`${bin} check ${args} --json --junit one.xml > one.json`, work),
        ...[1, 2, 3, 4].map((k) => sh(`${bin} check ${args} --shard ${k}/4 --json > shard-${k}.json`, work)),
      ]);
      expect(one?.code, one?.err).toBe(1);
      for (const s of shards) expect([0, 1], s.err).toContain(s.code);
      const merged = await sh(`${bin} merge shard-1.json shard-2.json shard-3.json shard-4.json --json --junit merged.xml`, work);
      expect(merged.err).toBe('');
      expect(merged.code).toBe(one?.code);
      const single = (JSON.parse(readFileSync(join(work, 'one.json'), 'utf8')) as { results: Report[] }).results;
      const combined = (JSON.parse(merged.out) as { command: string; results: Report[] }).results;
      // The set holds both held and violated policies, and every verdict is the same.
      expect(new Set(single.map((r) => r.verdict))).toEqual(new Set(['held', 'violated']));
      expect(combined.map((r) => `${r.arch}/${r.policy} ${r.verdict}`)).toEqual(single.map((r) => `${r.arch}/${r.policy} ${r.verdict}`));
      const pieces = [1, 2, 3, 4].flatMap(
        (k) => (JSON.parse(readFileSync(join(work, `shard-${k}.json`), 'utf8')) as { results: Report[] }).results,
      );
      single.forEach((s, i) => {
        const m = combined[i] as Report;
        if (s.verdict === 'held')
          expect(m.runs).toBe(runs); // every run was run, once
        else {
          // The shard holding one process's first failing run shrinks it to the very same counterexample,
          // so merge's shortest is at most as long.
          const same = pieces.find(
            (p) => p.policy === s.policy && p.arch === s.arch && JSON.stringify(p.trace) === JSON.stringify(s.trace),
          );
          expect(same, `${s.arch}/${s.policy}`).toBeDefined();
          expect(m.trace.length).toBeLessThanOrEqual(s.trace.length);
        }
      });
      // JUnit of the merge counts what one process's does.
      expect(junitCounts(join(work, 'merged.xml'))).toEqual(junitCounts(join(work, 'one.xml')));
    },
    180_000,
  );

  it('refuses to merge with a shard missing or given twice (exit 2, one line)', async () => {
    const work = join(dir, '3-policies-runs-split');
    for (const files of ['shard-1.json shard-2.json shard-3.json', 'shard-1.json shard-2.json shard-3.json shard-3.json shard-4.json']) {
      const r = await sh(`${bin} merge ${files}`, work);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(/Shard.* (missing|given twice)/);
    }
  });
});

/** The fenced blocks of the README's "worldswitch in CI" section. */
function ciBlocks(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## worldswitch in CI'), readme.indexOf('\n## ', readme.indexOf('## worldswitch in CI') + 1));
  return [...section.matchAll(/```\w*\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

/** The `npx worldswitch …` command of each step of a workflow block (`- run: …` or a `script:` item). */
const commandsOf = (block: string): string[] =>
  [...block.matchAll(/^\s*(?:- )?(?:run: )?(npx worldswitch .*)$/gm)].map((m) => (m[1] as string).trim());

describe('the README workflows, from a fresh project that installs the packed package', () => {
  const project = join(dir, 'kernel-policies');
  beforeAll(async () => {
    const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: root, encoding: 'utf8' });
    expect(pack.status, pack.stderr).toBe(0);
    const tarball = join(dir, pack.stdout.trim().split('\n').at(-1) as string);
    mkdirSync(join(project, 'policies'), { recursive: true });
    mkdirSync(join(project, 'traces'), { recursive: true });
    writeFileSync(
      join(project, 'package.json'),
      `${JSON.stringify({ name: 'kernel-policies', private: true, type: 'module' }, null, 2)}\n`,
    );
    const install = await sh(`npm install --prefer-offline --no-audit --no-fund --save-dev ${JSON.stringify(tarball)}`, project);
    expect(install.code, install.err).toBe(0);
    // The policy of the README's "Writing your own policy", verbatim.
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const policy = /```ts\n(\/\/ my-policy\.ts\n[\s\S]*?)```/.exec(readme)?.[1];
    expect(policy).toBeDefined();
    writeFileSync(join(project, 'policies', 'my-policy.ts'), policy as string);
    const saved = await sh('npx worldswitch check policies/my-policy.ts --quiet --out traces/mdscr.json', project);
    expect(saved.code, saved.err).toBe(1);
  }, 600_000);

  it('GitHub Actions and GitLab CI: check policies/ and replay traces/, with JUnit and annotations', async () => {
    const [github, gitlab] = ciBlocks();
    const steps = commandsOf(github ?? '');
    expect(steps).toHaveLength(2);
    expect(commandsOf(gitlab ?? '')).toEqual(steps);
    const [check, replay] = await Promise.all(steps.map((c) => sh(c, project, { GITHUB_ACTIONS: 'true' })));
    // mdscr-only switches MDSCR_EL1 and nothing else: it is violated, and so is its saved trace.
    expect(check?.code, check?.err).toBe(1);
    expect(check?.err).toMatch(/^::error file=policies\/my-policy\.ts,line=\d+,title=worldswitch%3A arm64-nvhe\/mdscr-only violated /m);
    expect(junitCounts(join(project, 'worldswitch.xml'))).toEqual({ tests: 1, failures: 1, errors: 0, cases: 1 });
    expect(replay?.code, replay?.err).toBe(1);
    expect(replay?.out).toMatch(/traces\/mdscr\.json\s+arm64-nvhe\/mdscr-only\s+violated/);
    expect(junitCounts(join(project, 'regressions.xml'))).toEqual({ tests: 1, failures: 1, errors: 0, cases: 1 });
  }, 180_000);

  it('the sharded matrix and its merge job', async () => {
    const matrix = ciBlocks().find((b) => b.includes('matrix'));
    // GitHub's expression syntax, written out literally (not a JavaScript template).
    const placeholder = ['$', '{{ matrix.shard }}'].join('');
    const [shard, merge] = commandsOf(matrix ?? '');
    expect(shard).toContain(`--shard ${placeholder}/4`);
    // Fewer runs than the README's, to keep the test short; everything else as written.
    const runs = await Promise.all(
      [1, 2, 3, 4].map((k) => sh((shard as string).replaceAll(placeholder, String(k)).replace(/--runs \d+/, '--runs 400'), project)),
    );
    for (const r of runs) expect(r.code, r.err).toBe(0); // `|| test $? -eq 1`: a violation hands its report on
    mkdirSync(join(project, 'reports'), { recursive: true });
    for (const f of readdirSync(project).filter((f) => /^shard-\d\.json$/.test(f)))
      renameSync(join(project, f), join(project, 'reports', f));
    const merged = await sh(merge as string, project);
    expect(merged.code, merged.err).toBe(1);
    expect(merged.out).toMatch(/^arm64-nvhe\/mdscr-only\s+violated\s+\S+\s+\d+\s+\d+$/m);
    expect(merged.out).toMatch(/Replay: npx worldswitch check policies\/my-policy\.ts --seed 1 --path \d+/);
    expect(junitCounts(join(project, 'worldswitch.xml'))).toMatchObject({ tests: 1, failures: 1 });
  }, 180_000);

  it('GNU parallel on one machine (its loop, where parallel is not installed)', async () => {
    const block = ciBlocks().find((b) => b.includes('parallel '));
    const [line, merge] = (block ?? '').trim().split('\n');
    const job = /^parallel '(.*)' ::: 1 2 3 4$/.exec(line ?? '')?.[1];
    expect(job).toBeDefined();
    const command = (job as string).replace(/--runs \d+/, '--runs 400');
    await Promise.all([1, 2, 3, 4].map((k) => sh(command.replaceAll('{}', String(k)), project)));
    const merged = await sh(merge as string, project);
    expect(merged.code, merged.err).toBe(1);
    expect(merged.out).toMatch(/^arm64-nvhe\/mdscr-only\s+violated/m);
  }, 180_000);
});
