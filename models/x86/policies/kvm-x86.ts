/**
 * The debug-register code of KVM's common x86 layer (Linux arch/x86/kvm/x86.c, as of 6.17) and the
 * kvm_x86_ops it calls, transliterated over the model's hardware accessors. Vendor code is in vmx.ts
 * and svm.ts; policies compose these into hooks.
 */
import type { GuestDebug, TrapParams } from '../../../src/engine/policy.js';
import { eraDebugctlAfterIrqs } from '../eras.js';
import type { X86Context } from '../model.js';
import {
  DEBUGCTL,
  DR,
  DR_GLOBAL_ENABLE_MASK,
  DR_STEP,
  DR_TRAP_BITS,
  DR6,
  DR6_ACTIVE_LOW,
  DR6_BD,
  DR6_VOLATILE,
  DR7,
  DR7_BP_EN_MASK,
  DR7_FIXED_1,
  DR7_GD,
  DR7_VOLATILE,
  drNumber,
  RFLAGS,
  SLOTS,
  X86_EFLAGS_FIXED,
  X86_EFLAGS_TF,
} from '../registers.js';
import { KVM_EXIT_DEBUG } from '../vm-switch.js';

// kvm_host.h enum switch_db_regs.
export const KVM_DEBUGREG_BP_ENABLED = 1 << 0;
export const KVM_DEBUGREG_WONT_EXIT = 1 << 1;
/** Debug registers switched by the TDX module (6.16 on, set for every TD vCPU): never set for the guests modelled here. */
export const KVM_DEBUGREG_AUTO_SWITCH = 1 << 2;
// uapi/linux/kvm.h and x86 uapi/asm/kvm.h.
export const KVM_GUESTDBG_ENABLE = 0x00000001;
export const KVM_GUESTDBG_SINGLESTEP = 0x00000002;
export const KVM_GUESTDBG_USE_HW_BP = 0x00020000;
/** kvm_host.h KVM_RUN_LOAD_GUEST_DR6: vcpu_run must load the guest's DR6 (it is live while DR accesses do not exit). */
export const KVM_RUN_LOAD_GUEST_DR6 = 1 << 1;
/** kvm_host.h KVM_RUN_LOAD_DEBUGCTL (6.17): host-owned DEBUGCTL bits changed since the last snapshot. */
export const KVM_RUN_LOAD_DEBUGCTL = 1 << 2;
/** kvm_dr6_fixed() for a guest without RTM and bus-lock detection: DR6_FIXED_1 | DR6_RTM | DR6_BUS_LOCK. */
const DR6_FIXED = DR6_ACTIVE_LOW;

/** The kvm_x86_ops (and vendor run-loop code) the common code calls. */
export interface KvmX86Ops {
  /** kvm_x86_ops.set_dr7: the DR7 the CPU loads at the next VM entry. */
  set_dr7(k: X86Context, value: number): void;
  /** Turn DR-access exits on or off (VMX CPU_BASED_MOV_DR_EXITING, SVM set/clr_dr_intercepts). */
  dr_exits(k: X86Context, on: boolean): void;
  /** kvm_x86_ops.sync_dirty_debug_regs: read back the registers the guest wrote without exiting; re-arm DR exits. */
  sync_dirty_debug_regs(k: X86Context): void;
  /**
   * The DR-access exit handler (VMX handle_dr, SVM dr_interception): KVM_EXIT_DEBUG when it returns 0
   * with a debug exit (the emulated MOV's single-step), undefined when it returns 1.
   */
  handle_dr(k: X86Context, p: TrapParams): number | undefined;
  /**
   * kvm_x86_ops.skip_emulated_instruction (vmx_skip_emulated_instruction, svm_skip_emulated_instruction):
   * advance RIP past the emulated instruction and clear the interrupt shadow. Neither is modelled, and
   * the skip never fails here; it does not report the instruction's single-step: kvm_skip_emulated_instruction does.
   */
  skip_emulated_instruction(k: X86Context): void;
  /** The #DB exit handler (VMX handle_exception_nmi, SVM db_interception): KVM_EXIT_DEBUG, or undefined after injecting. */
  handle_db(k: X86Context): number | undefined;
  /** kvm_x86_ops.vcpu_run up to VM entry. */
  run_enter(k: X86Context, run_flags: number): void;
  /** kvm_x86_ops.vcpu_run after VM exit. */
  run_exit(k: X86Context): void;
  /** kvm_x86_ops.vcpu_reset(vcpu, init_event = true), the debug-state part: what INIT resets in the VMCS/VMCB. */
  vcpu_reset(k: X86Context): void;
  /** kvm_x86_ops.HOST_OWNED_DEBUGCTL (6.17): DEBUGCTL bits the guest runs with as the host set them. */
  readonly HOST_OWNED_DEBUGCTL: number;
  /** The DEBUGCTL part of vcpu_run before VM entry (VMX KVM_RUN_LOAD_DEBUGCTL, SVM's switch by hand). */
  debugctl_enter(k: X86Context, run_flags: number): void;
  /** The DEBUGCTL part of vcpu_run after VM exit: the host's value back. */
  debugctl_exit(k: X86Context): void;
  /** Before 6.14: what vcpu_load did with DEBUGCTL (VMX vmx_vcpu_load: host_debugctlmsr = get_debugctlmsr()). */
  vcpu_load_6_13(k: X86Context): void;
  /** The guest's RDMSR/WRMSR of IA32_DEBUGCTL before 6.17 (VMX: no host-owned bits). */
  handle_debugctl_6_13(k: X86Context, p: TrapParams): void;
  /** The guest's RDMSR/WRMSR of IA32_DEBUGCTL (vmx_get_msr/vmx_set_msr, svm_get_msr/svm_set_msr). */
  handle_debugctl(k: X86Context, p: TrapParams): void;
}

/** kvm_update_dr0123. */
export function kvm_update_dr0123(k: X86Context): void {
  if (!(k.vcpu.guestDebug & KVM_GUESTDBG_USE_HW_BP)) for (let i = 0; i < SLOTS; i++) k.vcpu.effDb[DR(i)] = k.vcpu.arch[DR(i)] as number;
}

/** kvm_update_dr7. */
export function kvm_update_dr7(k: X86Context, ops: KvmX86Ops): void {
  const dr7 = k.vcpu.guestDebug & KVM_GUESTDBG_USE_HW_BP ? k.vcpu.guestDebugDr7 : (k.vcpu.arch[DR7] as number);
  ops.set_dr7(k, dr7);
  k.vcpu.switchDbRegs &= ~KVM_DEBUGREG_BP_ENABLED;
  if (dr7 & DR7_BP_EN_MASK) k.vcpu.switchDbRegs |= KVM_DEBUGREG_BP_ENABLED;
}

/** kvm_set_dr: the guest (through an exit) or KVM writes DRn; values are valid (no #GP modelled). */
export function kvm_set_dr(k: X86Context, ops: KvmX86Ops, reg: number, val: number): void {
  const dr = drNumber(reg);
  if (dr < SLOTS) {
    k.vcpu.arch[reg] = val;
    if (!(k.vcpu.guestDebug & KVM_GUESTDBG_USE_HW_BP)) k.vcpu.effDb[reg] = val;
  } else if (dr === 6) {
    k.vcpu.arch[DR6] = ((val & DR6_VOLATILE) | DR6_FIXED) >>> 0;
  } else {
    k.vcpu.arch[DR7] = ((val & DR7_VOLATILE) | DR7_FIXED_1) >>> 0;
    kvm_update_dr7(k, ops);
  }
}

/** kvm_get_dr. */
export const kvm_get_dr = (k: X86Context, reg: number): number => k.vcpu.arch[reg] as number;

/**
 * kvm_queue_exception_p(vcpu, DB_VECTOR, payload), with kvm_deliver_exception_payload and the
 * injection's DR7.GD clearing (kvm_check_and_inject_events) applied at once: nothing runs in the
 * guest in between, and the model does not let userspace look at a half-injected #DB.
 */
export function kvm_queue_db(k: X86Context, ops: KvmX86Ops, payload: number): void {
  let dr6 = (k.vcpu.arch[DR6] as number) & ~DR_TRAP_BITS;
  dr6 |= DR6_ACTIVE_LOW;
  dr6 |= payload;
  dr6 ^= payload & DR6_ACTIVE_LOW;
  dr6 &= ~(1 << 12);
  k.vcpu.arch[DR6] = dr6 >>> 0;
  const dr7 = k.vcpu.arch[DR7] as number;
  if (dr7 & DR7_GD) {
    k.vcpu.arch[DR7] = (dr7 & ~DR7_GD) >>> 0;
    kvm_update_dr7(k, ops);
  }
}

/** The DR7.GD test of VMX handle_dr: a MOV-DR exit beats the #DB, so KVM raises it. Returns true when it did. */
export function emulate_general_detect(k: X86Context, ops: KvmX86Ops, dr7: number): boolean {
  if (!(dr7 & DR7_GD)) return false;
  // With KVM_GUESTDBG_USE_HW_BP upstream exits to userspace with DR6_BD; userspace's DR7 (QEMU 0x600 | Gn) never has GD.
  if (!(k.vcpu.guestDebug & KVM_GUESTDBG_USE_HW_BP)) kvm_queue_db(k, ops, DR6_BD);
  return true;
}

/**
 * kvm_vcpu_do_singlestep: the single-step #DB of an instruction KVM emulated. Userspace single-stepping
 * gets it as KVM_EXIT_DEBUG (kvm_run->debug.arch.dr6 = DR6_BS | DR6_ACTIVE_LOW; `return 0`, KVM_RUN
 * ends); otherwise #DB(BS) is queued for the guest, whose own TF it is (`return 1`).
 */
export function kvm_vcpu_do_singlestep(k: X86Context, ops: KvmX86Ops): number | undefined {
  if (k.vcpu.guestDebug & KVM_GUESTDBG_SINGLESTEP) return KVM_EXIT_DEBUG;
  kvm_queue_db(k, ops, DR_STEP);
  return undefined;
}

/**
 * kvm_skip_emulated_instruction (4.11+, 6affcbedcac7): RFLAGS read before the vendor skip ("the old,
 * raw value of the flags"; TF included, kvm_x86_call(get_rflags)), then the skipped instruction's
 * single-step when TF was set. KVM_EXIT_DEBUG: the handler returns 0 to userspace.
 */
export function kvm_skip_emulated_instruction(k: X86Context, ops: KvmX86Ops): number | undefined {
  const rflags = k.vcpu.vmcs[RFLAGS] as number; // GUEST_RFLAGS / save.rflags
  ops.skip_emulated_instruction(k);
  return rflags & X86_EFLAGS_TF ? kvm_vcpu_do_singlestep(k, ops) : undefined;
}

/**
 * handle_fastpath_set_msr_irqoff (6.12+) once its WRMSR (TSC deadline, x2APIC ICR: not modelled) is
 * handled: skip it, and KVM_EXIT_DEBUG when kvm_skip_emulated_instruction returned 0 (the step of a
 * userspace single-step): EXIT_FASTPATH_EXIT_USERSPACE (f7f39c50edb9). Undefined: EXIT_FASTPATH_REENTER_GUEST.
 */
export const handle_fastpath_set_msr_irqoff = (k: X86Context, ops: KvmX86Ops): number | undefined => kvm_skip_emulated_instruction(k, ops);

/** kvm_complete_insn_gp(vcpu, 0): the modelled accesses never #GP, so the instruction is skipped. */
export const kvm_complete_insn_gp = (k: X86Context, ops: KvmX86Ops): number | undefined => kvm_skip_emulated_instruction(k, ops);

/**
 * kvm_emulate_rdmsr / kvm_emulate_wrmsr of IA32_DEBUGCTL: the vendor's get_msr/set_msr (`msr`), then
 * kvm_x86_call(complete_emulated_msr): kvm_complete_insn_gp on VMX, and on SVM for every access that
 * succeeded (svm_complete_emulated_msr: `if (!err || !sev_es_guest(vcpu->kvm) || ...)`; only a failed
 * SEV-ES access differs, #GP through the GHCB). The modelled accesses never fail.
 */
export function kvm_emulate_msr(
  k: X86Context,
  ops: KvmX86Ops,
  p: TrapParams,
  msr: (k: X86Context, p: TrapParams) => void,
): number | undefined {
  msr(k, p);
  return kvm_complete_insn_gp(k, ops);
}

/** The exit handler's MOV to/from DRn once the access is to be emulated. */
export function emulate_dr_access(k: X86Context, ops: KvmX86Ops, p: TrapParams): void {
  if (p.isWrite) kvm_set_dr(k, ops, p.reg, p.regval);
  else p.regval = kvm_get_dr(k, p.reg);
}

/** hw_breakpoint.h hw_breakpoint_active(): cpu_dr7 & DR_GLOBAL_ENABLE_MASK. */
export const hw_breakpoint_active = (k: X86Context): boolean => ((k.host.hwBreakpoint[DR7] as number) & DR_GLOBAL_ENABLE_MASK) !== 0;

/** hw_breakpoint.c hw_breakpoint_restore(). */
export function hw_breakpoint_restore(k: X86Context): void {
  for (let i = 0; i < SLOTS; i++) k.hw.write(DR(i), k.host.hwBreakpoint[DR(i)] as number);
  k.hw.write(DR6, DR6_ACTIVE_LOW); // DR6_RESERVED
  k.hw.write(DR7, k.host.hwBreakpoint[DR7] as number);
}

/** vcpu_enter_guest up to kvm_x86_ops.vcpu_run: load the guest's DR0-DR3 when it uses them, snapshot DEBUGCTL. */
export function load_guest_debug_regs(k: X86Context, ops: KvmX86Ops): void {
  k.localIrqDisable(); // local_irq_disable(): interrupts before this point may change the host's DR7 and DEBUGCTL
  let run_flags = 0;
  const sw = k.vcpu.switchDbRegs;
  if (sw && !(sw & KVM_DEBUGREG_AUTO_SWITCH)) {
    k.hw.write(DR7, DR7_FIXED_1);
    for (let i = 0; i < SLOTS; i++) k.hw.write(DR(i), k.vcpu.effDb[DR(i)] as number);
    // When KVM_DEBUGREG_WONT_EXIT, dr6 is accessible in guest.
    if (sw & KVM_DEBUGREG_WONT_EXIT) run_flags |= KVM_RUN_LOAD_GUEST_DR6;
  } else if (hw_breakpoint_active(k)) {
    k.hw.write(DR7, DR7_FIXED_1);
  }
  // Before 6.14 (x86-era 1 to 4) VMX took the snapshot in vmx_vcpu_load, SVM took none.
  if (eraDebugctlAfterIrqs(k.host.era)) run_flags |= snapshot_host_debugctl(k, ops);
  ops.run_enter(k, run_flags);
}

/**
 * Refresh the host DEBUGCTL snapshot after disabling IRQs, as DEBUGCTL can be modified in IRQ context;
 * inform vendor code if any host-owned bits changed (vcpu_enter_guest, 6.17). Returns the run_flags to add.
 */
export function snapshot_host_debugctl(k: X86Context, ops: KvmX86Ops): number {
  const debug_ctl = k.hw.read(DEBUGCTL);
  const flags = (debug_ctl ^ k.vcpu.hostDebugctl) & ops.HOST_OWNED_DEBUGCTL ? KVM_RUN_LOAD_DEBUGCTL : 0;
  k.vcpu.hostDebugctl = debug_ctl;
  return flags;
}

/** vcpu_enter_guest after the run loop: sync what the guest wrote without exiting, restore the host's breakpoints. */
export function put_guest_debug_regs(k: X86Context, ops: KvmX86Ops): void {
  if (k.vcpu.switchDbRegs & KVM_DEBUGREG_WONT_EXIT) {
    if (k.vcpu.guestDebug & KVM_GUESTDBG_USE_HW_BP) k.warn('WARN_ON(vcpu->guest_debug & KVM_GUESTDBG_USE_HW_BP)');
    ops.sync_dirty_debug_regs(k);
    kvm_update_dr0123(k);
    kvm_update_dr7(k, ops);
  }
  // If we don't have active breakpoints in the host, we don't care about the messed up debug address registers.
  if (hw_breakpoint_active(k)) hw_breakpoint_restore(k);
}

/** The #DB exit handlers' common part: inject `payload` unless userspace single-steps or uses hardware breakpoints. */
export function handle_db_payload(k: X86Context, ops: KvmX86Ops, payload: number): number | undefined {
  if (!(k.vcpu.guestDebug & (KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_USE_HW_BP))) {
    kvm_queue_db(k, ops, payload);
    return undefined;
  }
  return KVM_EXIT_DEBUG; // kvm_run->debug.arch.dr6 = payload | DR6_ACTIVE_LOW
}

/** kvm_arch_vcpu_ioctl_set_guest_debug (no #BP/#DB injection requests). */
export function kvm_arch_vcpu_ioctl_set_guest_debug(k: X86Context, ops: KvmX86Ops, dbg: GuestDebug): number {
  let control = dbg.enable ? KVM_GUESTDBG_ENABLE : 0;
  if (dbg.enable && dbg.useHw) control |= KVM_GUESTDBG_USE_HW_BP;
  if (dbg.enable && dbg.singleStep) control |= KVM_GUESTDBG_SINGLESTEP;
  const rflags = kvm_get_rflags(k);
  k.vcpu.guestDebug = control;
  const debugreg = dbg.arch ?? [];
  if (k.vcpu.guestDebug & KVM_GUESTDBG_USE_HW_BP) {
    for (let i = 0; i < SLOTS; i++) k.vcpu.effDb[DR(i)] = debugreg[i] ?? 0;
    k.vcpu.guestDebugDr7 = debugreg[7] ?? 0;
  } else {
    for (let i = 0; i < SLOTS; i++) k.vcpu.effDb[DR(i)] = k.vcpu.arch[DR(i)] as number;
  }
  kvm_update_dr7(k, ops);
  // vcpu->arch.singlestep_rip = kvm_get_linear_rip(vcpu) (RIP is not modelled: always "at it"), and
  // "trigger an rflags update that will inject or remove the trace flags".
  kvm_set_rflags(k, rflags);
  return 0;
}

/** kvm_get_rflags: the guest's RFLAGS without the TF KVM adds while userspace single-steps. */
export function kvm_get_rflags(k: X86Context): number {
  const rflags = k.vcpu.vmcs[RFLAGS] as number;
  return k.vcpu.guestDebug & KVM_GUESTDBG_SINGLESTEP ? (rflags & ~X86_EFLAGS_TF) >>> 0 : rflags;
}

/** __kvm_set_rflags: TF added while userspace single-steps (at singlestep_rip, which is always the case here). */
export function kvm_set_rflags(k: X86Context, rflags: number): void {
  k.vcpu.vmcs[RFLAGS] = k.vcpu.guestDebug & KVM_GUESTDBG_SINGLESTEP ? (rflags | X86_EFLAGS_TF) >>> 0 : rflags;
}

/** kvm_vcpu_ioctl_x86_set_debugregs with one register of the struct changed (KVM_GET_DEBUGREGS, then SET). */
export function kvm_vcpu_ioctl_x86_set_debugregs(k: X86Context, ops: KvmX86Ops, reg: number, value: number): void {
  const a = k.vcpu.arch;
  const dbgregs = [a[DR(0)], a[DR(1)], a[DR(2)], a[DR(3)], a[DR6], a[DR7]] as number[];
  dbgregs[reg] = value;
  for (let i = 0; i < SLOTS; i++) a[DR(i)] = dbgregs[i] as number;
  kvm_update_dr0123(k);
  a[DR6] = dbgregs[DR6] as number;
  a[DR7] = dbgregs[DR7] as number;
  kvm_update_dr7(k, ops);
}

/** kvm_vcpu_reset's debug registers. */
export function kvm_vcpu_reset(k: X86Context, ops: KvmX86Ops): void {
  for (let i = 0; i < SLOTS; i++) k.vcpu.arch[DR(i)] = 0;
  kvm_update_dr0123(k);
  k.vcpu.arch[DR6] = DR6_ACTIVE_LOW;
  k.vcpu.arch[DR7] = DR7_FIXED_1;
  kvm_update_dr7(k, ops);
  ops.vcpu_reset(k); // kvm_x86_call(vcpu_reset)(vcpu, init_event)
  // kvm_set_rflags(vcpu, X86_EFLAGS_FIXED): RIP is now the reset vector, not singlestep_rip, so no TF.
  k.vcpu.vmcs[RFLAGS] = X86_EFLAGS_FIXED;
}
