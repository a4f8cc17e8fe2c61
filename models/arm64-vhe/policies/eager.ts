/**
 * Eager switching on VHE, as before the 2017 deferral series: nothing is deferred; the VM
 * registers are loaded on every entry and saved on every exit, so the memory copy is always live
 * while the host runs, and the debug registers switch in full as in arm64-nvhe/eager.
 */
import { definePolicy } from '../../../src/engine/policy.js';

import { eagerEnter, eagerExit } from '../../arm64-nvhe/policies/eager.js';
import type { Arm64VheContext, Arm64VheHost, Arm64VheVcpu } from '../model.js';
import { HCR_EL2, VM_REGS } from '../registers.js';
import {
  __sysreg_restore_el2_return_state,
  __sysreg_save_el2_return_state,
  emulate_sys_reg_2017,
  HCR_HOST_VHE_FLAGS,
  memoryCopy,
} from './vhe.js';

export default definePolicy<Arm64VheVcpu, Arm64VheHost>({
  name: 'eager',
  arch: 'arm64-vhe',
  summary: 'no deferral: VM sysregs and every debug register switched on each entry and exit (baseline, cost ceiling)',
  hooks: {
    guestEnter(k: Arm64VheContext) {
      eagerEnter(k);
      for (const reg of VM_REGS) k.hw.write(reg, k.vcpu.ctxt[reg] as number);
      k.hw.write(HCR_EL2, k.vcpu.hcrEl2);
      __sysreg_restore_el2_return_state(k);
    },
    guestExit(k: Arm64VheContext) {
      __sysreg_save_el2_return_state(k);
      eagerExit(k);
      for (const reg of VM_REGS) k.vcpu.ctxt[reg] = k.hw.read(reg);
      k.hw.write(HCR_EL2, HCR_HOST_VHE_FLAGS);
    },
    trap: (k, p) => emulate_sys_reg_2017(k, p, memoryCopy, memoryCopy),
  },
});
