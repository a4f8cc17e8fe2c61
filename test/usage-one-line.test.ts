/**
 * Exit 2 is one line on stderr (README: exit codes), commander's errors included: its
 * `(Did you mean …?)` on the same line, `help` of an unknown command naming the commands, and
 * no command at all naming every one of them.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from './cli-harness.js';

describe('usage errors are one line', () => {
  it.each([
    [['check', '--run', '5'], "worldswitch: unknown option '--run' (Did you mean --runs?)"],
    [['chek'], "worldswitch: unknown command 'chek' (Did you mean check?)"],
    [['list', '--jsn'], "worldswitch: unknown option '--jsn' (Did you mean --json?)"],
    [['explore', 'x', '--depth', '3', '--symmetry'], "worldswitch: unknown option '--symmetry' (Did you mean --no-symmetry?)"],
    [['help', 'nope'], "worldswitch: help: unknown command 'nope'; one of list, check, explore, cost, replay, merge"],
    [[], 'worldswitch: no command given; one of list, check, explore, cost, replay, merge (worldswitch --help for the flags)'],
  ])('%j', async (args, line) => {
    const r = await cli(...args);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`${line}\n`);
    expect(r.out).toBe('');
  });
  it('help of a known command still prints its help, exit 0', async () => {
    const r = await cli('help', 'merge');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: worldswitch merge/);
  });
});

describe('replay --policy', () => {
  let trace = '';
  beforeAll(async () => {
    trace = join(mkdtempSync(join(tmpdir(), 'worldswitch-replay-policy-')), 't.json');
    expect((await cli('check', 'arm64-nvhe/arm64-dirty-2015-v2', '--workers', '1', '--out', trace)).code).toBe(1);
  });

  it('"" is about the flag, not the trace file', async () => {
    const r = await cli('replay', trace, '--policy', '');
    expect(r.code).toBe(2);
    expect(r.err).toBe('worldswitch: --policy takes a policy (<arch>/<name>, a name or a policy file), got "".\n');
  });

  it('a file with several policies names its exports (file#export), not "name one as <arch>/<name>"', async () => {
    const r = await cli('replay', trace, '--policy', 'test/fixtures/side-by-side.ts');
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      'worldswitch: --policy test/fixtures/side-by-side.ts holds 2 policies for arch arm64-nvhe: pick one, test/fixtures/side-by-side.ts#a or test/fixtures/side-by-side.ts#b.\n',
    );
  });

  it('of another architecture names both architectures, not "name one as <arch>/<name>"', async () => {
    const r = await cli('replay', trace, '--policy', 'x86-vmx/eager');
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `worldswitch: --policy x86-vmx/eager is a policy for x86-vmx, but ${trace} is a trace of arm64-nvhe: replay it with a policy of arm64-nvhe.\n`,
    );
  });
});

describe('a trace with events its model lacks', () => {
  it('names the model option that adds them: armv7 KVM_SET_ONE_REG without --one-reg 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'worldswitch-onereg-'));
    const out = join(dir, 't.json');
    expect((await cli('explore', 'armv7/armv7-owner-trap', '--depth', '4', '--one-reg', '1', '--out', out, '--quiet')).code).toBe(1);
    expect((await cli('replay', out, '--quiet')).code).toBe(1);
    const saved = JSON.parse(readFileSync(out, 'utf8')) as { config: Record<string, number> };
    saved.config['one-reg'] = 0;
    writeFileSync(out, JSON.stringify(saved));
    const r = await cli('replay', out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /^worldswitch: .*unknown event "VMM_SET_REG" on armv7\. .*only with the model option one-reg = 1 \(in the trace's "config"\)\.\n$/,
    );
  });
});
