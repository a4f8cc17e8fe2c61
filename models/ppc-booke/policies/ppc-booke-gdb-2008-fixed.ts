/**
 * The 2008 gdb breakpoint patch fixed as Hollis Blanchard's review asked: MSR[DE] off before any
 * debug register is touched, DBCR0-DBCR2 saved and restored, the debug exit clears exactly the DBSR
 * bits that are set (dbsr = mfspr(DBSR); mtspr(DBSR, dbsr)) and WARNs on unexpected ones. Answering
 * "what happens if an IAC fires between here and the guest": the comparators are disarmed while they
 * are retargeted and armed for MSR[PR]=1 only (the guest's level), so the switch code never matches.
 */
import { definePolicy } from '../../../src/engine/policy.js';
import { KVM_EXIT_DEBUG } from '../debug-interrupt.js';
import type { BookeContext, BookeHost, BookeVcpu } from '../model.js';
import {
  CSRR0,
  DBCR0,
  DBCR0_IAC,
  DBCR0_IDM,
  DBCR1,
  DBCR1_IACUS,
  DBCR2,
  DBSR,
  DBSR_IAC1,
  DBSR_IAC2,
  DBSR_IAC3,
  DBSR_IAC4,
  DBSR_IDE,
  describeDbsr,
  IAC,
  MSR,
  MSR_DE,
} from '../registers.js';
import { ioctl_debug_guest_2008, kvmppc_enter_2008 } from './ppc-booke-gdb-2008.js';

const DEBUG_REGS = [IAC(0), IAC(1), IAC(2), IAC(3), DBCR0, DBCR1, DBCR2];
const EXPECTED_DBSR = (DBSR_IAC1 | DBSR_IAC2 | DBSR_IAC3 | DBSR_IAC4 | DBSR_IDE) >>> 0;

function kvmppc_disable_debug_interrupts(k: BookeContext): void {
  k.hw.write(MSR, k.hw.read(MSR) & ~MSR_DE);
}

function kvmppc_load_guest_debugstate(k: BookeContext): void {
  if (!k.vcpu.guestDebug) return;
  k.vcpu.hostMsr = k.hw.read(MSR);
  kvmppc_disable_debug_interrupts(k);
  for (const reg of DEBUG_REGS) k.vcpu.hostDbg[reg] = k.hw.read(reg);
  k.hw.write(DBCR0, 0);
  const bps = [k.vcpu.bp0, k.vcpu.bp1, k.vcpu.bp2, k.vcpu.bp3];
  let dbcr0 = 0;
  let dbcr1 = 0;
  bps.forEach((bp, n) => {
    if (!bp) return;
    k.hw.write(IAC(n), bp);
    dbcr0 |= (DBCR0_IAC[n] as number) | DBCR0_IDM;
    dbcr1 |= DBCR1_IACUS[n] as number; // 0b11: MSR[PR]=1 only
  });
  k.hw.write(DBCR1, dbcr1 >>> 0);
  k.hw.write(DBCR2, 0);
  k.hw.write(DBCR0, dbcr0 >>> 0);
}

function kvmppc_load_host_debugstate(k: BookeContext): void {
  if (!k.vcpu.guestDebug) return;
  kvmppc_disable_debug_interrupts(k);
  k.hw.write(DBCR0, 0);
  for (const reg of [IAC(0), IAC(1), IAC(2), IAC(3), DBCR1, DBCR2]) k.hw.write(reg, k.vcpu.hostDbg[reg] as number);
  k.hw.write(DBCR0, k.vcpu.hostDbg[DBCR0] as number);
  k.hw.write(MSR, k.vcpu.hostMsr);
}

export default definePolicy<BookeVcpu, BookeHost>({
  name: 'ppc-booke-gdb-2008-fixed',
  arch: 'ppc-booke',
  summary: 'the 2008 gdb patch as the review asked: DE off first, DBCR0-2 saved/restored, DBSR cleared from its own bits (WARN on others)',
  hooks: {
    setGuestDebug: ioctl_debug_guest_2008,
    runEnter(k) {
      kvmppc_load_guest_debugstate(k);
      kvmppc_enter_2008(k);
    },
    guestEnter: kvmppc_enter_2008,
    guestExit(k, reason) {
      if (reason !== 'debug') return undefined;
      k.hw.read(CSRR0); // vcpu->arch.pc
      const dbsr = k.hw.read(DBSR);
      if (dbsr & ~EXPECTED_DBSR) k.warn(`unexpected debug status ${describeDbsr(dbsr & ~EXPECTED_DBSR)}`);
      k.hw.write(DBSR, dbsr);
      return KVM_EXIT_DEBUG;
    },
    runReturn: kvmppc_load_host_debugstate,
  },
});
