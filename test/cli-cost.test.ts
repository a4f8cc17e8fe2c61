/** `worldswitch cost` through the CLI: the text table, the JSON contract, and bad input (exit 2, one line). */
import { describe, expect, it } from 'vitest';
import { policies } from '../models/catalog.js';
import { cli, lines } from './cli-harness.js';

describe('worldswitch cost', () => {
  it('prints one table per architecture with what each policy saves against eager', async () => {
    const r = await cli('cost', 'armv7/eager', 'armv7/armv7-dirty-2015');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('MRC p14 8 cycles, MCR p14 5 cycles');
    expect(r.out).toMatch(/policy\s+neither\s+hostOnly\s+guestOnly\s+both\s+mdbgenAlways/);
    expect(r.out).toMatch(/armv7\/armv7-dirty-2015\s+13\+13/);
    expect(r.out).toMatch(/saves 52\s*$/m); // the series' full switch: all but DBGVCR and the OS Lock (2 × (13 + 13))
    // A saving is no verdict: the report ends saying so.
    expect(
      r.out.endsWith('\nCycles only, no verdict: a policy that saves the most may be one that switches nothing (check or explore it).\n'),
    ).toBe(true);
  });

  it('gives per case entryCycles, exitCycles and traps in versioned JSON', async () => {
    const r = await cli('cost', 'armv7/armv7-ctrl-check', '--json', '--rounds', '8');
    expect(r.code, r.err).toBe(0);
    const json = JSON.parse(r.out);
    expect(json).toMatchObject({ reportVersion: 1, policy: 'armv7-ctrl-check', arch: 'armv7', rounds: 8 });
    expect(Object.keys(json.cases)).toEqual(['neither', 'hostOnly', 'guestOnly', 'both', 'mdbgenAlways']);
    expect(Object.keys(json.cases.neither)).toEqual(['entryCycles', 'exitCycles', 'traps', 'trapCycles']);
  });

  it('measures a bare name on every architecture that has it', async () => {
    const r = await cli('cost', 'eager', '--json', '--rounds', '2');
    expect(r.code, r.err).toBe(0);
    const archs = policies.filter((p) => p.name === 'eager').map((p) => p.arch);
    expect(archs.length).toBeGreaterThanOrEqual(3);
    expect(JSON.parse(r.out).results.map((x: { arch: string }) => x.arch)).toEqual(archs);
  });

  it.each([
    [['cost', 'armv7/nope'], 'Unknown policy "nope" for arch armv7'],
    [['cost', 'eager', '--rounds', '0'], '--rounds must be between 1 and 100000'],
    [['cost', 'armv7/eager', '--mdbgen', '2'], '--mdbgen must be between 0 and 1 on armv7'],
    [['cost', 'armv7/eager', '--seed', 'x'], '--seed takes a whole number'],
  ])('rejects %j with exit 2 and one line', async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toContain(message);
  });

  it('reports a policy that throws as stopped, under policy-total, with exit 1', async () => {
    const r = await cli('cost', 'test/fixtures/throwing-policy.ts', '--rounds', '2');
    expect(r.code, r.err).toBe(1);
    expect(r.out).toContain('stopped: neither: policy-total: guestEnter threw: Error: fixture hook failed on purpose');
  });

  it('lists armv7 and its policies', async () => {
    const r = await cli('list');
    expect(r.out).toMatch(/^ {2}armv7 /m);
    for (const name of ['eager', 'armv7-none', 'armv7-dirty-2015', 'armv7-ctrl-check', 'armv7-owner-trap', 'armv7-hwbp-enabled']) {
      expect(r.out).toContain(`armv7/${name}`);
    }
  });
});
