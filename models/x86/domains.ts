/**
 * The operand domains of the x86 models: `full` for random checking, `small` for exhaustive
 * exploration (one host slot, one host address, fewer values), and the small one in words.
 */
import { IRQ_CHANGES_FULL, IRQ_CHANGES_SMALL, type X86Domain } from './debug-events.js';
import {
  DEBUGCTL,
  DEBUGCTLMSR_FREEZE_IN_SMM,
  DEBUGCTLMSR_LBR,
  DR,
  DR_LEN_4,
  DR_RW_EXECUTE,
  DR_RW_WRITE,
  DR6,
  DR6_ACTIVE_LOW,
  DR7,
  DR7_FIXED_1,
  DR7_GD,
  dr7Slot,
} from './registers.js';

/** The guest-visible debug registers: DR0-DR3, DR6, DR7. */
export const GUEST_REGS = [DR(0), DR(1), DR(2), DR(3), DR6, DR7];
const L0_EXEC = (DR7_FIXED_1 | dr7Slot(0, DR_RW_EXECUTE, 0, false)) >>> 0;

/** A model's operand domains: the events', the values guest writes take, the registers it reads and writes. */
export type Domain = { domain: X86Domain; values: (reg: number) => readonly number[]; readable: number[]; writable: number[] };

/**
 * The guest's IA32_DEBUGCTL writes: LBR set and cleared. KVM drops BTF on both vendors (vmx.c
 * vmx_set_msr, svm.c svm_set_msr: kvm_pr_unimpl_wrmsr) and, on SVM with the kvm_amd `lbrv` parameter
 * off, every write, so those are left out rather than expected to stick.
 */
const GUEST_DEBUGCTL = [0, DEBUGCTLMSR_LBR];

/** The full domain (`check`): every slot, both addresses, every DR7 shape; VMX's host may set FREEZE_IN_SMM. */
export function full(vmx: boolean, guestDebugctl: boolean): Domain {
  const dr7 = [
    DR7_FIXED_1,
    L0_EXEC,
    (DR7_FIXED_1 | dr7Slot(0, DR_RW_WRITE, DR_LEN_4, false)) >>> 0,
    (DR7_FIXED_1 | dr7Slot(0, DR_RW_EXECUTE, 0, true)) >>> 0,
    (DR7_FIXED_1 | dr7Slot(1, DR_RW_EXECUTE, 0, false)) >>> 0,
    (DR7_FIXED_1 | DR7_GD) >>> 0,
    (L0_EXEC | DR7_GD) >>> 0,
  ];
  return {
    domain: {
      addresses: [0x1000, 0x2000],
      hostAddresses: [0x1000, 0x2000],
      hostSlots: [0, 1, 2, 3],
      hostKinds: [0, 1],
      debugctl: vmx ? [0, DEBUGCTLMSR_LBR, DEBUGCTLMSR_FREEZE_IN_SMM] : [0, DEBUGCTLMSR_LBR],
      bpLists: [0, 1, 2, 3],
      singleStep: [0, 1],
      irqChanges: IRQ_CHANGES_FULL,
    },
    values: (reg) =>
      reg === DR7
        ? dr7
        : reg === DR6
          ? [DR6_ACTIVE_LOW, (DR6_ACTIVE_LOW | 1) >>> 0]
          : reg === DEBUGCTL
            ? GUEST_DEBUGCTL
            : [0, 0x1000, 0x2000],
    readable: [...GUEST_REGS, DEBUGCTL],
    writable: guestDebugctl ? [...GUEST_REGS, DEBUGCTL] : GUEST_REGS,
  };
}

/** The small domain (`explore`), described by SMALL_DOMAIN. */
export function small(guestDebugctl: boolean): Domain {
  return {
    domain: {
      addresses: [0x1000, 0x2000],
      hostAddresses: [0x1000],
      hostSlots: [0],
      hostKinds: [0],
      debugctl: [0, DEBUGCTLMSR_LBR],
      bpLists: [0, 2],
      singleStep: [0, 1],
      irqChanges: IRQ_CHANGES_SMALL,
    },
    values: (reg) =>
      reg === DR7
        ? [L0_EXEC, (DR7_FIXED_1 | DR7_GD) >>> 0]
        : reg === DR6
          ? [(DR6_ACTIVE_LOW | 1) >>> 0]
          : reg === DEBUGCTL
            ? GUEST_DEBUGCTL
            : [0x2000],
    readable: [DR(0), DR6, DR7],
    writable: guestDebugctl ? [DR(0), DR6, DR7, DEBUGCTL] : [DR(0), DR6, DR7],
  };
}

/** The small explore domain, in words (shared by both variants). */
export const SMALL_DOMAIN =
  'DR0 on one pCPU slot: host perf execute breakpoint at 0x1000, guest writes DR0=0x2000, DR6=0xffff0ff1 (B0) and DR7 {L0 execute, GD}, reads DR0/DR6/DR7, executes/accesses 0x1000 and 0x2000; guest WRMSR IA32_DEBUGCTL {0, LBR} (not on SVM with --lbrv 0, nor on VMX with --x86-era 2 or 3: 5.7 and 5.10 ignored it); host DEBUGCTL set to {0, LBR} from process or IRQ context; IRQs in the run loop before local_irq_disable(): host bp0 armed/disarmed, DEBUGCTL {0, LBR}; userspace hw breakpoint lists {none, [0x2000]}, single-step off/on';
