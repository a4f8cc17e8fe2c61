/**
 * A policy names its era: `defaults` are the model options its kernel fixes (a flag still wins),
 * and `scope` the option values its code models. A run outside the scope gets no verdict: one line
 * and exit 2 when it is the only policy, a note and no row among several.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { arm64Vhe } from '../models/arm64-vhe/model.js';
import guestdbg2022 from '../models/arm64-vhe/policies/arm64-guestdbg-2022.js';
import { ERA_5_7, ERA_6_13, ERA_6_17 } from '../models/x86/eras.js';
import { x86Vmx } from '../models/x86/model.js';
import { x86Lazy2014Vmx } from '../models/x86/policies/x86-lazy-2014.js';
import { invariantsFor } from '../properties/suites.js';
import { definePolicy, PolicyError, PolicyScopeError } from '../src/engine/policy.js';
import { check, makeExecutor } from '../src/searches/check.js';
import { cli, lines } from './cli-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'worldswitch-scope-'));
/** Every VHE invariant but the delivery of each step (the 6.1-6.13 lost step, found under either ABI). */
const abiRules = invariantsFor('arm64-vhe').filter((i) => i.name !== 'debug-status-consumed');

describe("a policy's era defaults", () => {
  it('arm64-guestdbg-2022 runs under the debugger rules of 4.2-6.13 unless --debug-abi says otherwise', () => {
    expect(makeExecutor(guestdbg2022, arm64Vhe, [], { gdb: 1 }).model.config['debug-abi']).toBe(2015);
    const own = check(guestdbg2022, { arch: arm64Vhe, invariants: abiRules, config: { gdb: 1 }, seed: 1, runs: 5000 });
    expect(own.verdict, own.violation?.message).toBe('held');
    // Asked for 6.14's rule, the same code is found keeping the guest's own breakpoints live.
    const asked = check(guestdbg2022, { arch: arm64Vhe, invariants: abiRules, config: { gdb: 1, 'debug-abi': 2025 }, seed: 1, runs: 5000 });
    expect(asked.violation?.invariant, asked.violation?.message).toBe('host-breakpoints-quiet-in-guest');
  });

  it('the report prints the era the policy ran in, and its replay command needs no flag for it', async () => {
    const r = await cli('check', 'arm64-vhe/arm64-guestdbg-2022', '--gdb', '1', '--seed', '1');
    expect(r.code, r.err).toBe(1);
    expect(r.out).toMatch(/^Counterexample: \d+ steps \(.*debug-abi=2015.*\)$/m);
    expect(r.out).toContain('Replay: npx worldswitch check arm64-vhe/arm64-guestdbg-2022 --seed 1 --gdb 1\n');
  });
});

describe("a policy's scope", () => {
  it('x86-lazy-2014 (6.13 and 6.17 code) runs in those eras and refuses 5.7', () => {
    for (const era of [ERA_6_17, ERA_6_13]) expect(() => makeExecutor(x86Lazy2014Vmx, x86Vmx, [], { 'x86-era': era })).not.toThrow();
    expect(() => makeExecutor(x86Lazy2014Vmx, x86Vmx, [], { 'x86-era': ERA_5_7 })).toThrow(PolicyScopeError);
  });

  it('alone, a policy out of its scope is one line and exit 2, no verdict', async () => {
    const r = await cli('check', 'x86-vmx/x86-lazy-2014', '--x86-era', '2');
    expect(r.code).toBe(2);
    expect(lines(r.err)).toEqual([
      "worldswitch: x86-vmx/x86-lazy-2014 does not model --x86-era 2: its debug-register code is Linux 6.13's and 6.17's, not 5.7's, 5.10's, 5.15's or late 6.1.y's (whose fast path is 5.15's): check those with a policy file transliterated from their code (test/fixtures/eras/ has 5.10's, 5.15's and late 6.1.y/6.6.y's)",
    ]);
    expect(r.out).toBe('');
    const v = await cli('explore', 'arm64-vhe/arm64-vhe-deferred-2017', '--gdb', '1', '--depth', '2');
    expect(v.code).toBe(2);
    expect(v.err).toMatch(/^worldswitch: arm64-vhe\/arm64-vhe-deferred-2017 does not model --gdb 1: KVM_SET_GUEST_DEBUG .* is left out/);
  });

  it('among several, it is left out with a note and the others run', async () => {
    const r = await cli('check', 'x86-vmx/eager', 'x86-vmx/x86-lazy-2014', '--x86-era', '2', '--runs', '50');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('worldswitch: note: not run: x86-vmx/x86-lazy-2014 does not model --x86-era 2');
    expect(r.out).toContain('x86-vmx/eager: held');
    expect(r.out).not.toContain('x86-lazy-2014');
  });

  it('a saved trace whose configuration is out of its policy scope does not replay: exit 2', async () => {
    const file = join(dir, 'era1.json');
    expect((await cli('check', 'x86-svm/x86-lazy-2014-fixed', '--x86-era', '1', '--out', file)).code).toBe(1);
    const trace = JSON.parse(readFileSync(file, 'utf8')) as { config: Record<string, number> };
    trace.config['x86-era'] = ERA_5_7;
    writeFileSync(file, JSON.stringify(trace));
    const r = await cli('replay', file);
    expect(r.code).toBe(2);
    expect(lines(r.err)).toHaveLength(1);
    expect(r.err).toContain('x86-svm/x86-lazy-2014-fixed does not model --x86-era 2');
  });

  it('list shows each era default and scope', async () => {
    const r = await cli('list');
    expect(r.out).toMatch(/arm64-vhe\/arm64-guestdbg-2022 .*\n +\(--debug-abi 2015 unless given\)/);
    expect(r.out).toMatch(/x86-vmx\/x86-lazy-2014 .*\n +\(models --x86-era 0, 1 only\)/);
  });
});

describe('defaults and scope in a policy definition', () => {
  const hooks = {};
  it('take whole numbers per option, and a scope says why', () => {
    expect(() => definePolicy({ name: 'p', arch: 'x86-vmx', hooks, defaults: { 'x86-era': 1.5 } })).toThrow(PolicyError);
    expect(() => definePolicy({ name: 'p', arch: 'x86-vmx', hooks, scope: { 'x86-era': { values: [1], why: '' } } })).toThrow(PolicyError);
    expect(() => definePolicy({ name: 'p', arch: 'x86-vmx', hooks, scope: { 'x86-era': { values: [], why: 'w' } } })).toThrow(PolicyError);
  });

  it('are copied and frozen: changing them later (in a hook) cannot change the next run', () => {
    const defaults = { 'x86-era': 1 };
    const scope = { 'x86-era': { values: [1], why: 'w' } };
    const p = definePolicy({ name: 'p', arch: 'x86-vmx', hooks, defaults, scope });
    defaults['x86-era'] = 2;
    scope['x86-era'].values.push(2);
    expect(p.defaults).toEqual({ 'x86-era': 1 });
    expect(p.scope?.['x86-era']?.values).toEqual([1]);
    expect(Object.isFrozen(p.defaults) && Object.isFrozen(p.scope?.['x86-era']?.values)).toBe(true);
  });

  it("name the architecture's options, within their ranges", () => {
    const unknown = definePolicy({ name: 'p', arch: 'x86-vmx', hooks, scope: { gdb: { values: [0], why: 'w' } } });
    expect(() => makeExecutor(unknown, x86Vmx, [])).toThrow(/names a model option "gdb" that x86-vmx does not have/);
    const range = definePolicy({ name: 'p', arch: 'x86-vmx', hooks, defaults: { 'x86-era': 7 } });
    expect(() => makeExecutor(range, x86Vmx, [])).toThrow(/default --x86-era 7 is not between 0 and 5/);
  });

  it('in a policy file, a bad one is a one-line error naming the file', async () => {
    const file = join(dir, 'bad-scope.ts');
    const api = join(process.cwd(), 'src/engine/policy.js');
    writeFileSync(
      file,
      `import { definePolicy } from ${JSON.stringify(api)};\nexport default definePolicy({ name: 'bad-scope', arch: 'x86-vmx', hooks: {}, scope: { nosuch: { values: [0], why: 'w' } } });\n`,
    );
    const r = await cli('check', file, '--runs', '10');
    expect(r.code).toBe(2);
    expect(lines(r.err)).toEqual([
      expect.stringMatching(/^worldswitch: .*bad-scope\.ts: Policy "bad-scope" names a model option "nosuch"/),
    ]);
  });
});
