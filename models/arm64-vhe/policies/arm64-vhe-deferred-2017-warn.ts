/**
 * The review's alternative to BUG(): every sys_regs[] access goes through one giant switch of
 * deferred registers (4.17's vcpu_read_sys_reg / vcpu_write_sys_reg callers: trap emulation,
 * kvm_arm_setup_debug, the hypervisor's own), and while the vCPU is loaded a register it has no case
 * for is WARN()ed and read as zero / written to nowhere (Christoffer Dall: "reads could be WARN+RAZ,
 * and writes could be WARN+WI"). MDSCR_EL1 is such a register. It never stops a hook. A
 * counterfactual: the WARN applied to 4.17's accessor with every caller (no one posted it). Its reset
 * is 5.0's (`reset50`), so that what the checker finds is the WARN's, not 4.17's reset of a loaded
 * vCPU, which arm64-vhe-deferred-2017 reports.
 */
import { definePolicy } from '../../../src/engine/policy.js';

import type { Arm64VheHost, Arm64VheVcpu } from '../model.js';
import { REGISTER_NAMES } from '../registers.js';
import { accessorHooks, reset50, vcpuSysReg } from './arm64-vhe-deferred-2017.js';
import { NO_GUEST_DEBUG_2017 } from './vhe.js';

export default definePolicy<Arm64VheVcpu, Arm64VheHost>({
  name: 'arm64-vhe-deferred-2017-warn',
  arch: 'arm64-vhe',
  summary: 'deferred VM sysregs behind one accessor that WARNs and reads-as-zero / ignores writes to registers it has no case for',
  hooks: accessorHooks(
    vcpuSysReg({
      read(k, reg) {
        k.warn(`vcpu_read_sys_reg: ${REGISTER_NAMES[reg]} is not deferred (RAZ)`);
        return 0;
      },
      write(k, reg) {
        k.warn(`vcpu_write_sys_reg: ${REGISTER_NAMES[reg]} is not deferred (WI)`);
      },
    }),
    reset50,
  ),
  ...NO_GUEST_DEBUG_2017,
});
