/**
 * The upstream Book E design since Linux 3.15 (arch/powerpc/kvm/booke.c, kernel/process.c):
 * KVM_SET_GUEST_DEBUG fills vcpu->arch.dbg_reg (IACs for MSR[PR]=1 only on BookE-PR), kvmppc_vcpu_run
 * swaps it with current->thread.debug through switch_booke_debug_regs(), a debug exit saves DBSR
 * and clears it, vcpu_put clears DBSR, and MSR[DE] is forced on while userspace debugs (MSRP[DEP] on HV).
 */
import { definePolicy, type GuestDebug } from '../../../src/policy.js';
import { KVM_EXIT_DEBUG } from '../debug-interrupt.js';
import type { BookeContext, BookeHost, BookeVcpu } from '../model.js';
import {
  DAC,
  DBCR0,
  DBCR0_IAC,
  DBCR0_IDM,
  DBCR1,
  DBCR1_IAC1US,
  DBCR1_IAC2US,
  DBCR1_IAC3US,
  DBCR1_IAC4US,
  DBCR2,
  DBCR2_DAC1US,
  DBCR2_DAC2US,
  DBSR,
  DBSR_IDE,
  IAC,
  MSR,
  MSR_DE,
} from '../registers.js';

// uapi/linux/kvm.h KVM_GUESTDBG_ENABLE; powerpc uapi/asm/kvm.h KVM_GUESTDBG_USE_HW_BP.
export const KVM_GUESTDBG_ENABLE = 0x00000001;
export const KVM_GUESTDBG_USE_HW_BP = 0x00020000;

/** process.c prime_debug_regs: MSR[DE] off, then IAC1-4, DAC1-2, DBCR0, DBCR1, DBCR2. */
export function prime_debug_regs(k: BookeContext, debug: Float64Array): void {
  k.hw.write(MSR, k.hw.read(MSR) & ~MSR_DE);
  for (const reg of [IAC(0), IAC(1), IAC(2), IAC(3), DAC(0), DAC(1), DBCR0, DBCR1, DBCR2]) k.hw.write(reg, debug[reg] as number);
}

/** process.c switch_booke_debug_regs: only when the old or the new context uses internal debug mode. */
function switch_booke_debug_regs(k: BookeContext, new_debug: Float64Array): void {
  if ((k.host.thread[DBCR0] as number) & DBCR0_IDM || (new_debug[DBCR0] as number) & DBCR0_IDM) prime_debug_regs(k, new_debug);
}

/** booke.c kvmppc_clear_dbsr. */
export function kvmppc_clear_dbsr(k: BookeContext): void {
  k.hw.write(DBSR, k.hw.read(DBSR));
}

/** booke.c kvmppc_vcpu_sync_debug (BookE-PR): the guest runs with its own MSR[DE], or DE while userspace debugs. */
export function kvmppc_vcpu_sync_debug(k: BookeContext): void {
  k.vcpu.shadowMsr = ((k.vcpu.ctxt[MSR] as number) & MSR_DE) | (k.vcpu.guestDebug ? MSR_DE : 0);
}

/** booke.c kvm_arch_vcpu_ioctl_set_guest_debug, hardware breakpoints only. */
export function kvm_arch_vcpu_ioctl_set_guest_debug(k: BookeContext, dbg: GuestDebug): number {
  const dbg_reg = k.vcpu.dbgReg;
  if (!dbg.enable) {
    dbg_reg[DBCR0] = 0;
    k.vcpu.guestDebug = 0;
    kvmppc_vcpu_sync_debug(k); // kvm_guest_protect_msr(vcpu, MSR_DE, false)
    return 0;
  }
  k.vcpu.guestDebug = KVM_GUESTDBG_ENABLE | (dbg.useHw ? KVM_GUESTDBG_USE_HW_BP : 0);
  kvmppc_vcpu_sync_debug(k); // kvm_guest_protect_msr(vcpu, MSR_DE, true)
  dbg_reg[DBCR0] = 0;
  // BookE-PR: the guest always runs with MSR[PR]=1, so trigger only when MSR[PR] is set.
  dbg_reg[DBCR1] = (DBCR1_IAC1US | DBCR1_IAC2US | DBCR1_IAC3US | DBCR1_IAC4US) >>> 0;
  dbg_reg[DBCR2] = (DBCR2_DAC1US | DBCR2_DAC2US) >>> 0;
  if (!(k.vcpu.guestDebug & KVM_GUESTDBG_USE_HW_BP)) return 0;
  let b = 0;
  for (const addr of dbg.bps) {
    // kvmppc_booke_add_breakpoint(dbg_reg, addr, b++)
    if (b >= 4) return -22; // -EINVAL
    dbg_reg[IAC(b)] = addr;
    dbg_reg[DBCR0] = ((dbg_reg[DBCR0] as number) | (DBCR0_IAC[b] as number) | DBCR0_IDM) >>> 0;
    b++;
  }
  return 0;
}

/** booke.c kvmppc_handle_debug: RESUME_HOST with KVM_EXIT_DEBUG when userspace owns the debug resources. */
function kvmppc_handle_debug(k: BookeContext): number | undefined {
  let dbsr = k.vcpu.dbsr;
  if (k.vcpu.guestDebug === 0) {
    // Debug resources belong to the guest; an imprecise debug event is not injected.
    if (dbsr & DBSR_IDE) {
      dbsr &= ~DBSR_IDE;
      if (!dbsr) return undefined;
    }
    // kvmppc_core_queue_debug() when the guest's MSR[DE] and dbg_reg.dbcr0[IDM]: the guest's own
    // debug registers are not modelled (it arms none), so nothing is queued.
    return undefined;
  }
  k.vcpu.dbsr = 0;
  return KVM_EXIT_DEBUG;
}

export default definePolicy<BookeVcpu, BookeHost>({
  name: 'ppc-booke-2014',
  arch: 'ppc-booke',
  summary:
    'upstream since 3.15: dbg_reg swapped with thread.debug, DBSR cleared on every debug exit and at vcpu_put, DE forced while userspace debugs',
  hooks: {
    setGuestDebug: kvm_arch_vcpu_ioctl_set_guest_debug,
    guestEnter(k) {
      // kvmppc_vcpu_run: switch to the guest debug context
      switch_booke_debug_regs(k, k.vcpu.dbgReg);
      k.vcpu.hostDbg.set(k.host.thread); // debug = current->thread.debug
      k.host.thread.set(k.vcpu.dbgReg); // current->thread.debug = vcpu->arch.dbg_reg
      kvmppc_vcpu_sync_debug(k);
    },
    guestExit(k, reason) {
      let exit_reason: number | undefined;
      if (reason === 'debug') {
        // kvmppc_restart_interrupt: save DBSR before preemption is enabled
        k.vcpu.dbsr = k.hw.read(DBSR);
        kvmppc_clear_dbsr(k);
        exit_reason = kvmppc_handle_debug(k);
      }
      // kvmppc_vcpu_run: switch back to the user space debug context
      switch_booke_debug_regs(k, k.vcpu.hostDbg);
      k.host.thread.set(k.vcpu.hostDbg);
      return exit_reason;
    },
    vcpuPut: kvmppc_clear_dbsr, // kvmppc_booke_vcpu_put: clear pending debug event in DBSR
  },
});
