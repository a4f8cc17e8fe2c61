/**
 * "[PATCH v3 08/11] KVM: arm: implement dirty bit mechanism for debug registers" as posted (June
 * 2015): guest CP14 accesses trap until the guest writes one (the dirty bit); the dirty bit, or the
 * guest's DBGDSCRext.MDBGen, makes entry switch everything and stop trapping; exit switches back.
 */
import { definePolicy } from '../../../src/engine/policy.js';
import type { Armv7Context, Armv7Host, Armv7Vcpu } from '../model.js';
import { ARM_DSCR_MDBGEN, DBGDSCRext } from '../registers.js';
import { emulate_cp14_32, KVM_ARM_DEBUG_DIRTY, set_hdcr_vmentry, set_hdcr_vmexit, switch_to_guest, switch_to_host } from './hyp.js';

/** compute_debug_state: MDBGen sets the dirty bit; returns whether to do the save/restore dance. */
function compute_debug_state(k: Armv7Context): boolean {
  if ((k.vcpu.cp14[DBGDSCRext] as number) & ARM_DSCR_MDBGEN) {
    k.vcpu.debugFlags = KVM_ARM_DEBUG_DIRTY;
    return true;
  }
  // skip_debug_state: cmp r5, #KVM_ARM_DEBUG_DIRTY; bne \target
  return k.vcpu.debugFlags === KVM_ARM_DEBUG_DIRTY;
}

export default definePolicy<Armv7Vcpu, Armv7Host>({
  name: 'armv7-dirty-2015',
  arch: 'armv7',
  summary: 'the 2015 patch as posted: trap, dirty bit on write, guest MDBGen forces the full switch',
  hooks: {
    guestEnter(k) {
      if (compute_debug_state(k)) switch_to_guest(k);
      set_hdcr_vmentry(k, k.vcpu.debugFlags !== KVM_ARM_DEBUG_DIRTY);
    },
    guestExit(k) {
      set_hdcr_vmexit(k);
      if (k.vcpu.debugFlags !== KVM_ARM_DEBUG_DIRTY) return;
      switch_to_host(k);
      k.vcpu.debugFlags = 0; // clear_debug_dirty_bit
    },
    trap: emulate_cp14_32,
  },
});
