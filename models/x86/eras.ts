/**
 * The kernel eras the x86 models follow (the `x86-era` model option): where KVM/x86's debug-state
 * code changed across versions, policies transliterated from upstream read the era (k.host.era) and
 * the model offers only the events the era's run loop has.
 */

/** `--x86-era 0`: Linux 6.17, the newest modelled (the default). */
export const ERA_6_17 = 0;
/** `--x86-era 1`: Linux 6.13, before the 6.14 DEBUGCTL fixes and 6.17's FREEZE_IN_SMM (the built-ins' DR6 load is 6.13.y's, after c2fee09fc167's backport). */
export const ERA_6_13 = 1;
/**
 * `--x86-era 2`: Linux 5.7, before the fast path could re-enter the guest (EXIT_FASTPATH_REENTER_GUEST, 5.8).
 * Like 5.10, VMX did not virtualise the guest's IA32_DEBUGCTL: vmx_set_msr had no DEBUGCTL case, so
 * kvm_set_msr_common ignored LBR and BTF ("nop"; guest LBR came in 5.12, Like Xu's series was still v11 in May 2020).
 */
export const ERA_5_7 = 2;
/**
 * `--x86-era 3`: Linux 5.10 (LTS). Fast-path re-entry only on VMX, for the TSC-deadline WRMSR
 * (EXIT_FASTPATH_REENTER_GUEST, vmx_vcpu_run's `goto reenter_guest`; svm_vcpu_run had none until the loop
 * moved into vcpu_enter_guest, and the TSC-deadline case needs the VMX preemption timer). The x2APIC ICR
 * WRMSR (EXIT_FASTPATH_EXIT_HANDLED), on both vendors, returns to vcpu_enter_guest, whose exit path and
 * handle_exit run (`if (exit_fastpath != EXIT_FASTPATH_NONE) return 1;` in svm.c handle_exit and vmx.c
 * __vmx_handle_exit), and vcpu_run enters again through a full vcpu_enter_guest (FAST_PATH_MSRS). VMX did not virtualise the
 * guest's IA32_DEBUGCTL: vmx_set_msr passed it to kvm_set_msr_common, which ignored LBR and BTF ("nop"),
 * and kvm_get_msr_common read it as 0 (guest LBR came in 5.12), so no one can set it. For policies
 * transliterated from 5.10 (its value is 3, after 5.7's, so the older values keep their meaning).
 */
export const ERA_5_10 = 3;
/**
 * `--x86-era 4`: Linux 5.15 (LTS), and 6.1 and 6.6 as released (the same in every modelled fact). As 6.13 (`--x86-era 1`: guest LBR on VMX since 5.12, the host
 * DEBUGCTL snapshot in vmx_vcpu_load, SVM's DEBUGCTL left to LBRV, the fast-path re-entry loop in
 * vcpu_enter_guest), except that until 6.12 only the TSC-deadline WRMSR re-entered: the x2APIC ICR one
 * returned EXIT_FASTPATH_EXIT_HANDLED, so the loop broke out, the exit path and handle_exit ran, and
 * vcpu_run entered again (0dd45f2cd8cc, "KVM: x86: Re-enter guest if WRMSR(X2APIC_ICR) fastpath is
 * successful", 6.12, changed that). SVM has no TSC-deadline fast path (no VMX preemption timer), so
 * no 5.15 SVM fast path re-enters. Compared with android13-5.15-lts x86.c and svm.c.
 */
export const ERA_5_15 = 4;
/**
 * `--x86-era 5`: late 6.1.y and 6.6.y (LTS), after the August 2025 stable backports (Sean Christopherson,
 * "[PATCH 6.1.y 00/21] KVM: x86: Backports for 6.1.y" and "[PATCH 6.6.y 00/20]", 2025-08-15; first in
 * 6.1.149 and 6.6.103, whose -rc1 reviews list every patch) over 6.1 and 6.6 as released (`--x86-era 4`).
 * Its run loop is 5.15's: the fast path as era 4 (0dd45f2cd8cc and f7f39c50edb9, 6.12, were not backported). Its DEBUGCTL code is 6.17's on VMX: common
 * x86 snapshots the host's DEBUGCTL after local_irq_disable() (fb71c7959356, 189ecdb3e112) and VMX keeps
 * the host's FREEZE_IN_SMM (6b1dd26544d0); SVM's is 6.13's: no switch by hand without LBRV (433265870ab3,
 * 6.14, not in either series). The guest's DR6 is loaded once before the run loop (c2fee09fc167, backported
 * earlier as the set_dr6 op, then 80c64c7afea1's KVM_RUN_LOAD_GUEST_DR6 in the same series).
 */
export const ERA_LTS_2025 = 5;

/**
 * How the era's run loop goes on after a fast-path exit on this vendor: `reenter` (EXIT_FASTPATH_REENTER_GUEST,
 * 5.8+: re-entered inside the loop, no entry or exit path), `handle-exit` (5.10 and 5.15 SVM: svm_vcpu_run returns
 * the fast path's result to vcpu_enter_guest, which runs its exit path and handle_exit, and vcpu_run enters
 * again; openharmony/kernel_linux_5.10 svm.c @18459f50, x86.c @001420d1), `by-msr` (5.10 and 5.15 VMX: it depends
 * on the MSR, FAST_PATH_MSRS), or `none` (5.7: no FASTPATH_EXIT).
 */
export type EraFastPath = 'none' | 'reenter' | 'handle-exit' | 'by-msr';
export const eraFastPath = (era: number, vmx: boolean): EraFastPath =>
  era === ERA_5_10 || era === ERA_5_15 || era === ERA_LTS_2025 ? (vmx ? 'by-msr' : 'handle-exit') : era === ERA_5_7 ? 'none' : 'reenter';
/**
 * Whether common x86 snapshots the host's DEBUGCTL after local_irq_disable() in vcpu_enter_guest and VMX keeps
 * its FREEZE_IN_SMM (6.17, and late 6.1.y/6.6.y); otherwise VMX snapshots it in vmx_vcpu_load and SVM takes none.
 */
export const eraDebugctlAfterIrqs = (era: number): boolean => era === ERA_6_17 || era === ERA_LTS_2025;
/** Whether svm_vcpu_run switches DEBUGCTL by hand when LBR virtualisation is off (433265870ab3, 6.14: era 0 only). */
export const eraSvmDebugctlByHand = (era: number): boolean => era === ERA_6_17;

/** MSR_IA32_TSC_DEADLINE (arch/x86/include/asm/msr-index.h: 0x000006e0). */
export const MSR_IA32_TSC_DEADLINE = 0x6e0;
/** The x2APIC ICR, `APIC_BASE_MSR + (APIC_ICR >> 4)` as handle_fastpath_set_msr_irqoff names it (apicdef.h: 0x800 + (0x300 >> 4)). */
export const X2APIC_ICR_MSR = 0x800 + (0x300 >> 4);
/**
 * The MSRs whose WRMSR 5.10's handle_fastpath_set_msr_irqoff completes, with what it returns
 * (openharmony/kernel_linux_5.10 x86.c @001420d1): the x2APIC ICR `EXIT_FASTPATH_EXIT_HANDLED`, so
 * vmx_vcpu_run returns to vcpu_enter_guest, whose exit path and handle_exit (vmx.c @0508804a
 * __vmx_handle_exit: `if (exit_fastpath != EXIT_FASTPATH_NONE) return 1;`) run before vcpu_run enters
 * again; the TSC deadline `EXIT_FASTPATH_REENTER_GUEST`, so vmx_vcpu_run goes to `reenter_guest`. Both
 * skip the WRMSR first (kvm_skip_emulated_instruction) and ignore what the skip returns. The
 * FASTPATH_EXIT operand `msr` under `by-msr`; its index is what the policy's `fastpath` hook receives.
 */
export const FAST_PATH_MSRS = ['tsc-deadline', 'x2apic-icr'] as const;
export const FAST_PATH_MSR_INDEX: readonly number[] = [MSR_IA32_TSC_DEADLINE, X2APIC_ICR_MSR];

/**
 * Whether the run loop re-enters at once after the fast path completed a WRMSR of `msr` (an MSR index,
 * or undefined where the era treats every fast-path MSR alike): what a transliterated `fastpath` hook
 * asks to decide whether its exit path still runs (`guestExit(k, 'fastpath')`).
 */
export const fastPathReenters = (era: number, vmx: boolean, msr?: number): boolean => {
  const form = eraFastPath(era, vmx);
  return form === 'reenter' || (form === 'by-msr' && msr === MSR_IA32_TSC_DEADLINE);
};
/** Whether the guest (WRMSR) and userspace (KVM_SET_MSRS) can set IA32_DEBUGCTL on VMX in this era: from 5.12 on. */
export const eraVmxGuestDebugctl = (era: number): boolean => era !== ERA_5_7 && era !== ERA_5_10;
/** Whether the era's `switch_db_regs` bit 2 is KVM_DEBUGREG_RELOAD (until 5.14: 5.7 and 5.10). */
export const eraReload = (era: number): boolean => era === ERA_5_7 || era === ERA_5_10;

/** The option's help text: each value and its upstream source. */
export const X86_ERA_DESCRIPTION =
  "KVM's era: 0 = Linux 6.17 (host DEBUGCTL snapshot after local_irq_disable() and SVM's DEBUGCTL switch by hand without LBRV, both 6.14 'KVM: SVM: Fix DEBUGCTL bugs'; VMX keeps the host's FREEZE_IN_SMM, 6b1dd26544d0, 6.17; fast-path re-entry); " +
  '1 = Linux 6.13 (VMX snapshots the host DEBUGCTL in vmx_vcpu_load; SVM leaves DEBUGCTL to LBRV; no host-owned DEBUGCTL bits); ' +
  "2 = Linux 5.7 (as 1, and no EXIT_FASTPATH_REENTER_GUEST, so no FASTPATH_EXIT; VMX ignores the guest's and userspace's IA32_DEBUGCTL writes as in 5.10, so none are generated; for policies transliterated from that code: the built-in ones are 6.13/6.17 code); " +
  "3 = Linux 5.10 (as 1; FASTPATH_EXIT re-enters only on VMX and only for the TSC-deadline WRMSR, vmx_vcpu_run's reenter_guest; the x2APIC ICR WRMSR (VMX's FASTPATH_EXIT operand msr) and on SVM every fast path go through vcpu_enter_guest's exit path and handle_exit, which returns 1 for a fast-path exit, and the run loop enters again; VMX ignores the guest's and userspace's IA32_DEBUGCTL writes, kvm_set_msr_common 'nop' before 5.12's guest LBR, so none are generated; for policies transliterated from 5.10); " +
  "4 = Linux 5.15, also 6.1 and 6.6 as released (as 1, except that only the TSC-deadline WRMSR re-enters, on VMX: the x2APIC ICR WRMSR (VMX's FASTPATH_EXIT operand msr), and on SVM every fast path, goes through the exit path and handle_exit as in 5.10, before 0dd45f2cd8cc, 6.12; for policies transliterated from 5.15); " +
  "5 = late 6.1.y and 6.6.y, after the August 2025 stable backports (the run loop as 4; VMX's DEBUGCTL as 0: snapshot after local_irq_disable(), the host's FREEZE_IN_SMM kept; SVM's as 1: left to LBRV; for policies transliterated from that code)";

/** KVM_DEBUGREG_* (kvm_host.h enum switch_db_regs) as each era defines them; bit 2 changed meaning. */
export const KVM_DEBUGREG_FLAGS = {
  /** Linux 3.15 (lazy DR switching, "KVM: x86: Allow the guest to run with dirty debug registers"). */
  '3.15': { BP_ENABLED: 1 << 0, WONT_EXIT: 1 << 1 },
  /** From the 3.19/4.x era until 5.14: RELOAD at bit 2 (removed by 34e9f860071f "KVM: X86: Remove unneeded KVM_DEBUGREG_RELOAD", 5.15). */
  '4.x': { BP_ENABLED: 1 << 0, WONT_EXIT: 1 << 1, RELOAD: 1 << 2 },
  /** 5.15 to 6.15 (6.1.y and 6.6.y too): BP_ENABLED and WONT_EXIT only. */
  '5.15': { BP_ENABLED: 1 << 0, WONT_EXIT: 1 << 1 },
  /**
   * 6.16 on, with TDX: AUTO_SWITCH at bit 2, debug registers switched by the TDX module ("KVM: x86: Add a
   * switch_db_regs flag to handle TDX's auto-switched behavior"; tdx_vcpu_create sets it for every TD vCPU).
   */
  '6.16': { BP_ENABLED: 1 << 0, WONT_EXIT: 1 << 1, AUTO_SWITCH: 1 << 2 },
} as const;

/** The lifecycle events each fast-path form never fires (ModelInstance.lifecycleOff: `--coverage` does not warn about them). */
export const FASTPATH_OFF: Readonly<Record<EraFastPath, readonly string[]>> = {
  none: ['FASTPATH_EXIT', 'REENTERED', 'FASTPATH_EXIT_USERSPACE', 'FASTPATH_EXIT_HANDLED', 'FASTPATH_HANDLED'],
  reenter: ['FASTPATH_EXIT_HANDLED', 'FASTPATH_HANDLED'],
  'handle-exit': ['REENTERED'],
  'by-msr': [],
};
