/**
 * The deferral as the review converged on (merged in Linux 4.17): vcpu_read_sys_reg /
 * vcpu_write_sys_reg hide where a register lives — on the CPU for a deferred register while the
 * vCPU is loaded, else the memory copy — and the hypervisor's readers use them: trap emulation,
 * kvm_toggle_cache, the hypervisor's own accesses. KVM_GET/SET_ONE_REG use the memory copy
 * (__vcpu_sys_reg), right because they run with the vCPU put.
 *
 * Reset is 4.17's kvm_reset_vcpu: it writes the memory copy and never puts. KVM_ARM_VCPU_INIT runs it
 * with the vCPU put, but PSCI CPU_ON (virt/kvm/arm/psci.c kvm_psci_vcpu_on) runs it from the caller's
 * thread on a target that has just done CPU_OFF and may still be loaded: the model's VCPU_RESET of a
 * loaded vCPU. 5.0 fixed that (358b28f09f0a "Allow a VCPU to fully reset itself", e761a927bc9a
 * "Reset the VCPU without preemption and vcpu state loaded": put, reset, load); `reset50` is that reset.
 */
import { definePolicy } from '../../../src/engine/policy.js';
import { storage } from '../../arm64-nvhe/model.js';
import { ID_AA64DFR0_EL1, MDCCINT_EL1, MDSCR_EL1 } from '../../arm64-nvhe/registers.js';
import { type Arm64VheContext, type Arm64VheHooks, type Arm64VheHost, type Arm64VheVcpu, resetSysRegs } from '../model.js';
import { isVmReg } from '../registers.js';
import {
  emulate_sys_reg_2017,
  kvm_vcpu_load_2017,
  kvm_vcpu_put_2017,
  kvm_vcpu_run_vhe_enter_with,
  kvm_vcpu_run_vhe_exit,
  NO_GUEST_DEBUG_2017,
  type SysRegAccess,
} from './vhe.js';

/**
 * vcpu_read_sys_reg / vcpu_write_sys_reg with `unlisted` deciding what a register the switch has no
 * case for does while the vCPU is loaded (as merged: the memory copy, which is live for it).
 */
export function vcpuSysReg(unlisted: SysRegAccess): SysRegAccess {
  return {
    read(k: Arm64VheContext, reg: number): number {
      if (!k.vcpu.sysregsLoadedOnCpu) return storage(k.vcpu, reg)[reg] as number;
      return isVmReg(reg) ? k.hw.read(reg) : unlisted.read(k, reg);
    },
    write(k: Arm64VheContext, reg: number, value: number): void {
      if (!k.vcpu.sysregsLoadedOnCpu) storage(k.vcpu, reg)[reg] = value;
      else if (isVmReg(reg)) k.hw.write(reg, value);
      else unlisted.write(k, reg, value);
    },
  };
}

/** Registers the switch does not defer live in memory: __vcpu_sys_reg() (or vcpu_debug_state). */
const inMemory: SysRegAccess = {
  read: (k, reg) => storage(k.vcpu, reg)[reg] as number,
  write(k, reg, value) {
    storage(k.vcpu, reg)[reg] = value;
  },
};

/**
 * Whether 4.17 keeps `reg` in sys_regs[] (kvm_host.h enum vcpu_sysreg), the only registers
 * vcpu_read_sys_reg can be asked for: of the model's, the VM registers, MDSCR_EL1 and MDCCINT_EL1.
 * The breakpoint and watchpoint registers live in vcpu_debug_state (debug_ptr, since 4.5), ID
 * registers are read sanitised (read_id_reg), OSLSR_EL1 is a constant (trap_oslsr_el1; in sys_regs[] from 5.18).
 */
const inSysRegs = (reg: number): boolean => isVmReg(reg) || reg === MDSCR_EL1 || reg === MDCCINT_EL1;

/** Where 4.17 finds a register: `access` for a sys_regs[] entry, read_id_reg (the CPU's value) for the ID register, else memory. */
function where417(access: SysRegAccess): SysRegAccess {
  return {
    read(k, reg) {
      if (reg === ID_AA64DFR0_EL1) return k.hw.read(reg);
      return inSysRegs(reg) ? access.read(k, reg) : inMemory.read(k, reg);
    },
    write: (k, reg, value) => (inSysRegs(reg) ? access : inMemory).write(k, reg, value),
  };
}

/**
 * kvm_reset_vcpu from 5.0 on (e761a927bc9a): put the registers if they are loaded, reset the memory
 * copy, load them again. Not 4.17's (which reset the memory copy only); for comparison.
 */
export function reset50(k: Arm64VheContext): void {
  kvm_vcpu_put_2017(k);
  resetSysRegs(k.vcpu);
  kvm_vcpu_load_2017(k);
}

/**
 * The 4.17 hooks with every access 4.17 makes through vcpu_read_sys_reg / vcpu_write_sys_reg going
 * through `access`; `vcpuReset` is 4.17's kvm_reset_vcpu (memory only) unless given.
 */
export function accessorHooks(access: SysRegAccess, vcpuReset: (k: Arm64VheContext) => void = (k) => resetSysRegs(k.vcpu)): Arm64VheHooks {
  const sysReg = where417(access);
  return {
    vcpuLoad: kvm_vcpu_load_2017,
    vcpuPut: kvm_vcpu_put_2017,
    guestEnter: (k) => kvm_vcpu_run_vhe_enter_with(k, access),
    guestExit: kvm_vcpu_run_vhe_exit,
    trap: (k, p) => emulate_sys_reg_2017(k, p, access, access, access),
    getReg: sysReg.read,
    setReg: sysReg.write,
    hypReadReg: sysReg.read,
    hypWriteReg: sysReg.write,
    vcpuReset,
  };
}

/** vcpu_read_sys_reg / vcpu_write_sys_reg as merged: the CPU for a deferred register while loaded, else memory. */
export const vcpuSysRegAccess: SysRegAccess = vcpuSysReg(inMemory);

/**
 * 4.17 as merged with 5.0's reset (`reset50`): not a built-in, the comparison that shows the deferral
 * itself holds once a loaded vCPU is put around its reset.
 */
export const arm64VheDeferred2017Reset50 = definePolicy<Arm64VheVcpu, Arm64VheHost>({
  name: 'arm64-vhe-deferred-2017-reset50',
  arch: 'arm64-vhe',
  summary: "arm64-vhe-deferred-2017 with 5.0's kvm_reset_vcpu (put, reset, load: e761a927bc9a)",
  hooks: accessorHooks(vcpuSysRegAccess, reset50),
  ...NO_GUEST_DEBUG_2017,
});

export default definePolicy<Arm64VheVcpu, Arm64VheHost>({
  name: 'arm64-vhe-deferred-2017',
  arch: 'arm64-vhe',
  summary:
    "VM sysregs deferred to vcpu_load/put behind vcpu_read/write_sys_reg, used by the hypervisor's readers; reset on the memory copy only (as merged in 4.17)",
  hooks: accessorHooks(vcpuSysRegAccess),
  ...NO_GUEST_DEBUG_2017,
});
