/**
 * Eager switching for Book E: on every entry save every host debug register and MSR, disarm, load
 * the vCPU's (userspace's) comparators with DBCR0 last; on every exit clear DBSR, disarm, and restore
 * the host's with DBCR0 last. The correctness baseline and the cost ceiling (DESIGN §8).
 */
import { definePolicy } from '../../../src/policy.js';
import { KVM_EXIT_DEBUG } from '../debug-interrupt.js';
import type { BookeContext, BookeHost, BookeVcpu } from '../model.js';
import { DAC, DBCR0, DBCR1, DBCR2, IAC, MSR, MSR_DE } from '../registers.js';
import { kvm_arch_vcpu_ioctl_set_guest_debug, kvmppc_clear_dbsr, kvmppc_vcpu_sync_debug } from './ppc-booke-2014.js';

const VALUES = [IAC(0), IAC(1), IAC(2), IAC(3), DAC(0), DAC(1), DBCR1, DBCR2];

function load(k: BookeContext, from: Float64Array): void {
  k.hw.write(DBCR0, 0);
  for (const reg of VALUES) k.hw.write(reg, from[reg] as number);
  k.hw.write(DBCR0, from[DBCR0] as number);
}

export default definePolicy<BookeVcpu, BookeHost>({
  name: 'eager',
  arch: 'ppc-booke',
  summary: 'always switch every debug register on entry and exit, clear DBSR on exit (baseline, cost ceiling)',
  hooks: {
    setGuestDebug: kvm_arch_vcpu_ioctl_set_guest_debug,
    guestEnter(k) {
      k.vcpu.hostMsr = k.hw.read(MSR);
      k.hw.write(MSR, k.vcpu.hostMsr & ~MSR_DE);
      for (const reg of [...VALUES, DBCR0]) k.vcpu.hostDbg[reg] = k.hw.read(reg);
      load(k, k.vcpu.dbgReg);
      kvmppc_vcpu_sync_debug(k);
    },
    guestExit(k, reason) {
      k.hw.write(MSR, k.hw.read(MSR) & ~MSR_DE);
      kvmppc_clear_dbsr(k);
      load(k, k.vcpu.hostDbg);
      k.hw.write(MSR, k.vcpu.hostMsr);
      return reason === 'debug' && k.vcpu.guestDebug ? KVM_EXIT_DEBUG : undefined;
    },
  },
});
