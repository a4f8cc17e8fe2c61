/**
 * Eager switching for Book E: on every entry (KVM_RUN's first and each re-entry of its loop) save
 * every host debug register and MSR, disarm, load the vCPU's dbg_reg (the guest's own comparators, or
 * userspace's) with DBCR0 last; on every exit clear DBSR (a guest's own event saved and queued for it), disarm, and restore the host's with DBCR0
 * last. The correctness baseline and the cost ceiling (DESIGN §8).
 */
import { definePolicy } from '../../../src/engine/policy.js';
import { KVM_EXIT_DEBUG } from '../debug-interrupt.js';
import type { BookeContext, BookeHost, BookeVcpu } from '../model.js';
import {
  DAC,
  DBCR0,
  DBCR0_GUEST_MASK,
  DBCR0_IDM,
  DBCR1,
  DBCR1_DEFAULT,
  DBCR2,
  DBCR2_DEFAULT,
  DBSR,
  DBSR_IDE,
  IAC,
  MSR,
  MSR_DE,
} from '../registers.js';
import {
  kvm_arch_vcpu_ioctl_set_guest_debug,
  kvmppc_booke_emulate_mfspr,
  kvmppc_clear_dbsr,
  kvmppc_lightweight_exit,
} from './ppc-booke-2014.js';

const VALUES = [IAC(0), IAC(1), IAC(2), IAC(3), DAC(0), DAC(1), DBCR1, DBCR2];

function enter(k: BookeContext): void {
  k.vcpu.hostMsr = k.hw.read(MSR);
  k.hw.write(MSR, k.vcpu.hostMsr & ~MSR_DE);
  for (const reg of [...VALUES, DBCR0]) k.vcpu.hostDbg[reg] = k.hw.read(reg);
  load(k, k.vcpu.dbgReg, true);
  // The guest runs with its own MSR[DE], or with DE while userspace debugs it or its own comparators
  // are on: every event then exits at once, and none waits in DBSR (imprecise) for the exit's clear.
  const own = (k.vcpu.dbgReg[DBCR0] as number) & DBCR0_IDM;
  k.vcpu.shadowMsr = ((k.vcpu.ctxt[MSR] as number) & MSR_DE) | (k.vcpu.guestDebug || own ? MSR_DE : 0);
  kvmppc_lightweight_exit(k); // the asm entry path every policy on Book E goes through
}

/** Loads a debug context, DBCR0 last; the guest's with every comparator qualified for MSR[PR]=1 (where it runs). */
function load(k: BookeContext, from: Float64Array, guest = false): void {
  k.hw.write(DBCR0, 0);
  for (const reg of VALUES) {
    const user = !guest ? 0 : reg === DBCR1 ? DBCR1_DEFAULT : reg === DBCR2 ? DBCR2_DEFAULT : 0;
    k.hw.write(reg, ((from[reg] as number) | user) >>> 0);
  }
  k.hw.write(DBCR0, from[DBCR0] as number);
}

export default definePolicy<BookeVcpu, BookeHost>({
  name: 'eager',
  arch: 'ppc-booke',
  summary: 'always switch every debug register on entry and exit, clear DBSR on exit (baseline, cost ceiling)',
  hooks: {
    // Upstream's ioctl, keeping the guest's own MSR[DE] (upstream clears it while userspace debugs).
    setGuestDebug(k, dbg) {
      const msr = k.vcpu.ctxt[MSR] as number;
      const r = kvm_arch_vcpu_ioctl_set_guest_debug(k, dbg);
      k.vcpu.ctxt[MSR] = msr;
      return r;
    },
    runEnter: enter,
    guestEnter: enter,
    guestExit(k, reason) {
      k.hw.write(MSR, k.hw.read(MSR) & ~MSR_DE);
      // The guest's own event is saved for it to read and queued until its MSR[DE] is set
      // (kvmppc_core_queue_debug; kvmppc_booke_irqprio_deliver waits for DE).
      if (reason === 'debug' && !k.vcpu.guestDebug) {
        k.vcpu.dbsr = (k.hw.read(DBSR) | ((k.vcpu.ctxt[MSR] as number) & MSR_DE ? 0 : DBSR_IDE)) >>> 0;
        k.vcpu.debugQueued = 1;
      }
      kvmppc_clear_dbsr(k);
      load(k, k.vcpu.hostDbg);
      k.hw.write(MSR, k.vcpu.hostMsr);
      return reason === 'debug' && k.vcpu.guestDebug ? KVM_EXIT_DEBUG : undefined;
    },
    // The guest's mtspr/mfspr go to dbg_reg (ignored while userspace debugs), mtmsr to its MSR.
    trap(k, p) {
      if (p.reg === MSR) {
        if (!p.isWrite) p.regval = k.vcpu.ctxt[MSR] as number;
        else k.vcpu.ctxt[MSR] = p.regval;
      } else if (!p.isWrite) p.regval = kvmppc_booke_emulate_mfspr(k, p.reg);
      else if (!k.vcpu.guestDebug) k.vcpu.dbgReg[p.reg] = p.reg === DBCR0 ? (p.regval & DBCR0_GUEST_MASK) >>> 0 : p.regval;
    },
  },
});
