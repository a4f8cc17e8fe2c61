/**
 * `explore --workers N` (issue 19): the parallel breadth-first search gives the result of one
 * thread, field for field: state counts (the pinned 40,051 at depth 6 without symmetry), verdicts,
 * the counterexample itself, the `--max-states` cut and `--shard` shares. `minWidth: 1` sends every
 * level to the workers, so small searches exercise the merge at every depth.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { architectures, policies } from '../models/catalog.js';
import { invariantsFor } from '../properties/suites.js';
import { type ExploreOptions, type ExploreResult, explore } from '../src/searches/explore.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Runs the compiled CLI (`bin/worldswitch.js`; `npm test` builds dist/ first) in its own process:
 * in-process, the search's worker threads would load TypeScript through tsx inside a tsx worker.
 */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  if (!existsSync(`${root}dist/src/cli/cli.js`)) throw new Error('dist/ is not built: run `npx tsc -p .` (npm test does)');
  const r = spawnSync(process.execPath, [`${root}bin/worldswitch.js`, ...args], { cwd: root, encoding: 'utf8', timeout: 200_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** Explores a built-in policy with `workers` threads (every level parallel when more than one); also returns how many levels went to workers. */
function run(
  id: string,
  depth: number,
  workers: number,
  more: Partial<ExploreOptions> = {},
): { result: ExploreResult; parallelLevels: number } {
  const [archId, name] = id.split('/') as [string, string];
  const arch = architectures.find((a) => a.id === archId);
  const policy = policies.find((p) => p.arch === archId && p.name === name);
  if (!arch || !policy) throw new Error(`no ${id}`);
  const invariants = invariantsFor(arch.id);
  let parallelLevels = 0;
  const result = explore(policy, {
    arch,
    invariants,
    depth,
    ...more,
    parallel: {
      workers,
      minWidth: 1,
      policy: { policy: name, arch: archId, invariants: invariants.map((i) => i.name), config: more.config ?? {} },
      onParallelLevel: () => {
        parallelLevels++;
      },
    },
  });
  return { result, parallelLevels };
}

/** The same search with one worker and with two: two must have gone parallel and agree in every field. */
function expectSameWithTwoWorkers(id: string, depth: number, more: Partial<ExploreOptions> = {}): ExploreResult {
  const one = run(id, depth, 1, more);
  const two = run(id, depth, 2, more);
  expect(one.parallelLevels).toBe(0);
  expect(two.parallelLevels).toBeGreaterThan(0);
  expect(JSON.stringify(two.result)).toBe(JSON.stringify(one.result));
  return one.result;
}

describe('explore with several workers gives the result of one', () => {
  it('keeps the pinned 40,051 states of arm64-dirty-2015 at depth 6 without symmetry', () => {
    const r = expectSameWithTwoWorkers('arm64-nvhe/arm64-dirty-2015', 6, { symmetry: false });
    expect(r.states).toBe(40_051);
    expect(r.verdict).toBe('held');
  }, 180_000);

  it('keeps the state count with CPU symmetry (states stored in canonical CPU order)', () => {
    const r = expectSameWithTwoWorkers('arm64-nvhe/arm64-dirty-2015', 6);
    expect(r.states).toBeLessThan(40_051);
  }, 180_000);

  it('finds the same shortest counterexample of a violated arm64-nvhe policy', () => {
    const r = expectSameWithTwoWorkers('arm64-nvhe/arm64-dirty-2015-v2', 8);
    expect(r.verdict).toBe('violated');
    expect(r.trace.length).toBeGreaterThan(0);
  }, 180_000);

  it('keeps the verdict and counts of a held ppc-booke policy', () => {
    const r = expectSameWithTwoWorkers('ppc-booke/ppc-booke-2014-fixed', 8);
    expect(r.verdict).toBe('held');
  }, 180_000);

  it('keeps the verdict and counts of a held x86-vmx policy without symmetry', () => {
    const r = expectSameWithTwoWorkers('x86-vmx/x86-lazy-2014-fixed', 6, { symmetry: false });
    expect(r.verdict).toBe('held');
  }, 180_000);

  it('finds the same shortest counterexample of a violated x86-vmx policy', () => {
    const r = expectSameWithTwoWorkers('x86-vmx/x86-lazy-2014', 8);
    expect(r.verdict).toBe('violated');
  }, 180_000);

  it('finds the same shortest counterexample of a violated armv7 policy without symmetry', () => {
    const r = expectSameWithTwoWorkers('armv7/armv7-dirty-2015', 6, { symmetry: false });
    expect(r.verdict).toBe('violated');
  }, 180_000);

  it('cuts --max-states at the same state and transition', () => {
    const r = expectSameWithTwoWorkers('arm64-nvhe/arm64-dirty-2015', 6, { symmetry: false, maxStates: 3001 });
    expect(r).toMatchObject({ verdict: 'held-so-far', stoppedBy: 'max-states', states: 3001 });
  }, 180_000);

  it('expands the same share of the last level with --shard', () => {
    const r = expectSameWithTwoWorkers('arm64-nvhe/arm64-dirty-2015', 5, { symmetry: false, shard: { index: 2, total: 3 } });
    expect(r.split?.owned).toBeGreaterThan(0);
  }, 180_000);
});

describe('explore --por with several workers gives the result of one', () => {
  it('keeps the states and the pinned transitions and pruned transitions of arm64-dirty-2015 at depth 6 without symmetry', () => {
    const r = expectSameWithTwoWorkers('arm64-nvhe/arm64-dirty-2015', 6, { symmetry: false, por: true });
    expect(r).toMatchObject({ verdict: 'held', states: 40_051, transitions: 275_560, pruned: 92_498 });
  }, 180_000);

  it('keeps the states and transitions with CPU symmetry (sleep sets renumbered with the CPU order)', () => {
    const r = expectSameWithTwoWorkers('arm64-nvhe/arm64-dirty-2015', 7, { por: true });
    expect(r.states).toBe(67_563);
    expect(r.pruned).toBeGreaterThan(0);
  }, 180_000);

  it('finds the same shortest counterexample of a violated policy', () => {
    const r = expectSameWithTwoWorkers('x86-vmx/x86-lazy-2014', 8, { por: true });
    expect(r.verdict).toBe('violated');
  }, 180_000);

  it('cuts --max-states at the same state, transition and pruned transition', () => {
    const r = expectSameWithTwoWorkers('arm64-nvhe/arm64-dirty-2015', 6, { symmetry: false, maxStates: 3001, por: true });
    expect(r).toMatchObject({ verdict: 'held-so-far', stoppedBy: 'max-states', states: 3001 });
  }, 180_000);

  it('keeps the held verdict and counts of a VHE policy with two vCPUs', () => {
    const r = expectSameWithTwoWorkers('arm64-vhe/arm64-owner-2025', 4, { por: true, config: { vcpus: 2 } });
    expect(r.verdict).toBe('held');
  }, 180_000);
});

/** A `--json` report without its timings (elapsed ms and states/s), which differ between runs. */
const untimed = (out: string): string => out.replace(/"(ms|statesPerSecond)": [\d.]+/g, '"$1": 0');

describe('worldswitch explore --workers (the built CLI)', () => {
  it('prints a byte-identical --json report with 1 and 2 workers (held, levels wide enough to go parallel)', async () => {
    const argv = ['explore', 'arm64-nvhe/arm64-dirty-2015', '--depth', '6', '--no-symmetry', '--json', '--quiet'];
    const one = await cli(...argv, '--workers', '1');
    const two = await cli(...argv, '--workers', '2');
    expect(one.code, one.err).toBe(0);
    expect(untimed(two.out)).toBe(untimed(one.out));
    expect(JSON.parse(one.out)).toMatchObject({ verdict: 'held', stats: { states: 40_051 } });
  }, 240_000);

  it('prints a byte-identical --por --json report with 1 and 2 workers (states, transitions, transitionsSaved)', async () => {
    const argv = ['explore', 'arm64-nvhe/arm64-dirty-2015', '--depth', '7', '--no-symmetry', '--por', '--json', '--quiet'];
    const one = await cli(...argv, '--workers', '1');
    const two = await cli(...argv, '--workers', '2');
    expect(one.code, one.err).toBe(0);
    expect(untimed(two.out)).toBe(untimed(one.out));
    expect(JSON.parse(one.out)).toMatchObject({ por: true, stats: { states: 134_202, transitions: 1_027_544, transitionsSaved: 339_298 } });
  }, 240_000);

  it('prints a byte-identical --json report with 1 and 2 workers for a violated policy', async () => {
    const argv = ['explore', 'x86-vmx/x86-lazy-2014', '--depth', '8', '--json', '--quiet'];
    const one = await cli(...argv, '--workers', '1');
    const two = await cli(...argv, '--workers', '2');
    expect(one.code, one.err).toBe(1);
    expect(untimed(two.out)).toBe(untimed(one.out));
  }, 240_000);

  it('prints a byte-identical report for a user policy file (searched in one thread)', async () => {
    const argv = ['explore', 'test/fixtures/two-bugs.ts', '--depth', '4', '--json', '--quiet'];
    const one = await cli(...argv, '--workers', '1');
    const two = await cli(...argv, '--workers', '2');
    expect(one.code, one.err).toBe(two.code);
    expect(untimed(two.out)).toBe(untimed(one.out));
  }, 240_000);

  it('rejects --workers 0 with a one-line usage error (exit 2)', async () => {
    const r = await cli('explore', 'arm64-dirty-2015', '--depth', '2', '--workers', '0');
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain('--workers');
  });
});
