/**
 * Mutants of the Book E design (ppc-booke-2014-fixed), each one plausible slip: shared by the
 * quality tests and the partial-order reduction soundness test (test/por.test.ts).
 */
import type { BookeHost, BookeVcpu } from '../../models/ppc-booke/model.js';
import fixed, { switch_to_guest_fixed } from '../../models/ppc-booke/policies/ppc-booke-2014-fixed.js';
import { DBCR0, MSR, MSR_DE } from '../../models/ppc-booke/registers.js';
import { definePolicy, type HookContext, type Hooks, type Policy } from '../../src/engine/policy.js';

const hooks = fixed.hooks as Hooks<BookeVcpu, BookeHost>;
const mutant = (name: string, summary: string, override: Hooks<BookeVcpu, BookeHost>) =>
  definePolicy<BookeVcpu, BookeHost>({ name, arch: 'ppc-booke', summary: `mutant: ${summary}`, hooks: { ...hooks, ...override } });

/** kvm_arch_vcpu_ioctl_set_guest_debug drops userspace's breakpoint list (never calls kvmppc_booke_add_breakpoint). */
export const breakpointsDropped = mutant(
  'breakpoints-dropped',
  'KVM_SET_GUEST_DEBUG keeps DE forced but loads none of userspace breakpoints',
  {
    setGuestDebug: (k, dbg) => hooks.setGuestDebug?.(k, { ...dbg, bps: [] }),
  },
);

/** The debug exit never returns KVM_EXIT_DEBUG: userspace's hits are resumed into the guest. */
export const hitsNotToUserspace = mutant('hits-not-to-userspace', 'kvmppc_handle_debug result ignored, the vCPU resumes', {
  guestExit(k, reason) {
    hooks.guestExit?.(k, reason);
    return undefined;
  },
});

/** KVM_RUN returns with current->thread.debug put back but switch_booke_debug_regs() forgotten. */
export const hostNotRestored = mutant(
  'host-not-restored',
  "KVM_RUN returns without switch_booke_debug_regs(): the guest's comparators stay loaded",
  {
    runReturn(k) {
      k.host.thread.set(k.vcpu.hostDbg); // current->thread.debug = debug, and nothing else
    },
  },
);

/** The guest's mtspr DBCR0 reaches the hardware and current->thread.debug, but not vcpu->arch.dbg_reg. */
export const guestDbcr0Lost = mutant(
  'guest-dbcr0-lost',
  'a guest mtspr DBCR0 is loaded but not kept in dbg_reg, so the next reload (an emulated mtspr, the next KVM_RUN) drops it',
  {
    trap(k, p) {
      if (p.reg !== DBCR0 || !p.isWrite || k.vcpu.guestDebug) return hooks.trap?.(k, p);
      const before = k.vcpu.dbgReg[DBCR0] as number;
      hooks.trap?.(k, p);
      k.vcpu.dbgReg[DBCR0] = before; // the store into vcpu->arch.dbg_reg.dbcr0 is missing
    },
  },
);

/**
 * The guest's own debug exit handled and resumed without kvmppc_core_queue_debug: DBSR is saved and
 * cleared, but no debug interrupt is queued for the guest, so its event is dropped at the exit.
 */
export const debugNotQueued = mutant('debug-not-queued', "a guest's own debug exit resumes it without queueing its debug interrupt", {
  guestExit(k, reason) {
    const r = hooks.guestExit?.(k, reason);
    if (reason === 'debug' && !k.vcpu.guestDebug) k.vcpu.debugQueued = 0;
    return r;
  },
});

/** Upstream's kvmppc_vcpu_sync_debug rule for the shadow MSR, without the fixed design's forced DE. */
function guestOwnDe(k: HookContext<BookeVcpu, BookeHost>): void {
  k.vcpu.shadowMsr = ((k.vcpu.ctxt[MSR] as number) & MSR_DE) | (k.vcpu.guestDebug ? MSR_DE : 0);
}

/**
 * The guest runs on its own MSR[DE] while its comparators are on (the fixed design's fourth fix
 * undone, as upstream): an event it raises with DE clear waits in DBSR (IDE), and the next entry's
 * lightweight_exit clears DBSR before DE can be set, or vcpu_put's kvmppc_clear_dbsr does when
 * KVM_RUN returns first. Every hook that sets the shadow MSR is followed by the rule.
 */
export const impreciseDropped = mutant(
  'imprecise-dropped',
  "the guest's shadow MSR[DE] follows its own MSR only, so an event latched while it is clear is cleared by the next entry or by vcpu_put, never delivered",
  {
    runEnter(k) {
      hooks.runEnter?.(k);
      guestOwnDe(k);
    },
    setGuestDebug(k, dbg) {
      const r = hooks.setGuestDebug?.(k, dbg);
      guestOwnDe(k);
      return r;
    },
    trap(k, p) {
      hooks.trap?.(k, p);
      guestOwnDe(k);
    },
  },
);

/**
 * imprecise-dropped with lightweight_exit's DBSR clear taken out of every entry (KVM_RUN's first and
 * the run loop's re-entries): the latched event survives the run loop, and only vcpu_put's
 * kvmppc_clear_dbsr (kvm_sched_out, the end of KVM_RUN) discards it.
 */
export const impreciseDroppedAtPut = definePolicy<BookeVcpu, BookeHost>({
  ...impreciseDropped,
  name: 'imprecise-dropped-at-put',
  summary: 'mutant: imprecise-dropped with no DBSR clear at guest entry, so vcpu_put clears the latched event',
  hooks: {
    ...impreciseDropped.hooks,
    runEnter(k) {
      switch_to_guest_fixed(k);
      guestOwnDe(k);
    },
    guestEnter: () => {},
  },
});

/**
 * imprecise-dropped-at-put with the clear taken out of the vcpu_put hook too: the guest's latched
 * event is left in DBSR. KVM_SET_GUEST_DEBUG is still upstream's kvm_arch_vcpu_ioctl_set_guest_debug,
 * which runs vcpu_put() itself (4.16+; before, kvm_vcpu_ioctl() did) and so kvmppc_booke_vcpu_put's
 * kvmppc_clear_dbsr(): userspace attaching or detaching between two KVM_RUNs discards the event.
 * Only the ioctl's own put finds it.
 */
export const impreciseDroppedAtIoctl = definePolicy<BookeVcpu, BookeHost>({
  ...impreciseDroppedAtPut,
  name: 'imprecise-dropped-at-ioctl',
  summary:
    "mutant: the guest's shadow MSR[DE] follows its own MSR only and neither guest entry nor vcpu_put clears DBSR, so only KVM_SET_GUEST_DEBUG's own vcpu_put clears a latched event",
  hooks: { ...impreciseDroppedAtPut.hooks, vcpuPut: () => {} },
});

/**
 * vcpu_put without kvmppc_booke_vcpu_put's kvmppc_clear_dbsr(): a DBSR bit the run loop's own code
 * latched (inside prime_debug_regs, on a CPU whose DBCR1/DBCR2 still hold 0b00 qualifiers, before
 * DBCR1 makes the guest's comparator user-only) stays pending when KVM_RUN returns and the CPU goes
 * on to other tasks, the first of them with MSR[DE] to take it as its own.
 */
export const spuriousLeftAtPut = mutant(
  'spurious-left-at-put',
  'kvmppc_booke_vcpu_put does not clear DBSR, so what the switch code latched outlives KVM on the CPU',
  { vcpuPut: () => {} },
);

/** `policy` with `onDebugExit(k)` called before each debug exit's handler runs (the tests' spy on what it saw). */
export function spyDebugExits(policy: Policy<BookeVcpu, BookeHost>, onDebugExit: (k: HookContext<BookeVcpu, BookeHost>) => void): Policy {
  const guestExit = policy.hooks.guestExit;
  return definePolicy<BookeVcpu, BookeHost>({
    ...policy,
    hooks: {
      ...policy.hooks,
      guestExit(k, reason) {
        if (reason === 'debug') onDebugExit(k);
        return guestExit?.(k, reason);
      },
    },
  }) as Policy;
}
