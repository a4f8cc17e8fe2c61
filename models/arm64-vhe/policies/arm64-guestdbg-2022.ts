/**
 * KVM/arm64 debug on VHE as Linux 6.1–6.13 have it (arch/arm64/kvm/debug.c kvm_arm_setup_debug /
 * kvm_arm_clear_debug, hyp/include/hyp/debug-sr.h, hyp/vhe/switch.c, sys_regs.c): the dirty flag
 * of 2015, KVM_SET_GUEST_DEBUG through debug_ptr (userspace's breakpoints only with
 * KVM_GUESTDBG_USE_HW; otherwise the guest's own stay live, their exceptions routed to userspace
 * by MDCR_EL2.TDE), single-step with the guest's PSTATE.SS preserved (6.1, 34fbdee086cf) and
 * DBG_SS_ACTIVE_PENDING (6.1, 370531d1e95b), the OS Lock emulated by clearing MDE (5.18), MDCR_EL2
 * written at vcpu_load and put back at vcpu_put, with kvm_arm_setup_debug writing changes since load
 * before each entry, and the PC increment of an emulated instruction committed at the next entry
 * (__kvm_adjust_pc).
 * Checked against what userspace is owed under `--debug-abi 2015`.
 */
import { definePolicy, type TrapParams } from '../../../src/engine/policy.js';
import { DEBUG_ABI_2015 } from '../../arm64-nvhe/debug-abi.js';
import { storage } from '../../arm64-nvhe/model.js';
import {
  KVM_GUESTDBG_SINGLESTEP,
  KVM_GUESTDBG_USE_HW,
  kvm_arch_vcpu_ioctl_set_guest_debug,
} from '../../arm64-nvhe/policies/debug-owner.js';
import {
  __debug_restore_state,
  __debug_save_state,
  __sysreg_restore_state,
  __sysreg_save_state,
  KVM_ARM64_DEBUG_DIRTY,
} from '../../arm64-nvhe/policies/hyp.js';
import {
  DBG_MDSCR_KDE,
  DBG_MDSCR_MDE,
  DBG_MDSCR_SS,
  DBG_SPSR_SS,
  ID_AA64DFR0_EL1,
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
} from '../../arm64-nvhe/registers.js';
import { type Arm64VheContext, type Arm64VheHost, type Arm64VheVcpu, resetSysRegs } from '../model.js';
import { HCR_EL2, HCR_HOST_VHE_FLAGS, isVmReg, OSLAR_EL1, OSLAR_OSLK, OSLSR_EL1, OSLSR_OSLK, SPSR_EL2 } from '../registers.js';
import { vcpuSysRegAccess as sysReg } from './arm64-vhe-deferred-2017.js';
import { access_vm_reg, kvm_vcpu_load_sysregs, kvm_vcpu_put_sysregs } from './vhe.js';

/** vcpu sflags DBG_SS_ACTIVE_PENDING (6.1+, `__vcpu_single_flag(sflags, BIT(5))`): userspace's step was Active-pending at the last exit. */
const DBG_SS_ACTIVE_PENDING = 1 << 0;
// Words of vcpu.scratch where this era keeps its own state.
/** vcpu->arch.guest_debug_preserved.mdscr_el1 and .pstate_ss. */
const PRESERVED_MDSCR = 0;
const PRESERVED_PSTATE_SS = 1;
/** vcpu iflags INCREMENT_PC: an emulated instruction's PC increment, committed by __kvm_adjust_pc. */
const INCREMENT_PC = 2;
/** vcpu->arch.debug_ptr: 0 vcpu_debug_state, 1 external_debug_state. */
const DEBUG_PTR_EXTERNAL = 3;
/** vcpu->arch.mdcr_el2_host (5.15+; per-CPU host data from 2024's "Exclude mdcr_el2_host from kvm_vcpu_arch", the same behaviour): the host's MDCR_EL2 from vcpu_load to vcpu_put. */
const MDCR_EL2_HOST = 4;
/** vcpu_has_run_once (6.1: the vCPU's pid set by its first KVM_RUN). */
const HAS_RUN_ONCE = 5;

const kvm_vcpu_os_lock_enabled = (k: Arm64VheContext): boolean => ((k.vcpu.ctxt[OSLSR_EL1] as number) & OSLSR_OSLK) !== 0;
const debug_ptr = (k: Arm64VheContext): Float64Array =>
  k.vcpu.scratch[DEBUG_PTR_EXTERNAL] ? k.vcpu.externalDebugState : k.vcpu.debugState;

function save_guest_debug_regs(k: Arm64VheContext): void {
  k.vcpu.scratch[PRESERVED_MDSCR] = sysReg.read(k, MDSCR_EL1);
  k.vcpu.scratch[PRESERVED_PSTATE_SS] = k.vcpu.pstate & DBG_SPSR_SS;
}

function restore_guest_debug_regs(k: Arm64VheContext): void {
  sysReg.write(k, MDSCR_EL1, k.vcpu.scratch[PRESERVED_MDSCR] as number);
  if (k.vcpu.scratch[PRESERVED_PSTATE_SS]) k.vcpu.pstate |= DBG_SPSR_SS;
  else k.vcpu.pstate &= ~DBG_SPSR_SS;
}

/**
 * kvm_arm_setup_mdcr_el2: traps (TTRF since a354a64d91ee, 5.12; TPMS not modelled); TDE while userspace
 * debugs; TDA unless the guest's debug state is dirty and nobody else needs it.
 */
function kvm_arm_setup_mdcr_el2(k: Arm64VheContext): void {
  let mdcr = (k.host.ctxt[MDCR_EL2] as number) & MDCR_EL2_HPMN_MASK;
  mdcr |= MDCR_EL2_TPM | MDCR_EL2_TTRF | MDCR_EL2_TPMCR | MDCR_EL2_TDRA | MDCR_EL2_TDOSA;
  if (k.vcpu.guestDebug) mdcr |= MDCR_EL2_TDE;
  if (k.vcpu.guestDebug & KVM_GUESTDBG_USE_HW || !(k.vcpu.debugFlags & KVM_ARM64_DEBUG_DIRTY) || kvm_vcpu_os_lock_enabled(k)) {
    mdcr |= MDCR_EL2_TDA;
  }
  k.vcpu.mdcrEl2 = mdcr;
}

const updateSysReg = (k: Arm64VheContext, set: number, clear: number): void =>
  sysReg.write(k, MDSCR_EL1, ((sysReg.read(k, MDSCR_EL1) & ~clear) | set) >>> 0);

/** kvm_arm_setup_debug: called before each entry, with preemption disabled. */
function kvm_arm_setup_debug(k: Arm64VheContext): void {
  const orig_mdcr_el2 = k.vcpu.mdcrEl2;
  kvm_arm_setup_mdcr_el2(k);
  if (k.vcpu.guestDebug || kvm_vcpu_os_lock_enabled(k)) {
    save_guest_debug_regs(k);
    if (k.vcpu.guestDebug & KVM_GUESTDBG_SINGLESTEP) {
      // Keep an Active-pending step Active-pending until its exception is taken.
      if (!(k.vcpu.ssFlags & DBG_SS_ACTIVE_PENDING)) k.vcpu.pstate |= DBG_SPSR_SS;
      else k.vcpu.pstate &= ~DBG_SPSR_SS;
      updateSysReg(k, DBG_MDSCR_SS, 0);
    } else updateSysReg(k, 0, DBG_MDSCR_SS);
    if (k.vcpu.guestDebug & KVM_GUESTDBG_USE_HW) {
      updateSysReg(k, DBG_MDSCR_MDE, 0);
      k.vcpu.scratch[DEBUG_PTR_EXTERNAL] = 1;
      k.vcpu.debugFlags |= KVM_ARM64_DEBUG_DIRTY;
    } else if (kvm_vcpu_os_lock_enabled(k)) updateSysReg(k, 0, DBG_MDSCR_MDE);
  }
  if (!k.vcpu.guestDebug && k.vcpu.scratch[DEBUG_PTR_EXTERNAL]) k.bug('debug_ptr != &vcpu->arch.vcpu_debug_state');
  // If KDE or MDE are set, perform a full save/restore cycle.
  if (sysReg.read(k, MDSCR_EL1) & (DBG_MDSCR_KDE | DBG_MDSCR_MDE)) k.vcpu.debugFlags |= KVM_ARM64_DEBUG_DIRTY;
  // Write mdcr_el2 changes since vcpu_load on VHE systems.
  if (orig_mdcr_el2 !== k.vcpu.mdcrEl2) k.hw.write(MDCR_EL2, k.vcpu.mdcrEl2);
}

/** kvm_arm_clear_debug: called after each exit, before handle_exit. */
function kvm_arm_clear_debug(k: Arm64VheContext): void {
  if (!(k.vcpu.guestDebug || kvm_vcpu_os_lock_enabled(k))) return;
  if (k.vcpu.guestDebug & KVM_GUESTDBG_SINGLESTEP && !(k.vcpu.pstate & DBG_SPSR_SS)) k.vcpu.ssFlags |= DBG_SS_ACTIVE_PENDING;
  restore_guest_debug_regs(k);
  if (k.vcpu.guestDebug & KVM_GUESTDBG_USE_HW) k.vcpu.scratch[DEBUG_PTR_EXTERNAL] = 0; // kvm_arm_reset_debug_ptr
}

/** kvm_skip_instr by __kvm_adjust_pc: the PC moves past the emulated instruction, which advances the step state machine. */
function __kvm_adjust_pc(k: Arm64VheContext): void {
  if (!k.vcpu.scratch[INCREMENT_PC]) return;
  k.vcpu.scratch[INCREMENT_PC] = 0;
  k.vcpu.pstate &= ~DBG_SPSR_SS;
}

/**
 * kvm_vcpu_load_vhe: the VM registers, then __activate_traps_common (the host's MDCR_EL2 saved, the vCPU's
 * written). A vCPU's first load is its first KVM_RUN's, whose kvm_arch_vcpu_run_pid_change (arm.c, before
 * kvm_arch_vcpu_ioctl_run's vcpu_load) computed vcpu->arch.mdcr_el2 first: kvm_arm_vcpu_init_debug (263d6287da14).
 */
function load(k: Arm64VheContext): void {
  if (!k.vcpu.scratch[HAS_RUN_ONCE]) {
    k.vcpu.scratch[HAS_RUN_ONCE] = 1;
    kvm_arm_setup_mdcr_el2(k);
  }
  kvm_vcpu_load_sysregs(k);
  k.vcpu.scratch[MDCR_EL2_HOST] = k.hw.read(MDCR_EL2);
  k.hw.write(MDCR_EL2, k.vcpu.mdcrEl2);
}

/** kvm_vcpu_put_vhe: __deactivate_traps_common (the host's MDCR_EL2 back), then the VM registers. */
function put(k: Arm64VheContext): void {
  k.hw.write(MDCR_EL2, k.vcpu.scratch[MDCR_EL2_HOST] as number);
  kvm_vcpu_put_sysregs(k);
}

/** sys_regs.c (6.1): trap_bvr/… and trap_debug_regs on the guest's own state, setting DEBUG_DIRTY on a write; the OS Lock; VM registers. */
function trap(k: Arm64VheContext, p: TrapParams): void {
  if (isVmReg(p.reg)) access_vm_reg(k, p, sysReg, sysReg);
  else if (p.reg === OSLAR_EL1) {
    if (p.isWrite) {
      const oslsr = (k.vcpu.ctxt[OSLSR_EL1] as number) & ~OSLSR_OSLK;
      k.vcpu.ctxt[OSLSR_EL1] = p.regval & OSLAR_OSLK ? oslsr | OSLSR_OSLK : oslsr;
    }
  } else if (p.reg === OSLSR_EL1) {
    // The model never generates an OSLAR_EL1 read or an OSLSR_EL1 write (read_from_write_only /
    // write_to_read_only would inject an UNDEF and leave the PC).
    if (!p.isWrite) p.regval = k.vcpu.ctxt[OSLSR_EL1] as number;
  } else {
    const mem = storage(k.vcpu, p.reg);
    if (p.isWrite) {
      mem[p.reg] = p.regval;
      k.vcpu.debugFlags |= KVM_ARM64_DEBUG_DIRTY;
    } else p.regval = mem[p.reg] as number;
  }
  k.vcpu.scratch[INCREMENT_PC] = 1; // kvm_incr_pc
}

export default definePolicy<Arm64VheVcpu, Arm64VheHost>({
  name: 'arm64-guestdbg-2022',
  arch: 'arm64-vhe',
  summary: 'Linux 6.1-6.13 on VHE: dirty flag, KVM_SET_GUEST_DEBUG through debug_ptr, PSTATE.SS preserved (6.1), MDCR_EL2 at load/put',
  // Judged by what its era owed userspace (4.2-6.13: without USE_HW the guest's own breakpoints stay live); --debug-abi 2025 asks 6.14's rule.
  defaults: { 'debug-abi': DEBUG_ABI_2015 },
  hooks: {
    vcpuLoad: load,
    vcpuPut: put,
    // The run loop: kvm_arm_setup_debug, then __kvm_vcpu_run_vhe (__kvm_adjust_pc, host MDSCR_EL1 saved, HCR_EL2, the guest's sysregs, __debug_switch_to_guest).
    guestEnter(k) {
      kvm_arm_setup_debug(k);
      __kvm_adjust_pc(k);
      __sysreg_save_state(k, k.host.ctxt);
      k.hw.write(HCR_EL2, k.vcpu.hcrEl2);
      __sysreg_restore_state(k, k.vcpu.ctxt);
      k.hw.write(SPSR_EL2, k.vcpu.pstate);
      if (k.vcpu.debugFlags & KVM_ARM64_DEBUG_DIRTY) {
        __debug_save_state(k, k.vcpu.hostDebugState, k.host.ctxt);
        __debug_restore_state(k, debug_ptr(k), k.vcpu.ctxt);
      }
    },
    // The exit (__debug_switch_to_host clears DEBUG_DIRTY), kvm_arm_clear_debug, then handle_exit's kvm_handle_guest_debug.
    guestExit(k, reason) {
      k.vcpu.pstate = k.hw.read(SPSR_EL2);
      __sysreg_save_state(k, k.vcpu.ctxt);
      k.hw.write(HCR_EL2, HCR_HOST_VHE_FLAGS);
      __sysreg_restore_state(k, k.host.ctxt);
      if (k.vcpu.debugFlags & KVM_ARM64_DEBUG_DIRTY) {
        __debug_save_state(k, debug_ptr(k), k.vcpu.ctxt);
        __debug_restore_state(k, k.vcpu.hostDebugState, k.host.ctxt);
        k.vcpu.debugFlags &= ~KVM_ARM64_DEBUG_DIRTY;
      }
      kvm_arm_clear_debug(k);
      if (reason === 'step') k.vcpu.ssFlags &= ~DBG_SS_ACTIVE_PENDING;
    },
    trap,
    // kvm_arch_vcpu_ioctl_run's out: path: "commit these adjustments in order to give userspace a consistent view"
    // (26778aaa134a, 5.13). Reached with INCREMENT_PC pending after a handled trap when a signal is pending
    // (the loop's xfer_to_guest_mode_handle_work() returns -EINTR, KVM_EXIT_INTR); after an MMIO exit, by
    // immediate_exit once kvm_handle_mmio_return has set it (MMIO is not modelled).
    runReturn: __kvm_adjust_pc,
    getReg: (k, reg) => (reg === ID_AA64DFR0_EL1 ? k.hw.read(reg) : sysReg.read(k, reg)),
    setReg: (k, reg, value) => sysReg.write(k, reg, value),
    hypReadReg: sysReg.read,
    hypWriteReg: sysReg.write,
    // kvm_arch_vcpu_ioctl_set_guest_debug (6.1): record the request and userspace's breakpoints; a disable forgets a pending step.
    setGuestDebug(k, dbg) {
      kvm_arch_vcpu_ioctl_set_guest_debug(k, dbg);
      if (!dbg.enable) k.vcpu.ssFlags &= ~DBG_SS_ACTIVE_PENDING;
      return 0;
    },
    // kvm_reset_vcpu: put, reset the memory copy and PSTATE, load.
    vcpuReset(k) {
      put(k);
      resetSysRegs(k.vcpu);
      load(k);
    },
  },
});
