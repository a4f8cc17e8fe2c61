/**
 * `merge` takes the shards of one `check --shard` run only. When every shard holds whole policies,
 * shards of two runs (another policy list, seed, --runs or model flag) used to merge without a word:
 * a policy of the list could go unchecked while the merged verdict said held.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './cli-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'worldswitch-merge-'));

/** `check … --shard K/2 --json` of `policies` with `flags`, saved; returns the file. */
async function shard(name: string, k: number, policies: string[], ...flags: string[]): Promise<string> {
  const r = await cli('check', ...policies, '--runs', '60', '--workers', '1', '--shard', `${k}/2`, '--json', ...flags);
  const file = join(dir, `${name}.json`);
  writeFileSync(file, r.out);
  return file;
}

describe('merge refuses shards of different runs', () => {
  const list = ['armv7/eager', 'armv7/armv7-none'];

  it('the two shards of one run merge, and the violated policy is in the verdict', async () => {
    const r = await cli('merge', await shard('a1', 1, list), await shard('a2', 2, list));
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/armv7\/armv7-none\s+violated/);
  });

  it.each([
    ['another policy order (a policy listed twice, one never checked)', ['armv7/armv7-none', 'armv7/eager'], [], /policy lists differ/],
    ['another policy list', ['armv7/eager', 'x86-vmx/eager'], [], /policy lists differ/],
    ['another seed', list, ['--seed', '5'], /--seed, --runs or --max-steps differ/],
    ['another model flag', list, ['--cpus', '3'], /model flags for armv7 differ/],
  ])('with %s: exit 2, one line', async (_what, policies, flags, says) => {
    const first = await shard('b1', 1, list);
    const r = await cli('merge', first, await shard('b2', 2, policies, ...flags));
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(says);
  });

  it('reports written before shards named their policy list: a policy at two places is caught', async () => {
    const strip = (file: string): string => {
      const json = JSON.parse(readFileSync(file, 'utf8')) as { shard: Record<string, unknown> };
      delete json.shard.selection;
      const out = `${file}.old.json`;
      writeFileSync(out, JSON.stringify(json));
      return out;
    };
    const r = await cli('merge', strip(await shard('c1', 1, list)), strip(await shard('c2', 2, ['armv7/armv7-none', 'armv7/eager'])));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/armv7\/eager is policy #1 in one and #2 in the other/);
  });
});

describe('merge names the export of a policy file that holds several', () => {
  it('the merged replay command is file.ts#export, which runs that policy alone', async () => {
    const file = join(dir, 'two-policies.ts');
    const api = (p: string) => JSON.stringify(join(process.cwd(), p));
    writeFileSync(
      file,
      [
        `import { definePolicy } from ${api('src/engine/policy.js')};`,
        `import eager from ${api('models/arm64-nvhe/policies/eager.js')};`,
        "export const ok = definePolicy({ name: 'ok', arch: 'arm64-nvhe', hooks: eager.hooks });",
        "export const buggy = definePolicy({ name: 'buggy', arch: 'arm64-nvhe', hooks: { ...eager.hooks, guestExit() {} } });",
        '',
      ].join('\n'),
    );
    const shards = [];
    for (const k of [1, 2]) {
      const r = await cli('check', file, '--runs', '60', '--workers', '1', '--shard', `${k}/2`, '--json');
      const out = join(dir, `exports-${k}.json`);
      writeFileSync(out, r.out);
      shards.push(out);
    }
    const merged = await cli('merge', ...shards);
    expect(merged.code, merged.err).toBe(1);
    const replay = merged.out.split('\n').find((l) => l.startsWith('Replay: '));
    expect(replay).toMatch(new RegExp(`^Replay: npx worldswitch check ${file.replace(/[.]/g, '\\.')}#buggy --seed 1 `));
    // The command reproduces the counterexample alone: no sibling policy, no "--path reproduced no violation".
    const again = await cli(...(replay as string).replace('Replay: npx worldswitch ', '').split(' '));
    expect(again.code).toBe(1);
    expect(again.err).toBe('');
  });
});
