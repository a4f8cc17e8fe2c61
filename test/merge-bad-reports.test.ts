/**
 * `merge` takes what `check --json` and `explore --json` write, and nothing they cannot write: a
 * hand-edited report with an impossible value (negative runs or events, a fractional or
 * out-of-range seed, shard 3/2, a policy past the envelope's count, a slice outside its runs, a
 * completed depth past the depth) is one line naming the file and the field, exit 2, never merged.
 * The real shard reports it is made from merge, so the checks refuse nothing real.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, lines } from './cli-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'worldswitch-merge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `argv --json --shard K/N` for every K, writes each report to `<name>-K.json`; returns the files. */
async function shards(name: string, n: number, argv: string[]): Promise<string[]> {
  const files = [];
  for (let k = 1; k <= n; k++) {
    const r = await cli(...argv, '--quiet', '--json', '--shard', `${k}/${n}`);
    expect([0, 1], r.err).toContain(r.code);
    const file = join(dir, `${name}-${k}.json`);
    writeFileSync(file, r.out);
    files.push(file);
  }
  return files;
}

/** A report's JSON, as far as the edits below reach into it. */
interface Result {
  [field: string]: unknown;
  stats: Record<string, unknown>;
  shard: Record<string, unknown> & { split: Record<string, unknown> };
  violation: Record<string, unknown> | null;
}
type Json = { shard: Record<string, unknown>; results: Result[] };
const POLICIES = ['arm64-nvhe/arm64-dirty-2015-v2', 'armv7/eager'];
let check: string[] = [];
let explore: string[] = [];
beforeAll(async () => {
  // Three shards of two policies: each policy cut into two slices of its runs, one violated.
  check = await shards('check', 3, ['check', ...POLICIES, '--runs', '300']);
  explore = await shards('explore', 2, ['explore', ...POLICIES, '--depth', '3']);
}, 120_000);

describe('real shard reports merge', () => {
  it('check --shard K/3 and explore --shard K/2 reports, as written', async () => {
    const c = await cli('merge', ...check, '--json');
    expect(c.err).toBe('');
    expect(c.code).toBe(1);
    expect((JSON.parse(c.out) as Json).results.map((r) => [r.verdict, r.runs])).toEqual([
      ['violated', expect.any(Number)],
      ['held', 300],
    ]);
    const e = await cli('merge', ...explore);
    expect(e.err).toBe('');
    expect(e.code).toBe(0);
  });
});

/** A copy of `file` with `edit` applied, named after `name`. */
function edited(file: string, name: string, edit: (j: Json) => void): string {
  const json = JSON.parse(readFileSync(file, 'utf8')) as Json;
  edit(json);
  const out = join(dir, `bad-${name}.json`);
  writeFileSync(out, JSON.stringify(json));
  return out;
}

const first = (j: Json) => j.results[0] as Result;

describe('an impossible value is one line naming the file and the field, exit 2', () => {
  it.each<[string, 'check' | 'explore', (j: Json) => void, RegExp]>([
    ['negative runs', 'check', (j) => void (first(j).runs = -5), /results\[0\]\.runs: Too small: expected number to be >=0 \(got -5\)/],
    ['more runs than the slice', 'check', (j) => void (first(j).runs = 100_000), /results\[0\]\.runs: 100000 runs in a slice of \d+/],
    ['negative events', 'check', (j) => void (first(j).stats.events = -1), /results\[0\]\.stats\.events: Too small/],
    ['negative milliseconds', 'check', (j) => void (first(j).stats.ms = -1), /results\[0\]\.stats\.ms: Too small/],
    ['a fractional seed', 'check', (j) => void (first(j).seed = 1.5), /results\[0\]\.seed: Invalid input: expected int/],
    ['a seed past --seed', 'check', (j) => void (first(j).seed = 2 ** 40), /results\[0\]\.seed: Too big/],
    ['maxSteps 0', 'check', (j) => void (first(j).maxSteps = 0), /results\[0\]\.maxSteps: Too small/],
    ['shard 4/3', 'check', (j) => void (j.shard.index = 4), /shard\.index: shard 4\/3: the shard number is larger/],
    [
      'a policy past the count',
      'check',
      (j) => void (first(j).shard.item = 7),
      /results\[0\]\.shard\.item: policy #8 of a report over 2 policies/,
    ],
    [
      'a slice that ends before it starts',
      'check',
      (j) => void Object.assign(first(j).shard, { from: 250, to: 100 }),
      /results\[0\]\.shard\.to: runs 250 up to 100 of 300/,
    ],
    ['a slice past the runs', 'check', (j) => void (first(j).shard.to = 301), /results\[0\]\.shard\.to: runs \d+ up to 301 of 300/],
    [
      'a result without its shard',
      'check',
      (j) => void delete (first(j) as Partial<Result>).shard,
      /results\[0\]\.shard: missing: every result of a sharded report/,
    ],
    [
      'a negative violation step',
      'check',
      (j) => void (((j.results.find((r) => r.violation) as Result).violation as Record<string, unknown>).step = -2),
      /\.violation\.step: Too small/,
    ],
    [
      'a completed depth past the depth',
      'explore',
      (j) => void (first(j).depthCompleted = 9),
      /results\[0\]\.depthCompleted: 9 is deeper than depth 3/,
    ],
    ['negative states', 'explore', (j) => void (first(j).stats.states = -10), /results\[0\]\.stats\.states: Too small/],
    ['shard 5/2', 'explore', (j) => void (j.shard.index = 5), /shard\.index: shard 5\/2/],
    [
      'more states owned than the split has',
      'explore',
      (j) => void (first(j).shard.split.owned = 10_000),
      /results\[0\]\.shard\.split\.owned: 10000 states owned of a split \d+ wide/,
    ],
    [
      'a result of another shard',
      'explore',
      (j) => void (first(j).shard.index = 2),
      /results\[0\]\.shard: shard 2\/2 in a report of shard 1\/2/,
    ],
  ])('%s (%s)', async (name, command, edit, says) => {
    const files = command === 'check' ? check : explore;
    const bad = edited(files[0] as string, name.replace(/\W+/g, '-'), edit);
    const r = await cli('merge', bad, ...files.slice(1));
    expect(r.code, r.err).toBe(2);
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toMatch(new RegExp(`^worldswitch: ${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `));
    expect(r.err).toMatch(says);
  });
});
