/**
 * The upstream 6.14 debug-owner design on VHE (arm64-nvhe/policies/debug-owner.ts) with what VHE
 * adds: the VM registers deferred to vcpu_load/vcpu_put behind vcpu_read/write_sys_reg, HCR_EL2 in
 * the run loop, KVM_SET_GUEST_DEBUG (HOST_OWNED, userspace's breakpoints in external_debug_state)
 * and the OS Lock (OSLAR_EL1 trapped, OSLSR_EL1.OSLK kept in memory, ownership decided again).
 */
import { definePolicy, type GuestDebug, type TrapParams } from '../../../src/policy.js';
import type { Arm64Host, Arm64Vcpu } from '../../arm64-nvhe/model.js';
import {
  debug_switch_to_guest,
  debug_switch_to_host,
  kvm_arch_vcpu_ioctl_set_guest_debug,
  kvm_vcpu_load_debug,
  trap_debug_owner,
} from '../../arm64-nvhe/policies/debug-owner.js';
import { ID_AA64DFR0_EL1 } from '../../arm64-nvhe/registers.js';
import { type Arm64VheContext, type Arm64VheVcpu, resetSysRegs } from '../model.js';
import { HCR_EL2, isVmReg, OSLAR_EL1, OSLAR_OSLK, OSLSR_EL1, OSLSR_OSLK } from '../registers.js';
import { GDB_BCR } from '../vmm-debug-events.js';
import { vcpuSysRegAccess as sysReg } from './arm64-vhe-deferred-2017.js';
import { access_vm_reg, HCR_HOST_VHE_FLAGS, kvm_vcpu_load_sysregs, kvm_vcpu_put_sysregs } from './vhe.js';

/** kvm_vcpu_os_lock_enabled: OSLSR_EL1.OSLK of the memory copy (__vcpu_sys_reg; OSLSR_EL1 is not deferred). */
const kvm_vcpu_os_lock_enabled = (v: Arm64Vcpu): boolean => ((v.ctxt[OSLSR_EL1] as number) & OSLSR_OSLK) !== 0;

/** kvm_arch_vcpu_load: the debug owner first ("must be called before kvm_vcpu_load_vhe"), then the deferred sysregs. */
function kvm_arch_vcpu_load(k: Arm64VheContext): void {
  kvm_vcpu_load_debug(k, kvm_vcpu_os_lock_enabled);
  kvm_vcpu_load_sysregs(k);
}

/** kvm_arch_vcpu_put, then kvm_arch_vcpu_load: what an ioctl changing ownership inputs leads to before KVM_RUN. */
function reload(k: Arm64VheContext): void {
  kvm_vcpu_put_sysregs(k);
  kvm_arch_vcpu_load(k);
}

/** kvm_debug_handle_oslar: record OSLK, then put and load the vCPU so ownership is decided again. */
function kvm_debug_handle_oslar(k: Arm64VheContext, val: number): void {
  const oslsr = k.vcpu.ctxt[OSLSR_EL1] as number;
  k.vcpu.ctxt[OSLSR_EL1] = val & OSLAR_OSLK ? oslsr | OSLSR_OSLK : oslsr & ~OSLSR_OSLK;
  reload(k);
}

/** The 6.14 sys_regs.c handlers for the trapped registers the model has. */
function trap(k: Arm64VheContext, p: TrapParams): void {
  if (isVmReg(p.reg)) access_vm_reg(k, p, sysReg, sysReg);
  else if (p.reg === OSLAR_EL1) {
    if (p.isWrite) kvm_debug_handle_oslar(k, p.regval); // trap_oslar_el1
  } else if (p.reg === OSLSR_EL1) {
    if (!p.isWrite) p.regval = k.vcpu.ctxt[OSLSR_EL1] as number; // trap_oslsr_el1
  } else trap_debug_owner(k, p);
}

/**
 * KVM_SET_GUEST_DEBUG; ownership is decided at the vcpu_load that KVM_RUN does next, which this
 * model's still-loaded vCPU stands for with a put and a load.
 */
function setGuestDebug(k: Arm64VheContext, dbg: GuestDebug): number {
  kvm_arch_vcpu_ioctl_set_guest_debug(k, dbg, GDB_BCR);
  reload(k);
  return 0;
}

export default definePolicy<Arm64VheVcpu, Arm64Host>({
  name: 'arm64-owner-2025',
  arch: 'arm64-vhe',
  summary: 'upstream 6.14 debug owner (FREE / HOST_OWNED / GUEST_OWNED at vcpu_load, promoted on the first trap), VM sysregs deferred',
  hooks: {
    vcpuLoad: kvm_arch_vcpu_load,
    vcpuPut: kvm_vcpu_put_sysregs,
    // __kvm_vcpu_run_vhe. 6.14 writes MDCR_EL2 at vcpu_load on VHE; here MDCR_EL2 gates host debug too, so it switches at entry.
    guestEnter(k) {
      k.hw.write(HCR_EL2, k.vcpu.hcrEl2);
      debug_switch_to_guest(k);
    },
    guestExit(k) {
      k.hw.write(HCR_EL2, HCR_HOST_VHE_FLAGS);
      debug_switch_to_host(k);
    },
    trap,
    getReg: (k, reg) => (reg === ID_AA64DFR0_EL1 ? k.hw.read(reg) : sysReg.read(k, reg)),
    // KVM_SET_ONE_REG, then the vcpu_load of the next KVM_RUN.
    setReg(k, reg, value) {
      sysReg.write(k, reg, value);
      reload(k);
    },
    hypReadReg: sysReg.read,
    hypWriteReg: sysReg.write,
    setGuestDebug,
    // kvm_reset_vcpu: put, reset the memory copy, load.
    vcpuReset(k) {
      kvm_vcpu_put_sysregs(k);
      resetSysRegs(k.vcpu);
      kvm_arch_vcpu_load(k);
    },
  },
});
