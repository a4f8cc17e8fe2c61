/**
 * Eager switching: on every entry save all of the host's debug registers and load all of the
 * guest's, on every exit the reverse; guest accesses never trap. The correctness baseline and the
 * cost ceiling (DESIGN §8). "All" includes DBGVCR and the OS Lock, which the 2015 series'
 * save/restore leaves out: a guest that runs untrapped can write them (`--vector-catch 1`, `--oslock 1`).
 */
import { definePolicy } from '../../../src/engine/policy.js';
import type { Armv7Context, Armv7Host, Armv7Vcpu } from '../model.js';
import { DBGOSLAR, DBGOSLAR_KEY, DBGOSLSR, DBGOSLSR_OSLK, DBGVCR } from '../registers.js';
import { set_hdcr_vmentry_pmu, set_hdcr_vmexit, switch_to_guest, switch_to_host } from './hyp.js';

/** The series' switch and DBGVCR with it: save `from`'s from the hardware, load `to`'s. */
export function switchVcr(k: Armv7Context, from: Float64Array, to: Float64Array): void {
  from[DBGVCR] = k.hw.read(DBGVCR);
  k.hw.write(DBGVCR, to[DBGVCR] as number);
}

/**
 * The OS Lock: save `from`'s from DBGOSLSR.OSLK (DBGOSLAR is write-only) as the DBGOSLAR value that
 * sets it again (the key, or 0), and load `to`'s by writing DBGOSLAR. Done with the lock clear: on
 * exit before the host's registers are loaded, on entry after the guest's.
 */
export function switchOsLock(k: Armv7Context, from: Float64Array, to: Float64Array): void {
  from[DBGOSLAR] = k.hw.read(DBGOSLSR) & DBGOSLSR_OSLK ? DBGOSLAR_KEY : 0;
  k.hw.write(DBGOSLAR, to[DBGOSLAR] as number);
}

export default definePolicy<Armv7Vcpu, Armv7Host>({
  name: 'eager',
  arch: 'armv7',
  summary: 'always switch every debug register on entry and exit; never trap (baseline, cost ceiling)',
  hooks: {
    guestEnter(k) {
      switch_to_guest(k);
      switchVcr(k, k.host.cp14, k.vcpu.cp14);
      switchOsLock(k, k.host.cp14, k.vcpu.cp14);
      set_hdcr_vmentry_pmu(k);
    },
    guestExit(k) {
      set_hdcr_vmexit(k);
      switchOsLock(k, k.vcpu.cp14, k.host.cp14);
      switch_to_host(k);
      switchVcr(k, k.vcpu.cp14, k.host.cp14);
    },
  },
});
