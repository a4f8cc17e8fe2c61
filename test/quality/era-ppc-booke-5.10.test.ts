/**
 * The trust test of the Book E model: Linux 5.10 LTS booke.c debug handling written as a user policy
 * file (test/fixtures/eras/ppc-booke-5.10.ts, importing the published package), checked and explored
 * as a user would run it. Every verdict is a real upstream bug (README "Upstream eras written as user
 * policies"): the stale comparators of kvmppc_booke_emulate_mtspr's ordering, the guest's DBCR1/DBCR2
 * loaded unsanitised, the guest's MSR[DE] cleared while userspace debugs, and userspace's latched
 * event cleared by vcpu_put because KVM_SET_GUEST_DEBUG does not force the shadow MSR[DE]. The file
 * imports 'worldswitch' (this package's dist/, built by `npm test`'s tsc).
 */
import { describe, expect, it } from 'vitest';
import { cli } from '../cli-harness.js';

const FILE = 'test/fixtures/eras/ppc-booke-5.10.ts';
const TWO_VCPUS = ['--cpus', '1', '--vcpus', '2'];

interface Report {
  verdict: string;
  invariant?: string;
  violation?: { message: string; step: number };
  trace?: unknown[];
}

async function run(...argv: string[]): Promise<Report> {
  const r = await cli(...argv, '--json', '--quiet');
  expect(r.code, r.err).toBeLessThanOrEqual(1);
  return JSON.parse(r.out) as Report;
}

// What each violated invariant's first counterexample shows, by the upstream bug behind it.
const STALE = /(DAC1|IAC1) is effective .*stale value|runs host code with DBCR0 = 0x40/; // thread.debug set before switch_booke_debug_regs
// guest DBCR1 = 0 (any privilege): the run loop's code latches the guest's IAC after lightweight_exit's DBSR clear
// (its "3-instruction window"), and the guest, entered with MSR[DE], takes the switch code's event as its own.
const SWITCH_CODE = /raised on cpu\d by code whose world did not arm that comparator .*delivered to the guest/;
const DE_CLEARED = /read MSR as 0x0; its own value is 0x200|read MSR of vcpu\d as 0x0; its value is 0x200/; // kvmppc_vcpu_sync_debug
const LOST_GDB = /owed to userspace \(KVM_SET_GUEST_DEBUG\) was cleared before any debug interrupt took it/; // no sync at the ioctl

describe('Linux 5.10 booke.c as a user policy', () => {
  it('check, seeds 1-3, two CPUs and one CPU with two vCPUs: every verdict is one of the four upstream bugs', async () => {
    for (const config of [[], TWO_VCPUS]) {
      for (const seed of ['1', '2', '3']) {
        const r = await run('check', FILE, '--seed', seed, ...config);
        expect(r.verdict).toBe('violated');
        expect(r.violation?.message).toMatch(new RegExp([STALE, SWITCH_CODE, DE_CLEARED, LOST_GDB].map((p) => p.source).join('|')));
      }
    }
    // One CPU, two vCPUs, seed 1: userspace's breakpoint event, latched with the shadow MSR[DE] clear, cleared by vcpu_put.
    expect((await run('check', FILE, '--seed', '1', ...TWO_VCPUS)).violation?.message).toMatch(LOST_GDB);
    // Seed 3, the same, debug-status-consumed alone: the switch code's event delivered to the guest (8 steps).
    const window = await run('check', FILE, '--seed', '3', ...TWO_VCPUS, '--invariant', 'debug-status-consumed');
    expect(window.violation?.message).toMatch(SWITCH_CODE);
    expect(window.trace).toHaveLength(8);
  }, 240_000);

  it('explore --depth 8 finds the same shortest counterexamples as the built-in ppc-booke-2014 (the same code)', async () => {
    for (const config of [[], TWO_VCPUS]) {
      const file = await run('explore', FILE, '--depth', '8', ...config);
      const builtin = await run('explore', 'ppc-booke/ppc-booke-2014', '--depth', '8', ...config);
      expect(file.violation?.message).toMatch(STALE);
      expect(file.trace).toHaveLength(6);
      expect(file.trace).toEqual(builtin.trace);
      expect(file.violation).toEqual(builtin.violation);
    }
    const stale = await run('explore', FILE, '--depth', '8', '--invariant', 'host-breakpoints-quiet-in-guest');
    expect(stale.violation?.message).toMatch(STALE);
    const de = await run('explore', FILE, '--depth', '8', '--invariant', 'no-stale-read');
    expect(de.violation?.message).toMatch(DE_CLEARED);
  }, 240_000);

  it('holds what 5.10 gets right: policy-total, guest-isolation, guest-breakpoints-effective (explore --depth 8)', async () => {
    for (const invariant of ['policy-total', 'guest-isolation', 'guest-breakpoints-effective']) {
      const r = await run('explore', FILE, '--depth', '8', '--invariant', invariant);
      expect(r.verdict, invariant).toBe('held');
    }
  }, 240_000);

  it('gives no verdict for the 2008 host (--ptrace 0): a 5.10 host has ptrace-adv.c defaults', async () => {
    const r = await cli('check', FILE, '--ptrace', '0');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/does not model --ptrace 0: 5\.10's host/);
  });
});
