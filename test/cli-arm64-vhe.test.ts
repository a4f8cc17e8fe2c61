/**
 * The arm64-vhe variant through the CLI: listed with its options, the WARN+RAZ/WI variant's WARNs
 * counted in the text and JSON reports and shown at the step that fired them, and the model
 * options validated like the others.
 */
import { describe, expect, it } from 'vitest';
import { cli, lines } from './cli-harness.js';

describe('arm64-vhe on the command line', () => {
  it('is listed with its options and policies', async () => {
    const r = await cli('list');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ {2}arm64-vhe\s/m);
    expect(r.out).toContain('--gdb (0-1, default 0), --oslock (0-1, default 0)');
    for (const p of [
      'eager',
      'arm64-vhe-deferred-2017-v2',
      'arm64-vhe-deferred-2017',
      'arm64-vhe-deferred-2017-warn',
      'arm64-owner-2025',
    ]) {
      expect(r.out).toContain(`arm64-vhe/${p} `);
    }
    expect(r.out).toContain('arm64-nvhe/arm64-owner-2025 ');
  });

  it('counts the WARNs of a policy that holds policy-total, in the text and the JSON report', async () => {
    const args = ['check', 'arm64-vhe-deferred-2017-warn', '--invariant', 'policy-total', '--runs', '200'];
    const text = await cli(...args);
    expect(text.code).toBe(0);
    const count = Number(/WARN\(\) reached (\d+) time\(s\)/.exec(text.out)?.[1]);
    expect(count).toBeGreaterThan(0);
    const json = JSON.parse((await cli(...args, '--json')).out) as { verdict: string; stats: { warnings: number } };
    expect(json.verdict).toBe('held');
    expect(json.stats.warnings).toBe(count);
  });

  it('shows a WARN under the step that fired it in a counterexample', async () => {
    const r = await cli('check', 'arm64-vhe-deferred-2017-warn', '--seed', '1');
    expect(r.code).toBe(1);
    const out = lines(r.out);
    const warn = out.findIndex((l) => l.includes('WARN in '));
    expect(warn).toBeGreaterThan(0);
    // The closest state header above the WARN names the event that reached it (an entry: 4.17's
    // kvm_arm_setup_debug reads MDSCR_EL1 through the accessor).
    const header = out
      .slice(0, warn)
      .filter((l) => l.startsWith('State '))
      .pop();
    expect(header).toMatch(/State \d+: (VMM_SET_REG|VMM_GET_REG|HYP_READ_REG|HYP_WRITE_REG|GUEST_(READ|WRITE|ENTER)) /);
  });

  it('rejects a model option out of range with one line and exit 2', async () => {
    const r = await cli('check', 'arm64-vhe/eager', '--gdb', '2');
    expect(r.code).toBe(2);
    expect(lines(r.err)).toEqual(['worldswitch: --gdb must be between 0 and 1 on arm64-vhe, got 2.']);
  });

  it.each(['0', '65'])("names the architecture's range for --cpus %s, not a range no architecture has", async (cpus) => {
    const r = await cli('check', 'arm64-vhe/eager', '--cpus', cpus);
    expect(r.code).toBe(2);
    expect(lines(r.err)).toEqual([`worldswitch: --cpus must be between 1 and 4 on arm64-vhe, got ${cpus}.`]);
  });
});

describe('a model flag under a table of several architectures', () => {
  it('notes the rows that ran without it (check and explore), and says nothing when every row had it', async () => {
    const note = 'note: --gdb 1 is a model option of arm64-nvhe, arm64-vhe only: the other rows ran without it.';
    const check = await cli('check', 'eager', '--gdb', '1', '--runs', '30');
    expect(check.out.trimEnd().split('\n').at(-1)).toBe(note);
    const explore = await cli('explore', 'eager', '--gdb', '1', '--depth', '1');
    expect(explore.out.trimEnd().split('\n').at(-1)).toBe(note);
    const vheOnly = await cli('check', 'arm64-vhe/eager', 'arm64-vhe/arm64-owner-2025', '--gdb', '1', '--runs', '30');
    expect(vheOnly.out).not.toContain('note:');
  });

  it('notes an --invariant some rows lack, and the rows left with policy-total alone (check and explore)', async () => {
    const notes = [
      'note: --invariant userspace-debug-honored is no invariant of armv7: those rows ran without it.',
      'note: the rows of armv7 checked policy-total alone.',
    ];
    const args = ['armv7/eager', 'x86-vmx/eager', '--invariant', 'userspace-debug-honored'];
    const check = await cli('check', ...args, '--runs', '5');
    expect(check.out.trimEnd().split('\n').slice(-2)).toEqual(notes);
    const explore = await cli('explore', ...args, '--invariant', 'guest-isolation', '--depth', '1');
    expect(explore.out.trimEnd().split('\n').slice(-1)).toEqual([notes[0]]);
  });
});
