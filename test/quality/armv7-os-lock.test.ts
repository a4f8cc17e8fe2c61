/**
 * The ARMv7 OS Lock (--oslock). v7.1 Debug (Cortex-A15, A7: every CPU 32-bit KVM/arm ran on) has
 * DBGOSLAR, which the key 0xC5ACCE55 locks and any other value unlocks, and DBGOSLSR, which shows it.
 * HDCR.TDOSA traps both. The 2015 series clears TDOSA with TDA whenever it switches, and its save/restore
 * has no OS Lock, so a guest that runs untrapped locks the physical CPU's OS Lock and the exit leaves
 * it locked for the host, which Linux only unlocks at boot, hotplug and CPU PM exit (reset_ctrl_regs).
 * The planted mutant (eager without the lock) is found only when guests lock it; eager holds.
 */
import { describe, expect, it } from 'vitest';
import type { Armv7Context } from '../../models/armv7/model.js';
import { armv7 } from '../../models/armv7/model.js';
import armv7CtrlCheck from '../../models/armv7/policies/armv7-ctrl-check.js';
import armv7HwbpEnabled from '../../models/armv7/policies/armv7-hwbp-enabled.js';
import armv7OwnerTrap from '../../models/armv7/policies/armv7-owner-trap.js';
import eager from '../../models/armv7/policies/eager.js';
import { emulate_cp14_32 } from '../../models/armv7/policies/hyp.js';
import {
  DBGOSLAR,
  DBGOSLAR_KEY,
  DBGOSLAR_UNLOCK,
  DBGOSLSR,
  DBGOSLSR_OSLK,
  DBGOSLSR_OSLM_IMPLEMENTED,
  HDCR,
  HDCR_TDA,
  HDCR_TDOSA,
  REGISTER_COUNT,
} from '../../models/armv7/registers.js';
import { invariantsFor } from '../../properties/suites.js';
import { check, makeExecutor } from '../../src/searches/check.js';
import { explore } from '../../src/searches/explore.js';
import { cli } from '../cli-harness.js';
import { osLockNotSwitched } from './armv7-mutants.js';

const all = invariantsFor('armv7');
const oslock = { oslock: 1 };
const HOST_LOCKED = /cpu\d runs host code with DBGOSLSR = 0xa; the host's value is 0x8/;
const events = (config: Record<string, number>): string[] => makeExecutor(eager, armv7, all, config).model.events.map((e) => e.type);

describe('armv7 --oslock: the guest locks its OS Lock', () => {
  it('boots unlocked, traps both registers under HDCR.TDOSA (not TDA), and offers the lock to guests only with the option', () => {
    const x = makeExecutor(eager, armv7, all, oslock);
    expect([x.world.hw[DBGOSLAR], x.world.hw[DBGOSLSR]]).toEqual([0, DBGOSLSR_OSLM_IMPLEMENTED]);
    expect(x.model.registers.semantics[DBGOSLSR]).toBe(1);
    const hdcr = (bits: number): Float64Array => {
      const r = new Float64Array(REGISTER_COUNT);
      r[HDCR] = bits;
      return r;
    };
    for (const reg of [DBGOSLAR, DBGOSLSR]) {
      expect(x.model.traps(hdcr(HDCR_TDOSA), 0, reg, true)).toBe(true);
      expect(x.model.traps(hdcr(HDCR_TDA), 0, reg, true)).toBe(false);
    }
    expect([...x.model.guestReadable]).toContain(DBGOSLSR);
    expect(events(oslock)).toContain('GUEST_OS_LOCK');
    expect(events({})).not.toContain('GUEST_OS_LOCK');
    expect([...makeExecutor(eager, armv7, all, {}).model.guestReadable]).not.toContain(DBGOSLSR);
  });

  it('latches the last DBGOSLAR write into DBGOSLSR.OSLK at the next observation point, whoever wrote it', () => {
    const x = makeExecutor(eager, armv7, all, oslock);
    const hw = x.world.hw;
    hw[DBGOSLAR] = DBGOSLAR_KEY;
    x.model.observe?.(x, 0, true);
    expect(hw[DBGOSLSR]).toBe(DBGOSLSR_OSLM_IMPLEMENTED | DBGOSLSR_OSLK);
    hw[DBGOSLAR] = DBGOSLAR_UNLOCK; // "any other value" unlocks
    x.model.observe?.(x, 0, true);
    expect(hw[DBGOSLSR]).toBe(DBGOSLSR_OSLM_IMPLEMENTED);
  });

  it("routes the series' trapped OS Lock accesses as arm64's 4.x cp14 table: DBGOSLAR RAZ/WI, DBGOSLSR reads unlocked", () => {
    const k = { vcpu: { cp14: new Float64Array(REGISTER_COUNT), debugFlags: 0 } } as unknown as Armv7Context;
    emulate_cp14_32(k, { reg: DBGOSLAR, isWrite: true, regval: DBGOSLAR_KEY });
    const read = { reg: DBGOSLSR, isWrite: false, regval: 0 };
    emulate_cp14_32(k, read);
    expect([k.vcpu.cp14[DBGOSLAR], k.vcpu.debugFlags, read.regval]).toEqual([0, 0, DBGOSLSR_OSLM_IMPLEMENTED]);
  });

  it('finds a switch without the OS Lock leaving the guest lock on the host', () => {
    const e = explore(osLockNotSwitched, { arch: armv7, invariants: all, depth: 5, config: oslock });
    expect(e.violation?.invariant).toBe('host-breakpoints-preserved');
    expect(e.violation?.message).toMatch(HOST_LOCKED);
    expect(e.trace?.map((t) => t.event)).toEqual(['VCPU_LOAD', 'GUEST_ENTER', 'GUEST_OS_LOCK', 'GUEST_EXIT']);
    const r = check(osLockNotSwitched, { arch: armv7, invariants: all, seed: 1, runs: 2000, config: oslock });
    expect(r.violation?.invariant).toBe('host-breakpoints-preserved');
    expect(r.trace).toHaveLength(4);
  });

  it('holds the same mutant when no guest locks it (the default): only the option finds it', () => {
    expect(explore(osLockNotSwitched, { arch: armv7, invariants: all, depth: 6 }).verdict).toBe('held');
    expect(check(osLockNotSwitched, { arch: armv7, invariants: all, seed: 1, runs: 2000 }).verdict).toBe('held');
  });

  it('holds eager, which saves DBGOSLSR.OSLK and writes DBGOSLAR each way', () => {
    expect(explore(eager, { arch: armv7, invariants: all, depth: 6, config: oslock }).verdict).toBe('held');
    for (const seed of [1, 2, 3]) {
      const r = check(eager, { arch: armv7, invariants: all, seed, runs: 2000, config: oslock });
      expect(r.verdict, r.violation?.message).toBe('held');
    }
  });

  it.each([
    ['armv7-ctrl-check', armv7CtrlCheck],
    ['armv7-owner-trap', armv7OwnerTrap],
    ['armv7-hwbp-enabled', armv7HwbpEnabled],
  ] as const)("finds the review's alternative %s leaving the guest's lock on the host through an untrapped write", (_name, policy) => {
    // As short (5 steps): a trapped lock dropped and DBGOSLSR read back unlocked, which rests on the
    // series' handlers (trap_raz_wi, trap_oslsr: an assumption, v3 06/11 is not in the thread). Skip it.
    const first = explore(policy, { arch: armv7, invariants: all, depth: 5, config: oslock });
    expect(first.violation?.invariant).toBe('no-stale-read');
    expect(first.violation?.message).toMatch(/DBGOSLSR .*0x8; its value is 0xa/);
    expect(first.trace).toHaveLength(5);
    const invariants = all.filter((i) => i.name !== 'no-stale-read');
    const e = explore(policy, { arch: armv7, invariants, depth: 5, config: oslock });
    expect(e.violation?.invariant).toBe('host-breakpoints-preserved');
    expect(e.violation?.message).toMatch(HOST_LOCKED);
    // The guest's own MCR on the hardware: the series' handler of a trapped one is not involved.
    expect(e.trace?.map((t) => t.event)).toEqual(['VCPU_LOAD', 'HOST_SET_BREAKPOINT', 'GUEST_ENTER', 'GUEST_OS_LOCK', 'GUEST_EXIT']);
  });

  it('refuses a bad --oslock value in one line, exit 2', async () => {
    const r = await cli('check', 'armv7/eager', '--oslock', '2');
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });
});
