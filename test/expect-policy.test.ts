/**
 * The vitest helper for users' own suites (`worldswitch/vitest`): `toHold` passes on a policy that
 * holds and fails with the rendered counterexample on one that does not, and the regression test
 * a report prints runs as pasted: it fails on the buggy policy and passes on the merged fix.
 */
import { describe, expect, it } from 'vitest';
import { expectPolicy, PolicyViolation, TraceDiverged } from '../src/expect-policy.js';
import { UsageError } from '../src/persistence/usage-error.js';
import { cli } from './cli-harness.js';
import throwing from './fixtures/throwing-policy.js';

describe('expectPolicy(policy).toHold', () => {
  it('passes on the merged arm64-dirty-2015 and returns the held result', () => {
    const r = expectPolicy('arm64-nvhe/arm64-dirty-2015').toHold({ runs: 200, seed: 1 });
    expect(r.verdict).toBe('held');
    expect(r.runs).toBe(200);
  });

  it('fails on arm64-dirty-2015-v2 with the same counterexample `check` prints', async () => {
    const report = (await cli('check', 'arm64-nvhe/arm64-dirty-2015-v2', '--seed', '1')).out;
    let thrown: unknown;
    try {
      expectPolicy('arm64-nvhe/arm64-dirty-2015-v2').toHold({ seed: 1 });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(PolicyViolation);
    expect((thrown as Error).message).toContain('violated host-breakpoints-quiet-in-guest');
    expect(`${(thrown as Error).message}`).toBe(report);
  });

  it('takes a definePolicy object and reports its finding (a hook that throws) under policy-total', () => {
    expect(() => expectPolicy(throwing).toHold({ runs: 50, seed: 1 })).toThrow(
      /violated policy-total[\s\S]*fixture hook failed on purpose/,
    );
  });

  it('rejects an unknown invariant name as a usage error', () => {
    expect(() => expectPolicy('arm64-nvhe/eager').toHold({ invariants: ['no-such-invariant'] })).toThrow(UsageError);
  });
});

describe('the regression test a report prints', () => {
  /** The pasteable test from a report, run with a stand-in for vitest's `it`. */
  const runPasted = (code: string): void => {
    const body = code
      .split('\n')
      .filter((l) => !l.startsWith('import '))
      .join('\n');
    const itNow = (_name: string, fn: () => void): void => fn();
    new Function('it', 'expectPolicy', body)(itNow, expectPolicy);
  };

  it('fails with the counterexample on the policy it came from and passes on the merged fix', async () => {
    const report = (await cli('check', 'arm64-dirty-2015-v2', '--seed', '1')).out;
    const marker = 'As a regression test (vitest):\n';
    expect(report).toContain(marker);
    const code = report.slice(report.indexOf(marker) + marker.length);
    expect(code).toContain("expectPolicy('arm64-nvhe/arm64-dirty-2015-v2').toHoldOn(");
    expect(() => runPasted(code)).toThrow(/violated host-breakpoints-quiet-in-guest on the given trace[\s\S]*broke here/);
    expect(() => runPasted(code.replaceAll('arm64-dirty-2015-v2', 'arm64-dirty-2015'))).not.toThrow();
  });

  it('quotes dashed option names (debug-abi, guest-step) so the pasted test compiles and runs as printed', async () => {
    const report = (await cli('check', 'arm64-vhe/arm64-guestdbg-2022', '--gdb', '1', '--debug-abi', '2015', '--seed', '1')).out;
    const marker = 'As a regression test (vitest):\n';
    expect(report).toContain(marker);
    const code = report.slice(report.indexOf(marker) + marker.length);
    expect(code).toContain('"debug-abi": 2015');
    const invariant = /^arm64-vhe\/arm64-guestdbg-2022: violated (\S+)$/m.exec(report)?.[1];
    expect(invariant).toBeDefined();
    expect(() => runPasted(code)).toThrow(new RegExp(`violated ${invariant} on the given trace`));
  });

  it('x86: prints userspace breakpoints as numbers (bps: [0x1000]) and the pasted test runs as printed', async () => {
    const report = (await cli('check', 'x86-vmx/x86-lazy-2014', '--seed', '1')).out;
    const marker = 'As a regression test (vitest):\n';
    const code = report.slice(report.indexOf(marker) + marker.length);
    expect(code).toMatch(/bps: \[0x[0-9a-f]+(, 0x[0-9a-f]+)*\] \}/);
    expect(code).not.toMatch(/bps: '/);
    const invariant = /^x86-vmx\/x86-lazy-2014: violated (\S+)$/m.exec(report)?.[1];
    expect(invariant).toBeDefined();
    expect(() => runPasted(code)).toThrow(new RegExp(`violated ${invariant} on the given trace`));
    expect(() => runPasted(code.replaceAll('x86-lazy-2014', 'x86-lazy-2014-fixed'))).not.toThrow();
  });

  it('refuses a trace that stops applying instead of passing while checking nothing', () => {
    const load = { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 };
    const enter = { event: 'GUEST_ENTER', vcpu: 0 };
    expectPolicy('arm64-nvhe/eager').toHoldOn([load, enter]);
    // A second VCPU_LOAD of a loaded vCPU is not enabled: nothing after it would be checked.
    const diverged = () => expectPolicy('arm64-nvhe/eager').toHoldOn([load, load, enter]);
    expect(diverged).toThrow(TraceDiverged);
    expect(diverged).toThrow(
      /^arm64-nvhe\/eager: the trace stops applying at step 2 of 3, VCPU_LOAD \{ vcpu: 0, cpu: 0 \}: that event is not enabled/,
    );
  });

  it('rejects malformed events with one line naming the event', () => {
    expect(() => expectPolicy('arm64-nvhe/eager').toHoldOn([{ event: 'VCPU_LOAD', vcpu: 0, cpu: 9 }])).toThrow(
      /toHoldOn events: events\[0\]\.cpu: cpu 9 does not exist/,
    );
  });
});
