/**
 * What 32-bit KVM/arm shipped before the 2015 series: set_hdcr traps only the PMU, so the guest's
 * CP14 debug accesses reach the hardware, and the world switch neither saves nor restores them.
 */
import { definePolicy } from '../../../src/engine/policy.js';
import type { Armv7Host, Armv7Vcpu } from '../model.js';
import { set_hdcr_vmentry_pmu, set_hdcr_vmexit } from './hyp.js';

export default definePolicy<Armv7Vcpu, Armv7Host>({
  name: 'armv7-none',
  arch: 'armv7',
  summary: 'arm32 KVM before 2015: debug registers neither trapped nor switched',
  hooks: {
    guestEnter: (k) => set_hdcr_vmentry_pmu(k),
    guestExit: (k) => set_hdcr_vmexit(k),
  },
});
