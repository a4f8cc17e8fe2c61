/**
 * "[PATCH v2 22/36] KVM: arm64: Prepare to handle traps on deferred VM sysregs" as posted (Dec 2017):
 * the VM registers stay on the CPU from vcpu_load to vcpu_put, and only the trapped VM-register
 * write goes through read_/write_deferrable_vm_reg (BUG() on an unlisted register). Every other
 * reader — kvm_toggle_cache, the hypervisor's own accesses, KVM_GET/SET_ONE_REG — uses the memory copy
 * (right only for the ioctls, which run with the vCPU put). Reset is the model's default, 4.17's
 * kvm_reset_vcpu on the memory copy, as the merged policy has it.
 */
import { definePolicy } from '../../../src/engine/policy.js';

import type { Arm64VheContext, Arm64VheHost, Arm64VheVcpu } from '../model.js';
import { isVmReg, REGISTER_NAMES } from '../registers.js';
import {
  emulate_sys_reg_2017,
  kvm_vcpu_load_2017,
  kvm_vcpu_put_2017,
  kvm_vcpu_run_vhe_enter,
  kvm_vcpu_run_vhe_exit,
  memoryCopy,
  NO_GUEST_DEBUG_2017,
  type SysRegAccess,
} from './vhe.js';

/** read_deferrable_vm_reg / write_deferrable_vm_reg: the CPU while loaded (a listed register), else memory. */
const deferrableVmReg: SysRegAccess = {
  read(k: Arm64VheContext, reg: number): number {
    if (!k.vcpu.sysregsLoadedOnCpu) return k.vcpu.ctxt[reg] as number;
    if (!isVmReg(reg)) return k.bug(`read_deferrable_vm_reg: no case for ${REGISTER_NAMES[reg]}`);
    return k.hw.read(reg);
  },
  write(k: Arm64VheContext, reg: number, value: number): void {
    if (!k.vcpu.sysregsLoadedOnCpu) {
      k.vcpu.ctxt[reg] = value;
      return;
    }
    if (!isVmReg(reg)) k.bug(`write_deferrable_vm_reg: no case for ${REGISTER_NAMES[reg]}`);
    k.hw.write(reg, value);
  },
};

export default definePolicy<Arm64VheVcpu, Arm64VheHost>({
  name: 'arm64-vhe-deferred-2017-v2',
  arch: 'arm64-vhe',
  summary: 'VM sysregs deferred to vcpu_load/put as posted in v2: only trapped writes see the CPU copy (stale reads elsewhere)',
  hooks: {
    vcpuLoad: kvm_vcpu_load_2017,
    vcpuPut: kvm_vcpu_put_2017,
    guestEnter: kvm_vcpu_run_vhe_enter,
    guestExit: kvm_vcpu_run_vhe_exit,
    trap: (k, p) => emulate_sys_reg_2017(k, p, deferrableVmReg, memoryCopy, memoryCopy),
  },
  ...NO_GUEST_DEBUG_2017,
});
