/**
 * The upstream debug-owner design both arm64 variants share (Linux 6.14 arch/arm64/kvm/debug.c,
 * hyp/include/hyp/debug-sr.h, hyp/include/hyp/sysreg-sr.h): who owns the debug registers is decided
 * at vcpu_load (HOST_OWNED while userspace debugs the vCPU or its OS Lock is locked, GUEST_OWNED
 * when the guest's MDSCR_EL1 has MDE or KDE, else FREE), MDCR_EL2 is computed there, the first
 * trapped access promotes FREE to GUEST_OWNED, and the world switch swaps registers only when owned.
 */
import type { GuestDebug, TrapParams } from '../../../src/engine/policy.js';
import {
  GUEST_SS_ACTIVE_PENDING,
  HOST_SS_ACTIVE_PENDING,
  KVM_GUESTDBG_ENABLE,
  KVM_GUESTDBG_SINGLESTEP,
  KVM_GUESTDBG_USE_HW,
  VCPU_DEBUG_FREE,
  VCPU_DEBUG_GUEST_OWNED,
  VCPU_DEBUG_HOST_OWNED,
} from '../kvm-flags.js';
import { type Arm64Context, type Arm64Vcpu, storage } from '../model.js';
import {
  DBG_MDSCR_KDE,
  DBG_MDSCR_MDE,
  DBG_MDSCR_SS,
  DBG_SPSR_SS,
  DBGBCR,
  DBGBVR,
  DBGWCR,
  DBGWVR,
  MDCR_EL2,
  MDCR_EL2_HPMN_MASK,
  MDCR_EL2_TDA,
  MDCR_EL2_TDE,
  MDCR_EL2_TDOSA,
  MDCR_EL2_TDRA,
  MDCR_EL2_TPM,
  MDCR_EL2_TPMCR,
  MDCR_EL2_TTRF,
  MDSCR_EL1,
  OSLAR_OSLK,
  OSLSR_OSLK,
} from '../registers.js';
import { __debug_restore_state, __debug_save_state, __sysreg_restore_state, __sysreg_save_state } from './hyp.js';

export {
  GUEST_SS_ACTIVE_PENDING,
  HOST_SS_ACTIVE_PENDING,
  KVM_GUESTDBG_ENABLE,
  KVM_GUESTDBG_SINGLESTEP,
  KVM_GUESTDBG_USE_HW,
  VCPU_DEBUG_FREE,
  VCPU_DEBUG_GUEST_OWNED,
  VCPU_DEBUG_HOST_OWNED,
};

const kvm_host_owns_debug_regs = (v: Arm64Vcpu): boolean => v.debugOwner === VCPU_DEBUG_HOST_OWNED;
const kvm_guest_owns_debug_regs = (v: Arm64Vcpu): boolean => v.debugOwner === VCPU_DEBUG_GUEST_OWNED;
const kvm_debug_regs_in_use = (v: Arm64Vcpu): boolean => v.debugOwner !== VCPU_DEBUG_FREE;

/** The host's per-CPU data on VHE: host_data->host_debug_state.mdcr_el2 (6.14), the host's MDCR_EL2 from vcpu_load to vcpu_put. */
export interface HostDebugMdcr {
  hostDebugMdcrEl2: number;
}

/** has_vhe(): false for the nVHE policies, true for the VHE ones (the host at EL2 writes MDCR_EL2 itself). */
export type HasVhe = boolean;

/**
 * kvm_arm_setup_mdcr_el2: trap PMU, trace filter (TTRF, since a354a64d91ee), debug ROM and OS
 * registers (6.14 debug.c, TPMS not modelled); TDE while userspace debugs; TDA
 * unless the guest owns debug; "Write MDCR_EL2 directly if we're already at EL2" (has_vhe()).
 */
function kvm_arm_setup_mdcr_el2(k: Arm64Context, vhe: HasVhe): void {
  let mdcr = (k.host.ctxt[MDCR_EL2] as number) & MDCR_EL2_HPMN_MASK;
  mdcr |= MDCR_EL2_TPM | MDCR_EL2_TTRF | MDCR_EL2_TPMCR | MDCR_EL2_TDRA | MDCR_EL2_TDOSA;
  if (k.vcpu.guestDebug) mdcr |= MDCR_EL2_TDE;
  if (!kvm_guest_owns_debug_regs(k.vcpu)) mdcr |= MDCR_EL2_TDA;
  k.vcpu.mdcrEl2 = mdcr;
  if (vhe) k.hw.write(MDCR_EL2, mdcr);
}

/**
 * setup_external_mdscr: the guest's MDSCR_EL1 without SS, MDE and KDE (the only bits modelled, so
 * nothing is left), then SS for userspace's single-step and MDE|KDE for its breakpoints; under the
 * OS Lock alone MDE stays clear, masking every debug exception it blocks.
 */
function setup_external_mdscr(k: Arm64Context): void {
  let mdscr = 0;
  if (k.vcpu.guestDebug & KVM_GUESTDBG_SINGLESTEP) mdscr |= DBG_MDSCR_SS;
  if (k.vcpu.guestDebug & KVM_GUESTDBG_USE_HW) mdscr |= DBG_MDSCR_MDE | DBG_MDSCR_KDE;
  k.vcpu.externalMdscrEl1 = mdscr;
}

const setFlag = (v: Arm64Vcpu, flag: number, on: boolean): void => {
  v.ssFlags = on ? v.ssFlags | flag : v.ssFlags & ~flag;
};

/**
 * kvm_vcpu_put_debug: the host's MDCR_EL2 back (VHE, from 6.17: `hostMdcr`), then save userspace's
 * software-step state and give the guest its own back. 6.14-6.16 restore MDCR_EL2 in
 * kvm_vcpu_put_vhe (__deactivate_traps_common) instead: `hostMdcr` false.
 */
export function kvm_vcpu_put_debug(k: Arm64Context, vhe: HasVhe = false, hostMdcr: boolean = vhe): void {
  if (hostMdcr) k.hw.write(MDCR_EL2, (k.host as Arm64Context['host'] & HostDebugMdcr).hostDebugMdcrEl2);
  if (!(k.vcpu.guestDebug & KVM_GUESTDBG_SINGLESTEP)) return;
  setFlag(k.vcpu, HOST_SS_ACTIVE_PENDING, (k.vcpu.pstate & DBG_SPSR_SS) === 0);
  k.vcpu.pstate = k.vcpu.ssFlags & GUEST_SS_ACTIVE_PENDING ? k.vcpu.pstate & ~DBG_SPSR_SS : k.vcpu.pstate | DBG_SPSR_SS;
}

/**
 * kvm_vcpu_load_debug: save the host's MDCR_EL2 (VHE, from 6.17: `hostMdcr`), decide who owns the
 * debug registers (and the external MDSCR_EL1), then MDCR_EL2 (written at once on VHE). 6.14-6.16
 * have no save here: kvm_vcpu_load_vhe (__activate_traps_common) saves it, after this function has
 * written the vCPU's; 6.17's "KVM: arm64: VHE: Save and restore host MDCR_EL2 value correctly"
 * (da2e743419cb) moved the save here, before the write.
 */
export function kvm_vcpu_load_debug(
  k: Arm64Context,
  osLockEnabled: (v: Arm64Vcpu) => boolean,
  vhe: HasVhe = false,
  hostMdcr: boolean = vhe,
): void {
  if (hostMdcr) (k.host as Arm64Context['host'] & HostDebugMdcr).hostDebugMdcrEl2 = k.hw.read(MDCR_EL2);
  if (k.vcpu.guestDebug || osLockEnabled(k.vcpu)) {
    k.vcpu.debugOwner = VCPU_DEBUG_HOST_OWNED;
    setup_external_mdscr(k);
    // Steal the guest's software-step state machine if userspace wants to single-step it.
    if (k.vcpu.guestDebug & KVM_GUESTDBG_SINGLESTEP) {
      setFlag(k.vcpu, GUEST_SS_ACTIVE_PENDING, (k.vcpu.pstate & DBG_SPSR_SS) === 0);
      k.vcpu.pstate = k.vcpu.ssFlags & HOST_SS_ACTIVE_PENDING ? k.vcpu.pstate & ~DBG_SPSR_SS : k.vcpu.pstate | DBG_SPSR_SS;
    }
  } else {
    const mdscr = k.vcpu.ctxt[MDSCR_EL1] as number;
    k.vcpu.debugOwner = mdscr & (DBG_MDSCR_KDE | DBG_MDSCR_MDE) ? VCPU_DEBUG_GUEST_OWNED : VCPU_DEBUG_FREE;
  }
  kvm_arm_setup_mdcr_el2(k, vhe);
}

/** kvm_debug_set_guest_ownership: a trapped access hands FREE debug registers to the guest (host ownership wins). */
function kvm_debug_set_guest_ownership(k: Arm64Context, vhe: HasVhe): void {
  if (kvm_host_owns_debug_regs(k.vcpu)) return;
  k.vcpu.debugOwner = VCPU_DEBUG_GUEST_OWNED;
  kvm_arm_setup_mdcr_el2(k, vhe);
}

/** The debug registers the guest runs on: userspace's while the host owns them, else its own (__vcpu_debug_regs). */
const guest_dbg = (v: Arm64Vcpu): Float64Array => (kvm_host_owns_debug_regs(v) ? v.externalDebugState : v.debugState);

/**
 * nVHE: host_data->host_debug_state.mdcr_el2, the host's MDCR_EL2 while a guest runs (a word of the
 * per-CPU scratch area; on VHE it is Arm64VheHost.hostDebugMdcrEl2).
 */
const HOST_DEBUG_MDCR_EL2 = 0;

/**
 * Entry: host MDSCR_EL1 saved; on nVHE __activate_traps (__activate_traps_common, 6.14) saves the
 * host's MDCR_EL2 and writes the vCPU's (VHE wrote it at vcpu_load); the guest's MDSCR_EL1
 * (ctxt_mdscr_el1), __debug_switch_to_guest_common.
 */
export function debug_switch_to_guest(k: Arm64Context, vhe: HasVhe = false): void {
  __sysreg_save_state(k, k.host.ctxt);
  if (!vhe) {
    k.host.scratch[HOST_DEBUG_MDCR_EL2] = k.hw.read(MDCR_EL2);
    k.hw.write(MDCR_EL2, k.vcpu.mdcrEl2);
  }
  k.hw.write(MDSCR_EL1, kvm_host_owns_debug_regs(k.vcpu) ? k.vcpu.externalMdscrEl1 : (k.vcpu.ctxt[MDSCR_EL1] as number));
  if (!kvm_debug_regs_in_use(k.vcpu)) return;
  __debug_save_state(k, k.vcpu.hostDebugState, k.host.ctxt);
  __debug_restore_state(k, guest_dbg(k.vcpu), k.vcpu.ctxt);
}

/**
 * Exit: the guest's MDSCR_EL1 saved where it came from; on nVHE __deactivate_traps
 * (__deactivate_traps_common) writes the host's MDCR_EL2 back (VHE keeps the guest's until vcpu_put);
 * the host's MDSCR_EL1 back, __debug_switch_to_host_common.
 */
export function debug_switch_to_host(k: Arm64Context, vhe: HasVhe = false): void {
  if (kvm_host_owns_debug_regs(k.vcpu)) k.vcpu.externalMdscrEl1 = k.hw.read(MDSCR_EL1);
  else __sysreg_save_state(k, k.vcpu.ctxt);
  if (!vhe) k.hw.write(MDCR_EL2, k.host.scratch[HOST_DEBUG_MDCR_EL2] as number);
  __sysreg_restore_state(k, k.host.ctxt);
  if (!kvm_debug_regs_in_use(k.vcpu)) return;
  __debug_save_state(k, guest_dbg(k.vcpu), k.vcpu.ctxt);
  __debug_restore_state(k, k.vcpu.hostDebugState, k.host.ctxt);
}

/** kvm_skip_instr after an emulated instruction: advance the software-step state machine (PSTATE.SS = 0). */
export function kvm_skip_instr(k: Arm64Context): void {
  k.vcpu.pstate &= ~DBG_SPSR_SS;
}

/** kvm_handle_guest_debug on a software-step exit: the next instruction is to be stepped (active-not-pending). */
export function kvm_handle_guest_debug(k: Arm64Context, reason: string): void {
  if (reason === 'step') k.vcpu.pstate |= DBG_SPSR_SS;
}

/** trap_bvr / trap_bcr / trap_wvr / trap_wcr / trap_debug_regs: the memory copy (none is deferred), then ownership. */
export function trap_debug_owner(k: Arm64Context, p: TrapParams, vhe: HasVhe = false): void {
  const mem = storage(k.vcpu, p.reg);
  if (p.isWrite) mem[p.reg] = p.regval;
  else p.regval = mem[p.reg] as number;
  kvm_debug_set_guest_ownership(k, vhe);
}

/** Where a model numbers OSLAR_EL1 and OSLSR_EL1 (each arm64 model has its own register file). */
export interface OsLockRegs {
  readonly oslar: number;
  readonly oslsr: number;
}

/**
 * sys_regs.c trap_oslar_el1 -> debug.c kvm_debug_handle_oslar (OSLK into the memory copy, then
 * kvm_arch_vcpu_put and kvm_arch_vcpu_load, so ownership is decided again) and trap_oslsr_el1 (the
 * memory copy), as 6.14 has them: whether `p` was one of the two. `put` and `load` are the policy's
 * kvm_arch_vcpu_put and kvm_arch_vcpu_load.
 */
export function trap_os_lock<K extends Arm64Context>(
  k: K,
  p: TrapParams,
  regs: OsLockRegs,
  put: (k: K) => void,
  load: (k: K) => void,
): boolean {
  if (p.reg === regs.oslar) {
    if (p.isWrite) {
      const oslsr = k.vcpu.ctxt[regs.oslsr] as number;
      k.vcpu.ctxt[regs.oslsr] = p.regval & OSLAR_OSLK ? oslsr | OSLSR_OSLK : oslsr & ~OSLSR_OSLK;
      put(k);
      load(k);
    }
    return true;
  }
  if (p.reg !== regs.oslsr) return false;
  if (!p.isWrite) p.regval = k.vcpu.ctxt[regs.oslsr] as number;
  return true;
}

/**
 * kvm_arch_vcpu_ioctl_set_guest_debug: userspace's request; with KVM_GUESTDBG_USE_HW,
 * `external_debug_state = dbg->arch` (the dbg_bcr/dbg_bvr/dbg_wcr/dbg_wvr arrays). Ownership follows at load.
 */
export function kvm_arch_vcpu_ioctl_set_guest_debug(k: Arm64Context, dbg: GuestDebug): void {
  if (!dbg.enable) {
    k.vcpu.guestDebug = 0;
    setFlag(k.vcpu, HOST_SS_ACTIVE_PENDING, false);
    return;
  }
  k.vcpu.guestDebug = KVM_GUESTDBG_ENABLE | (dbg.useHw ? KVM_GUESTDBG_USE_HW : 0) | (dbg.singleStep ? KVM_GUESTDBG_SINGLESTEP : 0);
  if (!dbg.useHw) return;
  const ext = k.vcpu.externalDebugState;
  ext.fill(0);
  for (let n = 0; n < 16; n++) {
    ext[DBGBCR(n)] = dbg.dbg_bcr?.[n] ?? 0;
    ext[DBGBVR(n)] = dbg.dbg_bvr?.[n] ?? 0;
    ext[DBGWCR(n)] = dbg.dbg_wcr?.[n] ?? 0;
    ext[DBGWVR(n)] = dbg.dbg_wvr?.[n] ?? 0;
  }
}
