/**
 * The ARMv7 OS Lock (--oslock). v7.1 Debug (Cortex-A15, A7: every CPU 32-bit KVM/arm ran on) has
 * DBGOSLAR, which the key 0xC5ACCE55 locks and any other value unlocks, and DBGOSLSR, which shows it.
 * HDCR.TDOSA traps both. Eager never traps, so it must switch the lock: the planted mutant (eager
 * without it) leaves a guest's lock on the host, which Linux only unlocks at boot, hotplug and CPU PM
 * exit (reset_ctrl_regs), and is found only when guests lock it; eager holds. The 2015 series keeps
 * TDOSA set whenever a guest runs (an assumption from arm64's code, hyp.ts HDCR_GUEST_TRAPS), so its
 * policies leak nothing and are charged only with the era's RAZ/WI lock (no-stale-read).
 */
import { describe, expect, it } from 'vitest';
import type { Armv7Context } from '../../models/armv7/model.js';
import { armv7 } from '../../models/armv7/model.js';
import eager from '../../models/armv7/policies/eager.js';
import { emulate_cp14_32, HDCR_GUEST_TRAPS } from '../../models/armv7/policies/hyp.js';
import {
  DBGOSLAR,
  DBGOSLAR_KEY,
  DBGOSLAR_UNLOCK,
  DBGOSLSR,
  DBGOSLSR_OSLK,
  DBGOSLSR_OSLM_IMPLEMENTED,
  HDCR,
  HDCR_TDOSA,
  REGISTER_COUNT,
} from '../../models/armv7/registers.js';
import { invariantsFor } from '../../properties/suites.js';
import { makeExecutor } from '../../src/searches/check.js';
import { osLockNotSwitched } from './armv7-mutants.js';
import { seriesLeakTests } from './armv7-series-leak.js';

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
      // The series' HDCR once its debug state is dirty: TDRA and TDOSA kept, TDA clear.
      expect(x.model.traps(hdcr(HDCR_GUEST_TRAPS), 0, reg, true)).toBe(true);
      expect(x.model.traps(hdcr(0), 0, reg, true)).toBe(false);
      // (TDA without TDRA and TDOSA is UNPREDICTABLE on ARMv7: not asserted.)
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

  seriesLeakTests({
    register: 'the OS Lock',
    config: oslock,
    mutant: osLockNotSwitched,
    guestEvent: 'GUEST_OS_LOCK',
    onHost: HOST_LOCKED,
    dropped: /DBGOSLSR .*0x8; its value is 0xa/,
    untrappedWhenSwitched: false,
  });
});
