/**
 * Linux 5.15's KVM/arm64 debug switch, written as user policy files (test/fixtures/eras/arm64-nvhe-5.15.ts,
 * arm64-vhe-5.15.ts, compared line by line with 5.15.100) and run through the CLI as a reviewer runs them.
 * What 5.15 changed that the model sees: the PC increment of an emulated instruction is deferred to the
 * next entry (cdb5e02ed133) or to KVM_RUN's out: (26778aaa134a), so 5.10.y's lost step is gone and two
 * others remain; each verdict below is one the README's "Upstream eras written as user policies" table
 * justifies from the 5.15 code.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../cli-harness.js';
import { events, type Report, run, T } from './era-harness.js';

const NVHE = 'test/fixtures/eras/arm64-nvhe-5.15.ts';
const VHE = 'test/fixtures/eras/arm64-vhe-5.15.ts';
const NVHE_510Y = 'test/fixtures/eras/arm64-nvhe-5.10-later-fixes.ts';
const VHE_510Y = 'test/fixtures/eras/arm64-vhe-5.10-later-fixes.ts';

const dir = mkdtempSync(join(tmpdir(), 'ws-era515-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `check --gdb 1 --seed 1 --out` on `file`; the saved trace, re-targeted (arch, built-in policy) when asked. */
async function savedTrace(file: string, name: string, retarget: Record<string, unknown> = {}): Promise<string> {
  const out = join(dir, `${name}.json`);
  const r = await cli('check', file, '--gdb', '1', '--seed', '1', '--out', out, '--quiet');
  expect(r.code).toBe(1);
  if (Object.keys(retarget).length > 0) {
    const { policyFile: _file, ...saved } = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
    writeFileSync(out, JSON.stringify({ ...saved, ...retarget }));
  }
  return out;
}

describe.each([
  ['nVHE', NVHE],
  ['VHE', VHE],
])('5.15 on %s', (_host, file) => {
  it('holds without userspace debugging or the OS Lock (check, seeds 1-3)', { timeout: T }, async () => {
    for (const seed of ['1', '2', '3']) {
      const { code, report } = await run('check', file, '--seed', seed);
      expect(report.verdict).toBe('held');
      expect(code).toBe(0);
    }
  });

  it('holds with userspace debugging for every interleaving of at most 5 events (explore --gdb 1)', {
    timeout: T,
  }, async () => {
    const { code, report } = await run('explore', file, '--gdb', '1', '--depth', '5');
    expect(report.verdict).toBe('held');
    expect(code).toBe(0);
  });

  it('reads the OS Lock back unlocked after the guest locked it (--oslock 1: no OS Lock emulation before 7dabf02f43a1)', {
    timeout: T,
  }, async () => {
    const { code, report } = await run('check', file, '--oslock', '1', '--seed', '1');
    expect(code).toBe(1);
    expect(report.invariant).toBe('no-stale-read');
    expect(events(report)).toContain('GUEST_OS_LOCK');
    expect(report.trace.at(-1)?.reg).toBe('OSLSR_EL1');
  });
});

/** `check --gdb 1 --seed <seed>` on `file`, which loses the step userspace is owed: exit 1, debug-status-consumed. */
async function lostStep(file: string, seed: string): Promise<Report> {
  const { code, report } = await run('check', file, '--gdb', '1', '--seed', seed);
  expect(code).toBe(1);
  expect(report.invariant).toBe('debug-status-consumed');
  return report;
}
/** How every lost step below begins: userspace single-steps the vCPU and KVM_RUN enters the guest. */
const STEPPING = ['VCPU_LOAD', 'VMM_SET_GUEST_DEBUG', 'GUEST_ENTER'];

describe('5.15: the step of an emulated instruction', () => {
  it("is reported on 5.10.y's 6 events, which lose it on 5.10.y (kvm_skip_instr in the host): the increment now comes after kvm_arm_setup_debug", {
    timeout: T,
  }, async () => {
    for (const [fixed, file, name] of [
      [NVHE_510Y, NVHE, 'arm64-nvhe/arm64-nvhe-5.15'],
      [VHE_510Y, VHE, 'arm64-vhe/arm64-vhe-5.15'],
    ] as const) {
      const trace = await savedTrace(fixed, `v510y-${name.replace('/', '-')}`);
      const replayed = await cli('replay', trace, '--policy', file);
      expect(replayed.code).toBe(0);
      expect(replayed.out).toContain(`${name}: held on the saved trace (6 steps`);
    }
  });

  it('is lost on nVHE when an interrupt exit comes while it is Active-pending (8 events; 370531d1e95b fixed it)', {
    timeout: T,
  }, async () => {
    const report = await lostStep(NVHE, '1');
    expect(report.config['debug-abi']).toBe(2015);
    expect(events(report)).toEqual([...STEPPING, 'GUEST_READ', 'GUEST_ENTER', 'GUEST_EXIT', 'GUEST_ENTER', 'GUEST_READ']);
    expect(report.trace[1]?.singleStep).toBe('on');
    expect(report.trace[5]?.reason).toBe('irq');
  });

  it('is lost the same way after an instruction the guest executes itself (nVHE, check seed 2: 7 events, no trap)', {
    timeout: T,
  }, async () => {
    // 370531d1e95b's own case: the step is Active-pending (PSTATE.SS = 0) at an interrupt exit, and the
    // next kvm_arm_setup_debug sets PSTATE.SS again, so the guest runs one more instruction unreported.
    const report = await lostStep(NVHE, '2');
    expect(events(report)).toEqual([...STEPPING, 'GUEST_EXECUTE', 'GUEST_EXIT', 'GUEST_ENTER', 'GUEST_READ']);
    expect(report.trace[4]?.reason).toBe('irq');
  });

  it('is lost in 7 events at the shortest on nVHE (explore --gdb 1: held at depth 6, found at depth 7)', { timeout: T }, async () => {
    const six = await run('explore', NVHE, '--gdb', '1', '--depth', '6');
    expect(six.report.verdict).toBe('held');
    const seven = await run('explore', NVHE, '--gdb', '1', '--depth', '7');
    expect(seven.code).toBe(1);
    expect(seven.report.invariant).toBe('debug-status-consumed');
    expect(events(seven.report)).toHaveLength(7);
    expect(seven.report.trace[4]).toMatchObject({ event: 'GUEST_EXIT', reason: 'irq' });
  });

  it('the same 8 events break VHE 5.15 and hold on 6.1-6.13 (arm64-guestdbg-2022), which keeps an Active-pending step pending', {
    timeout: T,
  }, async () => {
    const asVhe = await savedTrace(NVHE, 'nvhe-irq-as-vhe', { arch: 'arm64-vhe' });
    const v515 = await cli('replay', asVhe, '--policy', VHE);
    expect(v515.code).toBe(1);
    expect(v515.out).toMatch(/^arm64-vhe\/arm64-vhe-5\.15: violated debug-status-consumed/);
    const as2022 = await savedTrace(NVHE, 'nvhe-irq-as-2022', { arch: 'arm64-vhe', policy: 'arm64-guestdbg-2022' });
    const v61 = await cli('replay', as2022);
    expect(v61.code).toBe(0);
    expect(v61.out).toMatch(/^arm64-vhe\/arm64-guestdbg-2022: held on the saved trace/);
  });

  it('is lost on VHE when KVM_RUN returns before the next entry: out: commits the increment (PSTATE.SS = 0), the next KVM_RUN sets PSTATE.SS again (6.1-6.13 too)', {
    timeout: T,
  }, async () => {
    const report = await lostStep(VHE, '1');
    expect(events(report)).toEqual([...STEPPING, 'GUEST_READ', 'RUN_RETURN', 'VCPU_LOAD', 'GUEST_ENTER', 'GUEST_READ']);
    // 370531d1e95b decides Active-pending at the exit, before out: commits the increment: 6.1-6.13 lose it too.
    const as2022 = await savedTrace(VHE, 'vhe-run-return-as-2022', { policy: 'arm64-guestdbg-2022' });
    const v61 = await cli('replay', as2022);
    expect(v61.code).toBe(1);
    expect(v61.out).toMatch(/^arm64-vhe\/arm64-guestdbg-2022: violated debug-status-consumed/);
    // And nVHE 5.15 takes the same path.
    const asNvhe = await savedTrace(VHE, 'vhe-run-return-as-nvhe', {
      arch: 'arm64-nvhe',
      config: { ...report.config, oslock: undefined, 'guest-step': undefined, 'domain-slots': undefined },
    });
    const nvhe = await cli('replay', asNvhe, '--policy', NVHE);
    expect(nvhe.code).toBe(1);
    expect(nvhe.out).toMatch(/^arm64-nvhe\/arm64-nvhe-5\.15: violated debug-status-consumed/);
  });
});

describe.each([
  ['nVHE', NVHE],
  ['VHE', VHE],
])('5.15 on %s traps the guest writing TRFCR_EL1 (MDCR_EL2.TTRF, a354a64d91ee)', (_host, file) => {
  it('holds with --guest-trfcr 1 (check, seed 1)', { timeout: T }, async () => {
    const { code, report } = await run('check', file, '--guest-trfcr', '1', '--seed', '1');
    expect(report.verdict).toBe('held');
    expect(code).toBe(0);
  });
});
