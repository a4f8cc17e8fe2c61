/**
 * The in-thread watchdog (policy-file hooks run on the caller's thread: `replay`, `cost`, the vitest helper)
 * times a hook, not a batch of events: a hook that is slow but returns (300 ms, under
 * `--hook-timeout 1`) is never reported as a loop when `replay` re-executes a trace with several of
 * them, nor in the vitest helper's check, whose watchdog guarded a whole run. And it covers every
 * re-execution: a hook that spins only once the helper's search is over, where the check
 * reproduces and minimises the counterexample, ends the check instead of hanging it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { expectPolicy } from '../../src/expect-policy.js';
import { cli } from '../cli-harness.js';
import slow, { slowLoads } from './hostile-policies/slow-load.js';

const dir = mkdtempSync(join(tmpdir(), 'worldswitch-slow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('replays five 300 ms loads under a 1 s watchdog: held, no policy-total', async () => {
  const saved = join(dir, 'saved.json');
  expect((await cli('check', 'arm64-nvhe/arm64-dirty-2015-v2', '--seed', '1', '--out', saved)).code).toBe(1);
  const t = JSON.parse(readFileSync(saved, 'utf8')) as { events: unknown[] };
  t.events = Array.from({ length: 5 }, () => [
    { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
    { event: 'VCPU_PUT', vcpu: 0 },
  ]).flat();
  const trace = join(dir, 'loads.json');
  writeFileSync(trace, JSON.stringify(t));
  const r = await cli('replay', trace, '--policy', 'test/quality/hostile-policies/slow-load.ts', '--hook-timeout', '1', '--json');
  expect(r.code, r.err).toBe(0);
  const json = JSON.parse(r.out) as { verdict: string; steps: number; violation: unknown };
  expect(json.violation).toBeNull();
  expect(json.steps).toBe(10);
}, 60_000);

it('checks runs of 300 ms loads in-process (the vitest helper) under a 1 s watchdog: held', async () => {
  const before = slowLoads();
  const r = expectPolicy(slow).toHold({ runs: 20, seed: 1, maxSteps: 80, hookTimeout: 1 });
  expect(r.verdict).toBe('held');
  // Runs of 80 steps hold several loads: a run outlasted the watchdog as one guarded unit before.
  expect(slowLoads() - before).toBeGreaterThan(6);
}, 120_000);

it('measures a 1.2 s guest round of hooks that each return under a 1 s watchdog (cost): no policy-total', async () => {
  const r = await cli('cost', 'test/quality/hostile-policies/slow-switch.ts', '--rounds', '1', '--hook-timeout', '1', '--json');
  expect(r.code, r.err).toBe(0);
  const result = JSON.parse(r.out) as { error?: string; cases: Record<string, unknown> };
  // `cost` guarded each guest round (entry, guest events, exit) as one unit before: a false loop.
  expect(result.error).toBeUndefined();
  expect(Object.keys(result.cases)).toContain('neither');
}, 60_000);

it('a hook that spins only where the helper reproduces or minimises the counterexample: a finding, no hang', async () => {
  // In a process of its own (a spin on vitest's thread could not be timed out), on the compiled files.
  const script = `
    const { expectPolicy } = await import('./dist/src/expect-policy.js');
    const f = await import('./dist/test/quality/hostile-policies/loop-in-minimise.js');
    const verdict = () => {
      try { expectPolicy(f.default).toHold({ seed: 1, hookTimeout: 1 }); return 'held'; }
      catch (e) { return e.message.split('\\n').find((l) => l.startsWith('policy-total')); }
    };
    f.spinFromCall(Infinity);
    const found = verdict();
    const calls = f.loads();
    // The last calls are the search's re-executions after it, then the report's (the final two).
    const late = [1, 2].map((back) => { f.spinFromCall(calls - back); return verdict(); });
    console.log(JSON.stringify({ found, late }));`;
  const out = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000 }, (e, stdout) =>
      e ? reject(e) : resolve(stdout),
    ),
  );
  const { found, late } = JSON.parse(out) as { found: string; late: string[] };
  expect(found).toBe('policy-total: vcpuLoad threw: Error: a load on cpu1');
  for (const v of late)
    expect(v).toMatch(/^policy-total: the counterexample does not reproduce when run again: the policy is nondeterministic/);
}, 90_000);
