/**
 * Mutants of the ARMv7 eager baseline, each one plausible slip: shared by the quality tests and the
 * audits that cover every planted mutant (test/quality/all-mutants.ts).
 */
import type { Armv7Host, Armv7Vcpu } from '../../models/armv7/model.js';
import { switchVcr } from '../../models/armv7/policies/eager.js';
import { set_hdcr_vmentry_pmu, set_hdcr_vmexit, switch_to_guest, switch_to_host } from '../../models/armv7/policies/hyp.js';
import { definePolicy } from '../../src/engine/policy.js';

/**
 * Eager switching with the 2015 series' register set (save_debug_state: the slots and DBGDSCRext),
 * so DBGVCR stays whatever an untrapped guest wrote: found only when guests write it (--vector-catch 1).
 */
export const vectorCatchNotSwitched = definePolicy<Armv7Vcpu, Armv7Host>({
  name: 'vector-catch-not-switched',
  arch: 'armv7',
  summary: "mutant: eager with the series' save/restore set, which has no DBGVCR",
  hooks: {
    guestEnter(k) {
      switch_to_guest(k);
      set_hdcr_vmentry_pmu(k);
    },
    guestExit(k) {
      set_hdcr_vmexit(k);
      switch_to_host(k);
    },
  },
});

/**
 * Eager switching of every register but the OS Lock: the lock an untrapped guest set with DBGOSLAR
 * stays on the CPU for the host. Found only when guests lock it (--oslock 1).
 */
export const osLockNotSwitched = definePolicy<Armv7Vcpu, Armv7Host>({
  name: 'os-lock-not-switched',
  arch: 'armv7',
  summary: 'mutant: eager without the OS Lock (DBGOSLSR saved, DBGOSLAR written)',
  hooks: {
    guestEnter(k) {
      switch_to_guest(k);
      switchVcr(k, k.host.cp14, k.vcpu.cp14);
      set_hdcr_vmentry_pmu(k);
    },
    guestExit(k) {
      set_hdcr_vmexit(k);
      switch_to_host(k);
      switchVcr(k, k.vcpu.cp14, k.host.cp14);
    },
  },
});
