/**
 * The upstream Book E design since Linux 3.15 (arch/powerpc/kvm/booke.c, booke_emulate.c,
 * kernel/process.c; transliterated from the 5.x text): vcpu->arch.dbg_reg is the guest's debug
 * context, written by the guest's emulated mtspr or by KVM_SET_GUEST_DEBUG; kvmppc_vcpu_run swaps it
 * with current->thread.debug once per KVM_RUN through switch_booke_debug_regs(), exits are handled
 * with it live, a debug exit saves and clears DBSR, vcpu_put clears DBSR.
 */
import { definePolicy, type GuestDebug, type TrapParams } from '../../../src/engine/policy.js';
import { KVM_EXIT_DEBUG } from '../debug-interrupt.js';
import type { BookeContext, BookeHost, BookeVcpu } from '../model.js';
import {
  DAC,
  DBCR0,
  DBCR0_EDM,
  DBCR0_GUEST_MASK,
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

/** The order process.c prime_debug_regs writes: IAC1-4, DAC1-2, DBCR0, DBCR1, DBCR2. */
export const PRIME_ORDER: readonly number[] = [IAC(0), IAC(1), IAC(2), IAC(3), DAC(0), DAC(1), DBCR0, DBCR1, DBCR2];

/** process.c prime_debug_regs: MSR[DE] off, then the registers in `order` (upstream's unless a fixed design says otherwise). */
export function prime_debug_regs(k: BookeContext, debug: Float64Array, order = PRIME_ORDER): void {
  k.hw.write(MSR, k.hw.read(MSR) & ~MSR_DE);
  for (const reg of order) k.hw.write(reg, debug[reg] as number);
}

/** process.c switch_booke_debug_regs: `prime` only when the old or the new context uses internal debug mode. */
export function switch_booke_debug_regs(k: BookeContext, new_debug: Float64Array, prime = prime_debug_regs): void {
  if ((k.host.thread[DBCR0] as number) & DBCR0_IDM || (new_debug[DBCR0] as number) & DBCR0_IDM) prime(k, new_debug);
}

/** booke.c kvmppc_clear_dbsr. */
export function kvmppc_clear_dbsr(k: BookeContext): void {
  k.hw.write(DBSR, k.hw.read(DBSR));
}

/**
 * booke.c kvmppc_vcpu_sync_debug (BookE-PR): the guest runs with its own MSR[DE]; while userspace
 * debugs, with DE forced on in the shadow MSR and cleared in the guest's (vcpu->arch.shared->msr).
 */
export function kvmppc_vcpu_sync_debug(k: BookeContext): void {
  k.vcpu.shadowMsr = (k.vcpu.shadowMsr & ~MSR_DE) | ((k.vcpu.ctxt[MSR] as number) & MSR_DE);
  if (k.vcpu.guestDebug) {
    k.vcpu.shadowMsr |= MSR_DE;
    k.vcpu.ctxt[MSR] = (k.vcpu.ctxt[MSR] as number) & ~MSR_DE;
  }
}

/**
 * booke_interrupts.S lightweight_exit, the last thing every entry does before its rfi (KVM_RUN's
 * first, through __kvmppc_vcpu_run, and each RESUME_GUEST re-entry of the run loop), in every era
 * from the 2008 text to its removal: "Clear any debug events which occurred since we disabled
 * MSR[DE]. XXX This gives us a 3-instruction window in which a breakpoint intended for guest context
 * could fire in the host instead." (lis r3,0xffff; ori r3,r3,0xffff; mtspr SPRN_DBSR,r3).
 */
export function kvmppc_lightweight_exit(k: BookeContext): void {
  k.hw.write(DBSR, 0xffffffff);
}

/** booke.c kvmppc_booke_vcpu_put (kvm_arch_vcpu_put -> kvmppc_core_vcpu_put on e500): "Clear pending debug event in DBSR". */
export function kvmppc_booke_vcpu_put(k: BookeContext): void {
  kvmppc_clear_dbsr(k);
}

/**
 * booke.c kvm_arch_vcpu_ioctl_set_guest_debug, hardware breakpoints only, inside the vcpu_load() /
 * vcpu_put() every era runs it in: 3.15-4.15 kvm_vcpu_ioctl() bracketed every vCPU ioctl with them,
 * and since 4.16 ("KVM: Move vcpu_load to arch-specific kvm_arch_vcpu_ioctl_set_guest_debug",
 * Christoffer Dall, posted 2017-12-04) this function does. vcpu_load (kvmppc_booke_vcpu_load) touches
 * no debug state; vcpu_put clears DBSR on the CPU the ioctl ran on.
 */
export function kvm_arch_vcpu_ioctl_set_guest_debug(k: BookeContext, dbg: GuestDebug): number {
  const ret = set_guest_debug(k, dbg);
  kvmppc_booke_vcpu_put(k); // out: vcpu_put(vcpu)
  return ret;
}

/** The body of kvm_arch_vcpu_ioctl_set_guest_debug between vcpu_load() and vcpu_put(). */
function set_guest_debug(k: BookeContext, dbg: GuestDebug): number {
  const dbg_reg = k.vcpu.dbgReg;
  if (!dbg.enable) {
    dbg_reg[DBCR0] = 0;
    k.vcpu.guestDebug = 0;
    // kvm_guest_protect_msr(vcpu, MSR_DE, false): "XXX: Add similar MSR protection for BookE-PR",
    // a no-op outside CONFIG_KVM_BOOKE_HV; the shadow MSR[DE] follows at the next kvmppc_set_msr.
    return 0;
  }
  // kvm_guest_protect_msr(vcpu, MSR_DE, true): a no-op on BookE-PR, as above.
  k.vcpu.guestDebug = KVM_GUESTDBG_ENABLE | (dbg.useHw ? KVM_GUESTDBG_USE_HW_BP : 0);
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

const RESUME_GUEST = 0;
const RESUME_HOST = 2; // RESUME_FLAG_HOST

/** booke.c kvmppc_handle_debug: RESUME_HOST (KVM_EXIT_DEBUG) when userspace owns the debug resources. */
function kvmppc_handle_debug(k: BookeContext): number {
  let dbsr = k.vcpu.dbsr;
  if (k.vcpu.guestDebug === 0) {
    // Debug resources belong to Guest. Imprecise debug event is not injected
    if (dbsr & DBSR_IDE) {
      dbsr &= ~DBSR_IDE;
      if (!dbsr) return RESUME_GUEST;
    }
    // kvmppc_core_queue_debug: a debug interrupt for the guest on its next entry (the model's
    // delivery to the guest); the program interrupt for DBSR[TIE] is not modelled (no trap events).
    if (dbsr && (k.vcpu.ctxt[MSR] as number) & MSR_DE && (k.vcpu.dbgReg[DBCR0] as number) & DBCR0_IDM) k.vcpu.debugQueued = 1;
    return RESUME_GUEST;
  }
  // Debug resource owned by userspace. Clear guest dbsr (vcpu->arch.dbsr)
  k.vcpu.dbsr = 0;
  return RESUME_HOST;
}

/** booke_emulate.c kvmppc_booke_emulate_mtspr, the debug SPRs: the guest owns dbg_reg unless userspace debugs. */
export function kvmppc_booke_emulate_mtspr(k: BookeContext, sprn: number, spr_val: number): void {
  let debug_inst = false;
  if (sprn === DBCR0 || sprn === DBCR1 || sprn === DBCR2 || sprn <= DAC(1)) {
    // If userspace is debugging guest then guest can not access debug registers.
    if (k.vcpu.guestDebug) return;
    debug_inst = true;
    k.vcpu.dbgReg[sprn] = sprn === DBCR0 ? (spr_val & DBCR0_GUEST_MASK) >>> 0 : spr_val;
  } else if (sprn === DBSR) {
    if (k.vcpu.guestDebug) return;
    k.vcpu.dbsr = (k.vcpu.dbsr & ~spr_val) >>> 0;
    if (!(k.vcpu.dbsr & ~DBSR_IDE)) k.vcpu.debugQueued = 0; // kvmppc_core_dequeue_debug
  }
  if (debug_inst) {
    k.host.thread.set(k.vcpu.dbgReg); // current->thread.debug = vcpu->arch.dbg_reg
    switch_booke_debug_regs(k, k.vcpu.dbgReg);
  }
}

/** booke_emulate.c kvmppc_booke_emulate_mfspr, the debug SPRs. */
export function kvmppc_booke_emulate_mfspr(k: BookeContext, sprn: number): number {
  if (sprn === DBSR) return k.vcpu.dbsr;
  const v = k.vcpu.dbgReg[sprn] as number;
  return sprn === DBCR0 && k.vcpu.guestDebug ? (v | DBCR0_EDM) >>> 0 : v;
}

/** The emulated instructions that reach this policy: mtmsr/mfmsr (kvmppc_set_msr) and mtspr/mfspr of a debug SPR. */
export function kvmppc_emulate(k: BookeContext, p: TrapParams): void {
  if (p.reg === MSR) {
    if (p.isWrite) {
      k.vcpu.ctxt[MSR] = p.regval; // kvmppc_set_msr
      kvmppc_vcpu_sync_debug(k);
    } else p.regval = k.vcpu.ctxt[MSR] as number;
  } else if (p.isWrite) kvmppc_booke_emulate_mtspr(k, p.reg, p.regval);
  else p.regval = kvmppc_booke_emulate_mfspr(k, p.reg);
}

/**
 * kvmppc_vcpu_run's way in: switch to the guest debug context (thread.debug becomes dbg_reg), then
 * __kvmppc_vcpu_run, which enters through lightweight_exit (DBSR cleared).
 */
export function kvmppc_vcpu_run_enter(k: BookeContext): void {
  // debug = vcpu->arch.dbg_reg; switch_booke_debug_regs(&debug);
  switch_booke_debug_regs(k, k.vcpu.dbgReg);
  k.vcpu.hostDbg.set(k.host.thread); // debug = current->thread.debug
  k.host.thread.set(k.vcpu.dbgReg); // current->thread.debug = vcpu->arch.dbg_reg
  kvmppc_lightweight_exit(k); // ret = __kvmppc_vcpu_run(vcpu)
}

/** kvmppc_vcpu_run after __kvmppc_vcpu_run returns: switch back to the user space debug context. */
export function kvmppc_vcpu_run_return(k: BookeContext): void {
  switch_booke_debug_regs(k, k.vcpu.hostDbg);
  k.host.thread.set(k.vcpu.hostDbg); // current->thread.debug = debug
}

/** kvmppc_handle_exit, as far as debug goes: a debug exit saves and clears DBSR and is handled. */
export function kvmppc_handle_exit(k: BookeContext, reason: string): number | undefined {
  if (reason !== 'debug') return undefined;
  // kvmppc_restart_interrupt: Save DBSR before preemption is enabled
  k.vcpu.dbsr = k.hw.read(DBSR);
  kvmppc_clear_dbsr(k);
  return kvmppc_handle_debug(k) === RESUME_HOST ? KVM_EXIT_DEBUG : undefined;
}

export default definePolicy<BookeVcpu, BookeHost>({
  name: 'ppc-booke-2014',
  arch: 'ppc-booke',
  summary:
    'upstream since 3.15: dbg_reg swapped with thread.debug once per KVM_RUN, guest debug SPRs emulated into dbg_reg, DBSR saved and cleared on a debug exit, cleared at every entry (lightweight_exit) and at vcpu_put (KVM_SET_GUEST_DEBUG runs one too)',
  hooks: {
    setGuestDebug: kvm_arch_vcpu_ioctl_set_guest_debug,
    runEnter: kvmppc_vcpu_run_enter,
    // A RESUME_GUEST exit re-enters through the asm lightweight_exit.
    guestEnter: kvmppc_lightweight_exit,
    guestExit: kvmppc_handle_exit,
    trap: kvmppc_emulate,
    runReturn: kvmppc_vcpu_run_return,
    vcpuPut: kvmppc_booke_vcpu_put,
  },
});
