/**
 * gdb hardware breakpoints for KVM/440 as posted by Jerone Young (kvm-ppc, June 2008, "[PATCH 2 of
 * 2] Add gdb break point support to PowerPC kvm"): with guest_debug.enabled, KVM_RUN (powerpc.c
 * kvm_arch_vcpu_ioctl_run, once per ioctl) saves the host's IACs, DBCR0 and DBCR1, loads userspace's
 * breakpoints with DBCR1 = 0, and restores IACs, DBCR0 and MSR when it returns (never DBCR1, nor
 * DBCR2); the debug exit clears DBSR bits chosen from dbg->bp[]. The guest's own debug SPRs are
 * emulated storage that is never loaded (the model's common code).
 */
import { definePolicy, type GuestDebug } from '../../../src/engine/policy.js';
import { KVM_EXIT_DEBUG } from '../debug-interrupt.js';
import type { BookeContext, BookeHost, BookeVcpu } from '../model.js';
import { CSRR0, DBCR0, DBCR0_IDM, DBCR1, DBSR, IAC, MSR, MSR_DE } from '../registers.js';
import { kvmppc_lightweight_exit } from './ppc-booke-2014.js';

// 2008 asm-powerpc/reg_booke.h names: DBCR0_IA1..IA4 are today's DBCR0_IAC1..IAC4.
const DBCR0_IA1 = 0x00800000;
const DBCR0_IA2 = 0x00400000;
const DBCR0_IA3 = 0x00200000;
const DBCR0_IA4 = 0x00100000;
const SPRN_IAC1 = IAC(0);
const SPRN_IAC2 = IAC(1);
const SPRN_IAC3 = IAC(2);
const SPRN_IAC4 = IAC(3);

function disable_msr_debug_interrupts(k: BookeContext): void {
  let msr = k.hw.read(MSR);
  msr &= ~MSR_DE;
  k.hw.write(MSR, msr);
}

function restore_host_debug_state(k: BookeContext): void {
  if (k.vcpu.guestDebug) {
    disable_msr_debug_interrupts(k);
    k.hw.write(SPRN_IAC1, k.vcpu.hostDbg[SPRN_IAC1] as number);
    k.hw.write(SPRN_IAC2, k.vcpu.hostDbg[SPRN_IAC2] as number);
    k.hw.write(SPRN_IAC3, k.vcpu.hostDbg[SPRN_IAC3] as number);
    k.hw.write(SPRN_IAC4, k.vcpu.hostDbg[SPRN_IAC4] as number);
    k.hw.write(DBCR0, k.vcpu.hostDbg[DBCR0] as number);
    k.hw.write(MSR, k.vcpu.hostMsr);
  }
}

function guest_load_debug_registers(k: BookeContext): void {
  let dbcr0 = 0;
  const dbcr1 = 0;
  if (k.vcpu.guestDebug) {
    /* save host msr */
    k.vcpu.hostMsr = k.hw.read(MSR);
    disable_msr_debug_interrupts(k);
    /* save host debug registers */
    k.vcpu.hostDbg[SPRN_IAC1] = k.hw.read(SPRN_IAC1);
    k.vcpu.hostDbg[SPRN_IAC2] = k.hw.read(SPRN_IAC2);
    k.vcpu.hostDbg[SPRN_IAC3] = k.hw.read(SPRN_IAC3);
    k.vcpu.hostDbg[SPRN_IAC4] = k.hw.read(SPRN_IAC4);
    k.vcpu.hostDbg[DBCR0] = k.hw.read(DBCR0);
    k.vcpu.hostDbg[DBCR1] = k.hw.read(DBCR1);
    /* set registers up for guest */
    if (k.vcpu.bp0) {
      k.hw.write(SPRN_IAC1, k.vcpu.bp0);
      dbcr0 |= DBCR0_IA1;
    }
    if (k.vcpu.bp1) {
      k.hw.write(SPRN_IAC2, k.vcpu.bp1);
      dbcr0 |= DBCR0_IA2;
    }
    if (k.vcpu.bp2) {
      k.hw.write(SPRN_IAC3, k.vcpu.bp2);
      dbcr0 |= DBCR0_IA3;
    }
    if (k.vcpu.bp3) {
      k.hw.write(SPRN_IAC4, k.vcpu.bp3);
      dbcr0 |= DBCR0_IA4;
    }
    k.hw.write(DBCR1, dbcr1);
    // The quoted hunk ends at DBCR1; the function goes on to enable what it armed, in internal debug mode.
    k.hw.write(DBCR0, (dbcr0 | DBCR0_IDM) >>> 0);
  }
}

/** kvm_arch_vcpu_ioctl_debug_guest from the same patch: copy userspace's breakpoints into vcpu->guest_debug. */
export function ioctl_debug_guest_2008(k: BookeContext, dbg: GuestDebug): number {
  k.vcpu.guestDebug = dbg.enable ? 1 : 0;
  if (k.vcpu.guestDebug) {
    k.vcpu.bp0 = dbg.bps[0] ?? 0;
    k.vcpu.bp1 = dbg.bps[1] ?? 0;
    k.vcpu.bp2 = dbg.bps[2] ?? 0;
    k.vcpu.bp3 = dbg.bps[3] ?? 0;
  }
  return 0;
}

/** booke_interrupts.S: the guest runs with its MSR | KVMPPC_MSR_MASK, which includes MSR_DE. */
export const kvmppc_shadow_msr_2008 = (k: BookeContext): void => {
  k.vcpu.shadowMsr = (k.vcpu.ctxt[MSR] as number) | MSR_DE;
};

/** booke_interrupts.S of 2008, every entry: the guest's MSR with KVMPPC_MSR_MASK, and lightweight_exit's DBSR clear before rfi. */
export const kvmppc_enter_2008 = (k: BookeContext): void => {
  kvmppc_shadow_msr_2008(k);
  kvmppc_lightweight_exit(k);
};

export default definePolicy<BookeVcpu, BookeHost>({
  name: 'ppc-booke-gdb-2008',
  arch: 'ppc-booke',
  summary: 'gdb hw breakpoints for KVM/440 as posted in 2008 (DBSR cleared from dbg->bp[] matches, DBCR1/DBCR2 not restored)',
  hooks: {
    setGuestDebug: ioctl_debug_guest_2008,
    // kvm_arch_vcpu_ioctl_run: load the debug registers once, then __kvmppc_vcpu_run.
    runEnter(k) {
      guest_load_debug_registers(k);
      kvmppc_enter_2008(k);
    },
    // Every entry (booke_interrupts.S, including lightweight re-entries inside the run loop).
    guestEnter: kvmppc_enter_2008,
    // kvmppc_handle_exit: the debug case returns RESUME_HOST with KVM_EXIT_DEBUG.
    guestExit(k, reason) {
      if (reason !== 'debug') return undefined;
      // case BOOKE_INTERRUPT_DEBUG in kvmppc_handle_exit
      const pc = k.hw.read(CSRR0);
      /* clear events in DBSR register */
      let dbsr = k.hw.read(DBSR);
      if (pc === k.vcpu.bp0) dbsr |= 1 << 23; /* clear IAC1 event */
      if (pc === k.vcpu.bp1) dbsr |= 1 << 22; /* clear IAC2 event */
      if (pc === k.vcpu.bp2) dbsr |= 1 << 21; /* clear IAC3 event */
      if (pc === k.vcpu.bp3) dbsr |= 1 << 20; /* clear IAC4 event */
      k.hw.write(DBSR, dbsr >>> 0);
      return KVM_EXIT_DEBUG;
    },
    // __kvmppc_vcpu_run returned to kvm_arch_vcpu_ioctl_run
    runReturn: restore_host_debug_state,
  },
});
