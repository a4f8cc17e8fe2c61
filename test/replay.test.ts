/**
 * Saved traces (`--out`) and `worldswitch replay`: the round trip reproduces the same invariant at
 * the same step, a fixed policy holds on the old trace, and every kind of bad trace file is one
 * line on stderr with exit 2.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policies } from '../models/catalog.js';
import { cli, lines } from './cli-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'worldswitch-replay-'));
const tracePath = join(dir, 't.json');
let checked: { code: number; out: string; err: string };
let saved: Record<string, unknown>;

/** The invariant and step a report's `<== … broke here` line names. */
const brokeAt = (report: string): { invariant: string; step: number } | undefined => {
  const m = /^State (\d+): .*<== (\S+) broke here/m.exec(report);
  return m ? { step: Number(m[1]), invariant: m[2] as string } : undefined;
};

beforeAll(async () => {
  checked = await cli('check', 'arm64-dirty-2015-v2', '--seed', '1', '--out', tracePath);
  saved = JSON.parse(readFileSync(tracePath, 'utf8')) as Record<string, unknown>;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('round trip on every architecture', () => {
  // Each built-in policy that `check` finds violated at its defaults: the saved trace, whatever the
  // architecture's events and options, validates and replays to the same invariant at the same step.
  it.each(policies.map((p) => `${p.arch}/${p.name}`))('%s', async (name) => {
    const file = join(dir, `${name.replace('/', '_')}.json`);
    const c = await cli('check', name, '--runs', '200', '--out', file);
    if (c.code === 0) return; // held: nothing saved, nothing to replay
    expect(c.code, c.err).toBe(1);
    const r = await cli('replay', file);
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    expect(brokeAt(c.out)).toBeDefined();
    expect(brokeAt(r.out)).toEqual(brokeAt(c.out));
  });
});

describe('check --out then replay', () => {
  it('saves a versioned trace file with the policy, arch, configuration, seed, events and invariant', () => {
    expect(checked.code).toBe(1);
    expect(saved).toMatchObject({
      format: 'worldswitch-trace',
      version: 1,
      command: 'check',
      policy: 'arm64-dirty-2015-v2',
      arch: 'arm64-nvhe',
      config: { cpus: 2, vcpus: 1, brps: 6, wrps: 4 },
      seed: 1,
      invariant: brokeAt(checked.out)?.invariant,
      step: brokeAt(checked.out)?.step,
    });
    expect((saved.events as unknown[]).length).toBe(saved.step);
    expect(checked.out).toContain(`Replay the saved trace: npx worldswitch replay ${tracePath}`);
  });

  it('replay exits 1 with the same invariant at the same step, and the same counterexample', async () => {
    const r = await cli('replay', tracePath);
    expect(r.err).toBe('');
    expect(r.code).toBe(1);
    expect(brokeAt(r.out)).toEqual(brokeAt(checked.out));
    const states = (report: string): string => report.slice(report.indexOf('State 0:'), report.indexOf('\nReplay: '));
    expect(states(r.out)).toBe(states(checked.out));
  });

  it('replay --policy arm64-dirty-2015 exits 0: the merged fix holds on the old trace', async () => {
    const r = await cli('replay', tracePath, '--policy', 'arm64-dirty-2015');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^arm64-nvhe\/arm64-dirty-2015: held on the saved trace/);
    expect(brokeAt(r.out)).toBeUndefined();
  });

  it('replay --json reports the verdict and where the trace came from', async () => {
    const r = await cli('replay', tracePath, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({
      reportVersion: 1,
      command: 'replay',
      verdict: 'violated',
      invariant: saved.invariant,
      steps: saved.step,
      savedFrom: { policy: 'arm64-dirty-2015-v2', seed: 1 },
    });
  });

  it('explore --out saves a trace that replays to the same violation', async () => {
    const file = join(dir, 'explore.json');
    const e = await cli('explore', 'arm64-dirty-2015-v2', '--depth', '6', '--quiet', '--out', file);
    expect(e.code).toBe(1);
    expect(e.err).toBe('');
    const r = await cli('replay', file);
    expect(r.code).toBe(1);
    expect(brokeAt(r.out)).toEqual(brokeAt(e.out));
  });

  it('a held check writes no trace file and says so on stderr', async () => {
    const file = join(dir, 'held.json');
    const r = await cli('check', 'arm64-dirty-2015', '--runs', '50', '--out', file);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`no counterexample; ${file} not written`);
    expect(() => readFileSync(file)).toThrow();
  });
});

/** A copy of the saved trace with `edit` applied, written to a file; returns its path. */
function variant(name: string, edit: (t: Record<string, unknown> & { events: Record<string, unknown>[] }) => unknown): string {
  const copy = structuredClone(saved) as Record<string, unknown> & { events: Record<string, unknown>[] };
  const out = edit(copy) ?? copy;
  const file = join(dir, `${name}.json`);
  writeFileSync(file, typeof out === 'string' ? out : JSON.stringify(out));
  return file;
}

describe('a bad trace file: exit 2, one line on stderr, no stack', () => {
  const cases: [string, () => string, RegExp][] = [
    ['not JSON', () => variant('not-json', () => 'events: GUEST_ENTER'), /is not JSON/],
    ['truncated', () => variant('truncated', (t) => JSON.stringify(t).slice(0, 200)), /is truncated/],
    ['a wrong version', () => variant('version', (t) => ({ ...t, version: 2 })), /trace version 2; this worldswitch reads version 1/],
    [
      'not a trace file (a JSON report)',
      () => variant('report', () => JSON.stringify({ reportVersion: 1 })),
      /not a worldswitch trace file/,
    ],
    [
      'a missing field',
      () =>
        variant('missing', (t) => {
          delete t.invariant;
        }),
      /invariant: missing \(expected string\)/,
    ],
    [
      'a failing step beyond the last event',
      () => variant('step', (t) => ({ ...t, step: 99 })),
      /step: the step that broke is beyond the last event/,
    ],
    ['an unknown architecture', () => variant('arch', (t) => ({ ...t, arch: 'sparc64' })), /unknown architecture "sparc64"/],
    [
      'an unknown policy',
      () => variant('policy', (t) => ({ ...t, policy: 'no-such-policy' })),
      /Unknown policy "no-such-policy" for arch arm64-nvhe/,
    ],
    [
      'an unknown invariant',
      () => variant('invariant', (t) => ({ ...t, invariant: 'no-such-invariant' })),
      /invariant: .*no-such-invariant/,
    ],
    [
      'a configuration out of range',
      () => variant('config', (t) => ({ ...t, config: { cpus: 99 } })),
      /config\.cpus: cpus must be between 1 and 4/,
    ],
    [
      'a configuration without cpus (every saved trace has cpus and vcpus)',
      () =>
        variant('no-cpus', (t) => {
          delete (t.config as Record<string, number>).cpus;
        }),
      /config\.cpus: missing/,
    ],
    [
      'an unknown register',
      () =>
        variant('register', (t) => {
          for (const e of t.events) if ('reg' in e) e.reg = 'NOT_A_REG_EL1';
        }),
      /events\[\d+\]\.reg: unknown register "NOT_A_REG_EL1" on arm64-nvhe/,
    ],
    [
      'an unknown event kind',
      () =>
        variant('event', (t) => {
          (t.events[0] as Record<string, unknown>).event = 'HOST_REBOOT';
        }),
      /events\[0\]\.event: unknown event "HOST_REBOOT" on arm64-nvhe\. Expected one of: .*VCPU_LOAD/,
    ],
    [
      'a CPU operand out of range',
      () =>
        variant('cpu', (t) => {
          (t.events[0] as Record<string, unknown>).cpu = 7;
        }),
      /events\[0\]\.cpu: cpu 7 does not exist: the trace configures cpus=2/,
    ],
    [
      'an operand of the wrong type',
      () =>
        variant('type', (t) => {
          (t.events[0] as Record<string, unknown>).addr = '0x2000';
        }),
      /events\[0\]\.addr: .*expected number, received string \(got "0x2000"\)/,
    ],
    [
      'an event that is not enabled where it stands',
      () =>
        variant('order', (t) => {
          t.events.splice(1, 1); // drop VCPU_LOAD: the guest cannot be entered
          t.step = t.events.length;
        }),
      /events\[1\]: GUEST_ENTER \{ vcpu: 0 \} is not enabled at step 2 \(or not in the model's alphabet\): the trace does not replay/,
    ],
    ['a file that does not exist', () => join(dir, 'no-such-trace.json'), /Trace file .* does not exist/],
  ];
  it.each(cases)('rejects %s', async (_what, make, message) => {
    const r = await cli('replay', make());
    expect(r.code).toBe(2);
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.out).toBe('');
  });
});
