/**
 * The `worldswitch explore` contract (DESIGN §7): exit codes, one-line usage errors, the versioned
 * JSON report, the text report's counterexample and replay command, and a stdout that is the same
 * on every run (timings go to stderr). Runs `main` in-process; exploration itself runs in a worker.
 */
import { describe, expect, it } from 'vitest';
import { arm64Nvhe } from '../models/arm64-nvhe/model.js';
import { cli, lines } from './cli-harness.js';

describe('worldswitch explore', () => {
  it('exits 1 on the v2 policy at depth 6 with the shortest counterexample and its replay command', async () => {
    const r = await cli('explore', 'arm64-dirty-2015-v2', '--depth', '6');
    expect(r.code, r.err).toBe(1);
    expect(r.out).toContain('Shortest counterexample');
    expect(r.out).toContain('Replay: npx worldswitch explore');
    expect(r.out).toMatch(/^Replay: npx worldswitch explore (arm64-nvhe\/)?arm64-dirty-2015-v2 --depth 6$/m);
  });

  it('exits 0 with the versioned JSON report when the merged policy holds at depth 4 (--json)', async () => {
    const r = await cli('explore', 'arm64-dirty-2015', '--depth', '4', '--json');
    expect(r.code, r.err).toBe(0);
    const json = JSON.parse(r.out) as Record<string, unknown>;
    expect(json).toMatchObject({
      reportVersion: 1,
      command: 'explore',
      policy: 'arm64-dirty-2015',
      arch: 'arm64-nvhe',
      verdict: 'held',
      invariant: null,
      depth: 4,
      depthCompleted: 4,
      domain: arm64Nvhe.smallDomain,
      trace: [],
      stats: { states: expect.any(Number), transitions: expect.any(Number), peakBytes: expect.any(Number) },
    });
    const stats = json.stats as { states: number; transitions: number; peakBytes: number };
    expect(stats.states).toBeGreaterThan(0);
    expect(stats.transitions).toBeGreaterThanOrEqual(stats.states - 1);
    expect(stats.peakBytes).toBeGreaterThan(0);
    expect(json.symmetry).toEqual([expect.stringContaining('CPUs')]);
  });

  it.each([
    ['no --depth', ['explore', 'eager']],
    ['--depth 0', ['explore', 'eager', '--depth', '0']],
  ])('rejects %s: exit 2, one line on stderr, no stack', async (_what, argv) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toContain('--depth');
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.out).toBe('');
  });

  it('reduces with sleep sets by default and says so; --no-por executes exactly the transitions it saved more', async () => {
    type Report = { por: boolean; stats: { states: number; transitions: number; transitionsSaved: number } };
    const run = async (...flags: string[]): Promise<Report> => {
      const r = await cli('explore', 'arm64-dirty-2015', '--depth', '5', '--no-symmetry', '--json', '--quiet', ...flags);
      expect(r.code, r.err).toBe(0);
      return JSON.parse(r.out) as Report;
    };
    const [reduced, full] = [await run(), await run('--no-por')];
    expect(reduced.por).toBe(true);
    expect(full.por).toBe(false);
    expect(full.stats.transitionsSaved).toBe(0);
    expect(reduced.stats.states).toBe(full.stats.states);
    expect(reduced.stats.transitionsSaved).toBeGreaterThan(0);
    expect(reduced.stats.transitions + reduced.stats.transitionsSaved).toBe(full.stats.transitions);
    expect(await run('--por')).toEqual({
      ...reduced,
      stats: { ...reduced.stats, ms: expect.any(Number), statesPerSecond: expect.any(Number) },
    });
  });

  it('reports lifecycle coverage with --coverage', async () => {
    const r = await cli('explore', 'eager', '--depth', '3', '--coverage');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('Coverage of lifecycle machine');
  });

  it('--coverage tells events a policy never gets (no setGuestTrace hook) from events a run missed', async () => {
    const without = await cli('check', 'arm64-nvhe/eager', '--coverage', '--runs', '100');
    expect(without.out).toContain('  not generated for this policy (it has no setGuestTrace hook): HOST_TRACE, RUN_LOOP_TRACE\n');
    expect(without.out).not.toMatch(/warning: event (HOST_TRACE|RUN_LOOP_TRACE)/);
    const withHook = await cli('check', 'arm64-nvhe/arm64-trfcr-2025', '--coverage', '--runs', '100');
    expect(withHook.out).toMatch(/HOST_TRACE [1-9]/);
    expect(withHook.out).not.toContain('not generated');
    const json = JSON.parse((await cli('check', 'arm64-nvhe/eager', '--coverage', '--runs', '20', '--json')).out);
    expect(json.coverage.events.find((e: { event: string }) => e.event === 'HOST_TRACE')).toEqual({
      event: 'HOST_TRACE',
      applied: 0,
      needsHook: 'setGuestTrace',
    });
  });

  it('prints a byte-identical report for the same exploration, with its timing on stderr only', async () => {
    const a = await cli('explore', 'arm64-dirty-2015-v2', '--depth', '6');
    const b = await cli('explore', 'arm64-dirty-2015-v2', '--depth', '6');
    expect(a.code).toBe(1);
    expect(b.out).toBe(a.out);
    expect(a.err).toMatch(/states\/s/);
    expect(a.out).not.toMatch(/states\/s/);
  });
});
