/**
 * The README's policy-author path, verbatim, from outside this clone: `npm pack` this package,
 * install the tarball into fresh ES-module and CommonJS projects (`--prefer-offline`), write the
 * README's code blocks there unchanged, and run them as the README says (`worldswitch check`, the
 * user's own `tsc`, `vitest`). Every name the README's API table lists is imported from the
 * installed entry points. Needs the build (`npx tsc -p .`, which `npm test` runs first).
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  devDependencies: Record<string, string>;
  dependencies: Record<string, string>;
};

/** The README code block whose first line is `firstLine`, verbatim. */
function block(firstLine: string): string {
  const at = README.indexOf(`\n${firstLine}\n`);
  if (at < 0) throw new Error(`README has no code block starting with ${firstLine}`);
  const end = README.indexOf('\n```', at + 1);
  return README.slice(at + 1, end + 1);
}

/** The README's API table: entry point -> names. */
function apiTable(): Map<string, string[]> {
  const table = new Map<string, string[]>();
  for (const line of README.split('\n')) {
    const m = /^\| `(worldswitch(?:\/[a-z0-9-]+)?)` \| (.+) \|$/.exec(line);
    if (m?.[1] && m[2])
      table.set(
        m[1],
        [...m[2].matchAll(/`([A-Za-z_$][\w$]*)`/g)].map((n) => n[1] as string),
      );
  }
  return table;
}

// A child vitest or npm must not think it runs inside this one.
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'NODE_OPTIONS' && k !== 'TEST'),
);
const run = (cwd: string, cmd: string, ...args: string[]): SpawnSyncReturns<string> =>
  spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 240_000 });
/** Text without ANSI colour codes. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape character is the point.
const plain = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');
const ok = (r: SpawnSyncReturns<string>): string => {
  if (r.status !== 0) throw new Error(`${r.stdout}\n${r.stderr}`);
  return r.stdout;
};

const dir = mkdtempSync(join(tmpdir(), 'ws-pack-'));
const esm = join(dir, 'esm');
const cjs = join(dir, 'cjs');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/src/index.js'))) throw new Error('dist/ is missing: run `npx tsc -p .` first (npm test does).');
  ok(run(ROOT, 'npm', 'pack', '--ignore-scripts', '--silent', '--pack-destination', dir));
  const tarball = join(dir, `worldswitch-${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}.tgz`);
  const install = [
    'install',
    '-D',
    '--prefer-offline',
    '--no-audit',
    '--no-fund',
    '--silent',
    tarball,
    `typescript@${pkg.dependencies.typescript}`,
  ];
  mkdirSync(esm);
  writeFileSync(join(esm, 'package.json'), '{ "name": "my-kernel-checks", "private": true, "type": "module" }\n');
  ok(run(esm, 'npm', ...install, `vitest@${pkg.devDependencies.vitest}`));
  mkdirSync(cjs);
  writeFileSync(join(cjs, 'package.json'), '{ "name": "my-kernel-checks-cjs", "private": true }\n');
  ok(run(cjs, 'npm', ...install));
  for (const d of [esm, cjs]) {
    writeFileSync(join(d, 'my-policy.ts'), block('// my-policy.ts'));
    writeFileSync(join(d, 'tsconfig.json'), block('// tsconfig.json'));
  }
  writeFileSync(
    join(esm, 'my-policy.test.ts'),
    block('// my-policy.test.ts  (in your project, next to my-policy.ts: npx vitest run my-policy.test.ts)'),
  );
  writeFileSync(join(cjs, 'my-policy.cjs'), block('// my-policy.cjs'));
}, 600_000);

describe('an ES-module project that installed the packed tarball', () => {
  it('checks the README policy file as the README says (exit 1, host-breakpoints-preserved)', () => {
    const r = run(esm, 'npx', 'worldswitch', 'check', './my-policy.ts', '--quiet');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^arm64-nvhe\/mdscr-only: violated host-breakpoints-preserved\n/);
  });

  it("type-checks the README policy file with the user's own tsc", () => {
    const r = run(esm, 'npx', 'tsc', '-p', '.');
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('runs the README vitest file as written: the first three tests fail, the last passes', () => {
    const r = run(esm, 'npx', 'vitest', 'run', 'my-policy.test.ts');
    const out = plain(r.stdout + r.stderr);
    expect(out).toMatch(/Tests\s+3 failed \| 1 passed \(4\)/);
    expect(out).toMatch(/PolicyViolation: arm64-nvhe\/mdscr-only: violated host-breakpoints-preserved/);
    expect(r.status).toBe(1);
  });

  it("imports every name of the README's API table from the installed entry points", () => {
    const table = apiTable();
    expect([...table.keys()].sort()).toEqual(
      [
        'worldswitch',
        'worldswitch/arm64-nvhe',
        'worldswitch/arm64-vhe',
        'worldswitch/armv7',
        'worldswitch/ppc-booke',
        'worldswitch/vitest',
        'worldswitch/x86',
      ].sort(),
    );
    // One file per entry point (several export a KVM_GUESTDBG_ENABLE); `import type` takes values and types alike.
    const files = [...table].map(([entry, names], i) => {
      writeFileSync(join(esm, `api-names-${i}.ts`), `import type { ${names.join(', ')} } from '${entry}';\n`);
      return `api-names-${i}.ts`;
    });
    writeFileSync(join(esm, 'tsconfig.api.json'), JSON.stringify({ extends: './tsconfig.json', include: files }));
    const r = run(esm, 'npx', 'tsc', '-p', 'tsconfig.api.json');
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('a CommonJS project that installed the packed tarball', () => {
  it('checks the README CommonJS policy (require) and the TypeScript one', () => {
    const a = run(cjs, 'npx', 'worldswitch', 'check', './my-policy.cjs', '--quiet');
    expect(a.status).toBe(1);
    expect(a.stdout).toMatch(/^arm64-nvhe\/mdscr-only-cjs: violated host-breakpoints-preserved\n/);
    const b = run(cjs, 'npx', 'worldswitch', 'check', './my-policy.ts', '--quiet');
    expect(b.status).toBe(1);
    expect(b.stdout).toMatch(/^arm64-nvhe\/mdscr-only: violated host-breakpoints-preserved\n/);
  });

  it("type-checks the README policy file with the user's own tsc", () => {
    const r = run(cjs, 'npx', 'tsc', '-p', '.');
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
