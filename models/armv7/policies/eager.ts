/**
 * Eager switching: on every entry save all of the host's debug registers and load all of the
 * guest's, on every exit the reverse; guest accesses never trap. The correctness baseline and the
 * cost ceiling (DESIGN §8).
 */
import { definePolicy } from '../../../src/engine/policy.js';
import type { Armv7Host, Armv7Vcpu } from '../model.js';
import { set_hdcr_vmentry, set_hdcr_vmexit, switch_to_guest, switch_to_host } from './hyp.js';

export default definePolicy<Armv7Vcpu, Armv7Host>({
  name: 'eager',
  arch: 'armv7',
  summary: 'always switch every debug register on entry and exit; never trap (baseline, cost ceiling)',
  hooks: {
    guestEnter(k) {
      switch_to_guest(k);
      set_hdcr_vmentry(k, false);
    },
    guestExit(k) {
      set_hdcr_vmexit(k);
      switch_to_host(k);
    },
  },
});
