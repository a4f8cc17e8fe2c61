/**
 * A policy file as a KVM developer would write it: the debug-owner design's debug-register handling on
 * a VHE host, transliterated from arch/arm64/kvm/debug.c (kvm_vcpu_load_debug, kvm_arm_setup_mdcr_el2,
 * kvm_vcpu_put_debug, kvm_debug_set_guest_ownership), hyp/include/hyp/debug-sr.h and
 * hyp/vhe/switch.c, through the public API only. MDCR_EL2 is the host's own register on VHE: the
 * guest's value is written at vcpu_load (and when a trap promotes FREE), the host's restored at
 * vcpu_put; the world switch never touches it. `restoreMdcrAtPut: false` is the planted slip.
 * Named for issue 16, which asked for "6.14's timing" as this order; upstream, saving the host's value
 * in kvm_vcpu_load_debug and restoring it in kvm_vcpu_put_debug is 6.17's (da2e743419cb). 6.14-6.16
 * saved it later, in kvm_vcpu_load_vhe: the built-in arm64-vhe/arm64-owner-2025-6.14.
 */
import {
  __sysreg_restore_state,
  __sysreg_save_state,
  type Arm64Context,
  DBG_MDSCR_KDE,
  DBG_MDSCR_MDE,
  DBGBCR,
  DBGBVR,
  DBGWCR,
  DBGWVR,
  ID_AA64DFR0_EL1,
  MDCCINT_EL1,
  MDCR_EL2,
  MDCR_EL2_HPMN_MASK,
  MDCR_EL2_TDA,
  MDCR_EL2_TDOSA,
  MDCR_EL2_TDRA,
  MDCR_EL2_TPM,
  MDCR_EL2_TPMCR,
  MDSCR_EL1,
  restore_debug,
  save_debug,
} from '../../models/arm64-nvhe/api.js';
import {
  type Arm64VheContext,
  type Arm64VheHost,
  type Arm64VheVcpu,
  access_vm_reg,
  HCR_EL2,
  HCR_HOST_VHE_FLAGS,
  isVmReg,
  kvm_vcpu_load_sysregs,
  kvm_vcpu_put_sysregs,
  OSLSR_EL1,
  resetSysRegs,
  vcpuSysRegAccess,
} from '../../models/arm64-vhe/api.js';
import { definePolicy, type Policy } from '../../src/index.js';

const VCPU_DEBUG_FREE = 0;
const VCPU_DEBUG_GUEST_OWNED = 2;

/** kvm_arm_setup_mdcr_el2: the vCPU's MDCR_EL2, "written directly if we're already at EL2". */
function kvm_arm_setup_mdcr_el2(k: Arm64VheContext): void {
  let mdcr = (k.host.ctxt[MDCR_EL2] as number) & MDCR_EL2_HPMN_MASK;
  mdcr |= MDCR_EL2_TPM | MDCR_EL2_TPMCR | MDCR_EL2_TDRA | MDCR_EL2_TDOSA;
  if (k.vcpu.debugOwner !== VCPU_DEBUG_GUEST_OWNED) mdcr |= MDCR_EL2_TDA;
  k.vcpu.mdcrEl2 = mdcr;
  k.hw.write(MDCR_EL2, mdcr);
}

/** kvm_vcpu_load_debug (no userspace debugging, no OS Lock in this policy): save the host's MDCR_EL2, pick the owner. */
function kvm_vcpu_load_debug(k: Arm64VheContext): void {
  k.host.hostDebugMdcrEl2 = k.hw.read(MDCR_EL2);
  const mdscr = vcpuSysRegAccess.read(k, MDSCR_EL1);
  k.vcpu.debugOwner = mdscr & (DBG_MDSCR_KDE | DBG_MDSCR_MDE) ? VCPU_DEBUG_GUEST_OWNED : VCPU_DEBUG_FREE;
  kvm_arm_setup_mdcr_el2(k);
}

/** The highest breakpoint slot in use (a non-zero value or control) on the CPU or in `mem` (the planted slip's shortcut). */
function highestInUse(k: Arm64Context, mem: Float64Array, nr: number): number {
  for (let n = nr; n > 0; n--) {
    if (k.hw.read(DBGBCR(n)) || k.hw.read(DBGBVR(n)) || mem[DBGBCR(n)] || mem[DBGBVR(n)]) return n;
  }
  return 0;
}

/**
 * __debug_save_state / __debug_restore_state: every implemented bp/wp pair, and MDCCINT_EL1. With
 * `highestOnly` (a planted slip), only the highest breakpoint in use is switched: right whenever one
 * slot is in use, wrong as soon as two are.
 */
function switchDebug(
  k: Arm64Context,
  save: Float64Array,
  saveCtxt: Float64Array,
  load: Float64Array,
  loadCtxt: Float64Array,
  highestOnly = false,
): void {
  const dfr0 = k.hw.read(ID_AA64DFR0_EL1);
  const brps = (dfr0 >> 12) & 0xf;
  const wrps = (dfr0 >> 20) & 0xf;
  if (highestOnly) {
    const n = highestInUse(k, load, brps);
    for (const reg of [DBGBCR, DBGBVR]) {
      save[reg(n)] = k.hw.read(reg(n));
      k.hw.write(reg(n), load[reg(n)] as number);
    }
  }
  for (const [reg, n] of [
    [DBGBCR, brps],
    [DBGBVR, brps],
    [DBGWCR, wrps],
    [DBGWVR, wrps],
  ] as const) {
    if (highestOnly && (reg === DBGBCR || reg === DBGBVR)) continue;
    save_debug(k.hw, save, reg, n);
    restore_debug(k.hw, load, reg, n);
  }
  saveCtxt[MDCCINT_EL1] = k.hw.read(MDCCINT_EL1);
  k.hw.write(MDCCINT_EL1, loadCtxt[MDCCINT_EL1] as number);
}

/**
 * The 6.14 timing; with `restoreMdcrAtPut: false`, kvm_vcpu_put_debug forgets the host's MDCR_EL2;
 * with `highestOnly`, only the highest breakpoint in use is switched.
 */
export function vhe614(options: { restoreMdcrAtPut: boolean; highestOnly?: boolean }): Policy<Arm64VheVcpu, Arm64VheHost> {
  const highestOnly = options.highestOnly ?? false;
  const load = (k: Arm64VheContext): void => {
    kvm_vcpu_load_debug(k);
    kvm_vcpu_load_sysregs(k);
  };
  const put = (k: Arm64VheContext): void => {
    if (options.restoreMdcrAtPut) k.hw.write(MDCR_EL2, k.host.hostDebugMdcrEl2);
    kvm_vcpu_put_sysregs(k);
  };
  return definePolicy<Arm64VheVcpu, Arm64VheHost>({
    name: highestOnly ? 'vhe-6.14-highest-only' : options.restoreMdcrAtPut ? 'vhe-6.14-timing' : 'vhe-6.14-no-mdcr-restore',
    arch: 'arm64-vhe',
    summary: "6.14's VHE debug timing: MDCR_EL2 at vcpu_load/vcpu_put, registers switched only while the guest owns them",
    hooks: {
      vcpuLoad: load,
      vcpuPut: put,
      // __kvm_vcpu_run_vhe: sysreg_save_host_state_vhe (MDSCR_EL1), HCR_EL2, __debug_switch_to_guest.
      guestEnter(k) {
        __sysreg_save_state(k, k.host.ctxt);
        k.hw.write(HCR_EL2, k.vcpu.hcrEl2);
        __sysreg_restore_state(k, k.vcpu.ctxt);
        if (k.vcpu.debugOwner === VCPU_DEBUG_GUEST_OWNED)
          switchDebug(k, k.vcpu.hostDebugState, k.host.ctxt, k.vcpu.debugState, k.vcpu.ctxt, highestOnly);
      },
      guestExit(k) {
        __sysreg_save_state(k, k.vcpu.ctxt);
        k.hw.write(HCR_EL2, HCR_HOST_VHE_FLAGS);
        __sysreg_restore_state(k, k.host.ctxt);
        if (k.vcpu.debugOwner === VCPU_DEBUG_GUEST_OWNED)
          switchDebug(k, k.vcpu.debugState, k.vcpu.ctxt, k.vcpu.hostDebugState, k.host.ctxt, highestOnly);
      },
      // sys_regs.c: access_vm_reg, trap_oslsr_el1, trap_bvr/…/trap_debug_regs then kvm_debug_set_guest_ownership.
      trap(k, p) {
        if (isVmReg(p.reg)) return access_vm_reg(k, p, vcpuSysRegAccess, vcpuSysRegAccess);
        if (p.reg === OSLSR_EL1) {
          if (!p.isWrite) p.regval = k.vcpu.ctxt[OSLSR_EL1] as number;
          return;
        }
        if (p.isWrite) vcpuSysRegAccess.write(k, p.reg, p.regval);
        else p.regval = vcpuSysRegAccess.read(k, p.reg);
        k.vcpu.debugOwner = VCPU_DEBUG_GUEST_OWNED;
        kvm_arm_setup_mdcr_el2(k);
      },
      getReg: (k, reg) => (reg === ID_AA64DFR0_EL1 ? k.hw.read(reg) : vcpuSysRegAccess.read(k, reg)),
      // KVM_SET_ONE_REG runs between two KVM_RUNs (the model puts the vCPU around it).
      setReg: vcpuSysRegAccess.write,
      hypReadReg: vcpuSysRegAccess.read,
      hypWriteReg: vcpuSysRegAccess.write,
      vcpuReset(k) {
        put(k);
        resetSysRegs(k.vcpu);
        load(k);
      },
    },
  });
}

export default vhe614({ restoreMdcrAtPut: true });
