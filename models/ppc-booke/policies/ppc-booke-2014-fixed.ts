/**
 * ppc-booke-2014 with fixes for what the checker finds in it (not upstream): (1) the guest's emulated
 * mtspr to a debug SPR calls switch_booke_debug_regs() while current->thread.debug still holds the
 * old context, so a write that clears DBCR0[IDM] still reloads the comparators (upstream assigns
 * thread.debug first and compares the new value with itself); (2) what is loaded for the guest has
 * DBCR1/DBCR2 qualified for MSR[PR]=1, as KVM_SET_GUEST_DEBUG already does on BookE-PR, so the
 * guest's comparators never match the host kernel's code while KVM_RUN has them live; (3) while
 * userspace debugs, DE is forced in the shadow MSR only, and the guest's own MSR[DE] is kept
 * (upstream kvmppc_vcpu_sync_debug clears it, so the guest reads it back as 0 and loses it);
 * (4) the guest runs with DE forced in its shadow MSR whenever its dbg_reg has DBCR0[IDM], so its
 * events exit at once and are queued for it (kvmppc_booke_irqprio_deliver holds a queued debug
 * interrupt until the guest's MSR[DE] is set), instead of waiting in DBSR as imprecise events that
 * kvmppc_booke_vcpu_put's kvmppc_clear_dbsr() discards when KVM_RUN returns first. The guest's
 * context is primed in upstream's order (DBCR0 before DBCR1/DBCR2): on a CPU whose DBCR1/DBCR2 still
 * hold 0b00 qualifiers the switch code can latch the guest's comparator for two instructions, but
 * with MSR[DE] clear (prime_debug_regs clears it first), and the entry's lightweight_exit clears DBSR
 * before the guest runs, as kvmppc_booke_vcpu_put does before any other task can: no world takes it.
 * (A fifth fix that primed DBCR1/DBCR2 first answered a false alarm of the checker, withdrawn.)
 */
import { definePolicy } from '../../../src/engine/policy.js';
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
  MSR,
  MSR_DE,
  REGISTER_COUNT,
} from '../registers.js';
import upstream, {
  kvm_arch_vcpu_ioctl_set_guest_debug,
  kvmppc_booke_emulate_mfspr,
  kvmppc_handle_exit,
  kvmppc_lightweight_exit,
  switch_booke_debug_regs,
} from './ppc-booke-2014.js';

const loaded = new Float64Array(REGISTER_COUNT);

/** The debug context KVM loads for the guest: dbg_reg with every Sup/User field forced to 0b11 (MSR[PR]=1 only). */
function sanitised(k: BookeContext): Float64Array {
  loaded.set(k.vcpu.dbgReg);
  loaded[DBCR1] = ((loaded[DBCR1] as number) | DBCR1_DEFAULT) >>> 0;
  loaded[DBCR2] = ((loaded[DBCR2] as number) | DBCR2_DEFAULT) >>> 0;
  return loaded;
}

/** kvmppc_vcpu_sync_debug without clearing the guest's MSR[DE], forcing DE while the guest's own comparators are on. */
function sync_debug_fixed(k: BookeContext): void {
  const own = (k.vcpu.dbgReg[DBCR0] as number) & DBCR0_IDM;
  k.vcpu.shadowMsr = ((k.vcpu.ctxt[MSR] as number) & MSR_DE) | (k.vcpu.guestDebug || own ? MSR_DE : 0);
}

/**
 * kvmppc_handle_exit with kvmppc_handle_debug queueing the guest's event whatever its MSR[DE]
 * (upstream queues only with DE set): the guest reads it in DBSR, with IDE while its DE is clear.
 */
function handle_exit_fixed(k: BookeContext, reason: string): number | undefined {
  if (reason !== 'debug' || k.vcpu.guestDebug) return kvmppc_handle_exit(k, reason);
  const dbsr = k.hw.read(DBSR); // kvmppc_restart_interrupt: save DBSR, then kvmppc_clear_dbsr
  k.hw.write(DBSR, dbsr);
  const de = (k.vcpu.ctxt[MSR] as number) & MSR_DE;
  k.vcpu.dbsr = (dbsr | (de ? 0 : DBSR_IDE)) >>> 0;
  if (dbsr & ~DBSR_IDE && (k.vcpu.dbgReg[DBCR0] as number) & DBCR0_IDM) k.vcpu.debugQueued = 1; // kvmppc_core_queue_debug
  return undefined; // RESUME_GUEST
}

/** kvmppc_vcpu_run's switch to the guest debug context, loading the sanitised one. */
export function switch_to_guest_fixed(k: BookeContext): void {
  const debug = sanitised(k);
  switch_booke_debug_regs(k, debug);
  k.vcpu.hostDbg.set(k.host.thread);
  k.host.thread.set(debug);
  sync_debug_fixed(k);
}

/** kvmppc_vcpu_run's way in: the switch, then __kvmppc_vcpu_run enters through lightweight_exit (DBSR cleared). */
function run_enter_fixed(k: BookeContext): void {
  switch_to_guest_fixed(k);
  kvmppc_lightweight_exit(k);
}

/** kvmppc_booke_emulate_mtspr with the switch moved before `current->thread.debug = ...`, sanitised. */
export function emulate_mtspr_fixed(k: BookeContext, sprn: number, spr_val: number): void {
  if (sprn === DBSR) {
    if (k.vcpu.guestDebug) return;
    k.vcpu.dbsr = (k.vcpu.dbsr & ~spr_val) >>> 0;
    if (!(k.vcpu.dbsr & ~DBSR_IDE)) k.vcpu.debugQueued = 0;
    return;
  }
  if (!(sprn === DBCR0 || sprn === DBCR1 || sprn === DBCR2 || sprn <= DAC(1)) || k.vcpu.guestDebug) return;
  k.vcpu.dbgReg[sprn] = sprn === DBCR0 ? (spr_val & DBCR0_GUEST_MASK) >>> 0 : spr_val;
  const debug = sanitised(k);
  switch_booke_debug_regs(k, debug); // the old thread.debug still decides
  k.host.thread.set(debug);
  sync_debug_fixed(k);
}

export default definePolicy<BookeVcpu, BookeHost>({
  name: 'ppc-booke-2014-fixed',
  arch: 'ppc-booke',
  summary:
    "ppc-booke-2014 with fixes for what the checker finds (not upstream): a guest mtspr clearing DBCR0[IDM] reloads the comparators; guest DBCR1/DBCR2 loaded user-only; the guest's MSR[DE] kept while userspace debugs; DE forced in the shadow MSR while the guest's own comparators are on, so no event waits in DBSR for vcpu_put to clear",
  hooks: {
    ...upstream.hooks,
    runEnter: run_enter_fixed,
    guestExit: handle_exit_fixed,
    setGuestDebug(k, dbg) {
      const msr = k.vcpu.ctxt[MSR] as number;
      const r = kvm_arch_vcpu_ioctl_set_guest_debug(k, dbg);
      k.vcpu.ctxt[MSR] = msr;
      sync_debug_fixed(k);
      return r;
    },
    trap(k, p) {
      if (p.reg === MSR) {
        if (!p.isWrite) p.regval = k.vcpu.ctxt[MSR] as number;
        else {
          k.vcpu.ctxt[MSR] = p.regval; // kvmppc_set_msr
          sync_debug_fixed(k);
        }
      } else if (p.isWrite) emulate_mtspr_fixed(k, p.reg, p.regval);
      else p.regval = kvmppc_booke_emulate_mfspr(k, p.reg);
    },
  },
});
