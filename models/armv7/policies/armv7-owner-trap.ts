/**
 * Will Deacon's alternative in the 2015 review: "why not just trap debug access from the host as
 * well? Then you could keep track of the owner in kvm". HDCR keeps the debug traps set while the
 * host runs; a trapped host access makes the host this CPU's owner, a trapped guest write makes
 * the guest own its vCPU's registers (the dirty bit, kept until reset); entry switches everything only when somebody owns them.
 */
import { definePolicy } from '../../../src/engine/policy.js';
import type { Armv7Context, Armv7Host, Armv7Vcpu } from '../model.js';
import { HDCR, HDCR_TPM, HDCR_TPMCR } from '../registers.js';
import {
  emulate_cp14_32,
  GUEST_LIVE,
  HDCR_DEBUG_TRAPS,
  host_ctrl_enabled,
  KVM_ARM_DEBUG_DIRTY,
  set_hdcr_vmentry,
  switch_to_guest,
  switch_to_host,
} from './hyp.js';

/** Per-CPU words in k.host.percpu: host traps installed on this CPU, and whether the host owns its debug registers. */
const TRAPS_ON = 0;
const HOST_OWNS = 1;

/** Per-CPU KVM init: start trapping the host, taking ownership from what the host already programmed. */
function init_host_traps(k: Armv7Context): void {
  if (k.host.percpu[TRAPS_ON]) return;
  k.host.percpu[HOST_OWNS] = host_ctrl_enabled(k) ? 1 : 0;
  k.hw.write(HDCR, k.hw.read(HDCR) | HDCR_DEBUG_TRAPS);
  k.host.percpu[TRAPS_ON] = 1;
}

export default definePolicy<Armv7Vcpu, Armv7Host>({
  name: 'armv7-owner-trap',
  arch: 'armv7',
  summary: 'trap host debug accesses too and track an owner; switch only when the host or the guest owns the registers',
  hooks: {
    vcpuLoad: init_host_traps,
    hostTrap(k, p) {
      k.host.percpu[HOST_OWNS] = 1;
      if (p.isWrite) k.hw.write(p.reg, p.regval);
      else p.regval = k.hw.read(p.reg);
    },
    guestEnter(k) {
      if (k.host.percpu[HOST_OWNS] || k.vcpu.debugFlags & KVM_ARM_DEBUG_DIRTY) {
        k.vcpu.debugFlags |= GUEST_LIVE;
        switch_to_guest(k);
      }
      set_hdcr_vmentry(k, !(k.vcpu.debugFlags & GUEST_LIVE));
    },
    guestExit(k) {
      // Back to the host with the debug traps still set, so that its accesses keep being tracked.
      k.hw.write(HDCR, (k.hw.read(HDCR) & ~(HDCR_TPM | HDCR_TPMCR)) | HDCR_DEBUG_TRAPS);
      if (!(k.vcpu.debugFlags & GUEST_LIVE)) return;
      switch_to_host(k);
      k.vcpu.debugFlags &= ~GUEST_LIVE;
    },
    trap: emulate_cp14_32,
    vcpuReset(k) {
      k.vcpu.cp14.fill(0);
      k.vcpu.debugFlags &= ~KVM_ARM_DEBUG_DIRTY;
    },
  },
});
