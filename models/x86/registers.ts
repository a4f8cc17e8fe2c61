/**
 * The x86 debug registers as KVM sees them (Intel SDM vol. 3 ch. 18 "Debug, Branch Profile, TSC and
 * Intel RDT features"; AMD APM vol. 2 ch. 13). Bit values: Linux arch/x86/include/uapi/asm/debugreg.h,
 * asm/debugreg.h, asm/kvm_host.h and asm/msr-index.h. DR4/DR5 (aliases of DR6/DR7 with CR4.DE=0) are
 * not modelled. SDM section numbers throughout the x86 model are of the edition with this chapter at 18
 * and VM entries/exits at 27/28 (2016-era editions: 17 and 26/27).
 */
import { defineRegisterFile, type RegisterFile, type RegisterSpec } from '../../src/engine/register-file.js';

/** Register ids: DR0..DR3 are the breakpoint addresses. */
export const DR = (n: number): number => n;
export const DR6 = 4;
export const DR7 = 5;
/** IA32_DEBUGCTL (MSR 0x1d9, msr-index.h MSR_IA32_DEBUGCTLMSR). */
export const DEBUGCTL = 6;
/**
 * VMX: the exit qualification of the last VM exit (read by vmx_get_exit_qual). SVM has none; the id
 * holds there the host DEBUGCTL that VMRUN stores in the host save area while LBR virtualisation is
 * on (APM vol. 2 15.23) and #VMEXIT loads back.
 */
export const EXIT_QUAL = 7;
/** SVM's name for register id 7: the host save area's copy of IA32_DEBUGCTL. */
export const HSAVE_DEBUGCTL = EXIT_QUAL;
/**
 * The CPU's live VM-execution DR controls, loaded from the VMCS/VMCB at VM entry: VMX
 * CPU_BASED_MOV_DR_EXITING, SVM the DR read/write intercept bits. Not a register software uses;
 * the model keeps it so the trap decision follows what the CPU entered with.
 */
export const DR_CONTROLS = 8;
/**
 * SVM: the host's DR6 while the guest runs. VMRUN loads DR6 from the VMCB; whether #VMEXIT gives the
 * host its own back the APM does not say (vol. 2 15.5.1 lists no DR6 among the host state VMRUN saves,
 * 15.6 only disables the host DR7's breakpoints). KVM assumes it does (1ccb6f983a4e, 5.15: the guest's
 * DR6 on the CPU "never happens at all on SVM"), and so does the model by default, keeping the host's
 * value here in between; `--vmexit-dr6 1` leaves the guest's on the CPU instead. Not on VMX.
 */
export const HSAVE_DR6 = 9;
/**
 * RFLAGS of the code the CPU runs; only TF matters here (single-step: a #DB with DR6.BS after each
 * instruction, SDM 18.3.1.4). VM entry loads the guest's from the VMCS/VMCB (GUEST_RFLAGS, save.rflags).
 */
export const RFLAGS = 10;
export const REGISTER_COUNT = 11;
/** processor-flags.h X86_EFLAGS_TF (bit 8) and X86_EFLAGS_FIXED (bit 1, reads as 1). */
export const X86_EFLAGS_TF = 1 << 8;
export const X86_EFLAGS_FIXED = 1 << 1;
export const SLOTS = 4;

// uapi/asm/debugreg.h: DR6 status bits.
export const DR_TRAP_BITS = 0xf; // DR_TRAP0..DR_TRAP3 (B0-B3)
export const DR_STEP = 0x4000; // BS
export const DR_SWITCH = 0x8000; // BT
export const DR6_BD = 1 << 13; // asm/debugreg.h: DR6_BD, debug register access detected
/** uapi DR6_RESERVED / kvm_host.h DR6_ACTIVE_LOW: the active-low and reserved-1 bits; DR6's reset value. */
export const DR6_ACTIVE_LOW = 0xffff0ff0;
/** kvm_host.h DR6_VOLATILE: the DR6 bits a guest can write. */
export const DR6_VOLATILE = 0x0001e80f;
/** The DR6 event bits a debug exception sets. */
export const DR6_EVENTS = (DR_TRAP_BITS | DR6_BD | DR_STEP | DR_SWITCH) >>> 0;

// uapi/asm/debugreg.h and kvm_host.h: DR7.
export const DR_LOCAL_ENABLE = 0x1; // L0; Ln at bit 2n
export const DR_GLOBAL_ENABLE = 0x2; // G0; Gn at bit 2n+1
export const DR_GLOBAL_ENABLE_MASK = 0xaa;
export const DR7_BP_EN_MASK = 0xff;
/** asm/debugreg.h DR7_FIXED_1: bit 10 reads as 1; also DR7's reset value. */
export const DR7_FIXED_1 = 0x400;
export const DR7_GD = 1 << 13; // kvm_host.h DR7_GD: general detect
export const DR7_VOLATILE = 0xffff2bff; // kvm_host.h
export const DR_CONTROL_SHIFT = 16;
export const DR_CONTROL_SIZE = 4;
export const DR_RW_EXECUTE = 0x0;
export const DR_RW_WRITE = 0x1;
export const DR_RW_READ = 0x3; // read or write
export const DR_LEN_4 = 0xc;

// msr-index.h
export const DEBUGCTLMSR_LBR = 1 << 0;
export const DEBUGCTLMSR_BTF = 1 << 1;
/** msr-index.h DEBUGCTLMSR_FREEZE_IN_SMM (bit 14): host-owned on VMX (vmx.c HOST_OWNED_DEBUGCTL, Linux 6.17). */
export const DEBUGCTLMSR_FREEZE_IN_SMM = 1 << 14;

/** vmx.h VM_ENTRY_LOAD_DEBUG_CONTROLS (VM-entry control bit 2): VM entry loads DR7 and IA32_DEBUGCTL (SDM 27.3.2.1). */
export const VM_ENTRY_LOAD_DEBUG_CONTROLS = 0x00000004;
/** vmx.h VM_EXIT_SAVE_DEBUG_CONTROLS (VM-exit control bit 2): VM exit saves DR7 and IA32_DEBUGCTL (SDM 28.3.1). */
export const VM_EXIT_SAVE_DEBUG_CONTROLS = 0x00000004;
/** svm.h LBR_CTL_ENABLE_MASK (VMCB virt_ext bit 0): VMRUN/#VMEXIT switch DEBUGCTL and the LBR MSRs (APM 15.23). */
export const LBR_CTL_ENABLE_MASK = 0x1;

/** vmx.h CPU_BASED_MOV_DR_EXITING (primary processor-based VM-execution control, bit 23). */
export const CPU_BASED_MOV_DR_EXITING = 0x00800000;
/** svm.h INTERCEPT_DR0_READ..DR7_READ are bits 0-7 of the DR intercept vector, writes bits 16-23 (APM 15.9). */
export const drIntercept = (dr: number, isWrite: boolean): number => 1 << ((isWrite ? 16 : 0) + dr);
/** The architectural number (DR0..DR7) of a register id. */
export const drNumber = (reg: number): number => (reg === DR6 ? 6 : reg === DR7 ? 7 : reg);
/** svm.c set_dr_intercepts: reads and writes of DR0-DR3, DR6 and DR7. */
export const SVM_DR_INTERCEPTS = [0, 1, 2, 3, 6, 7].reduce((m, dr) => m | drIntercept(dr, false) | drIntercept(dr, true), 0) >>> 0;

/** DR7 bits that enable and describe breakpoint `n`: Ln, Gn, R/Wn, LENn. */
export function dr7Slot(n: number, rw: number, len: number, global: boolean): number {
  const enable = (global ? DR_GLOBAL_ENABLE : DR_LOCAL_ENABLE) << (2 * n);
  return (enable | (((len | rw) & 0xf) << (DR_CONTROL_SHIFT + DR_CONTROL_SIZE * n))) >>> 0;
}

const NAMES: readonly (readonly [number, string])[] = [
  [1, 'B0'],
  [2, 'B1'],
  [4, 'B2'],
  [8, 'B3'],
  [DR6_BD, 'BD'],
  [DR_STEP, 'BS'],
  [DR_SWITCH, 'BT'],
];

/** `DR6[B0|BD]`-style names of the DR6 event bits in `mask`. */
export function describeDr6(mask: number): string {
  const names = NAMES.filter(([bit]) => (mask & bit) !== 0).map(([, name]) => name);
  return `DR6[${names.join('|') || '0'}]`;
}

/** The register file; id 7 is VMX's exit qualification or SVM's host-save DEBUGCTL, and software cannot write DR_CONTROLS. */
export function x86RegisterFile(vmx: boolean): RegisterFile {
  const rw = (name: string, reset = 0): RegisterSpec => ({ name, width: 64, reset, write: 'rw' });
  const specs: RegisterSpec[] = [
    rw('DR0'),
    rw('DR1'),
    rw('DR2'),
    rw('DR3'),
    // SDM 18.2.3: DR6 bits 4-11 and 16-31 are reserved and read as 1 (no RTM, no bus-lock detect).
    { ...rw('DR6', DR6_ACTIVE_LOW), fixed1: DR6_ACTIVE_LOW },
    { ...rw('DR7', DR7_FIXED_1), fixed1: DR7_FIXED_1 },
    rw('IA32_DEBUGCTL'),
    { name: vmx ? 'EXIT_QUALIFICATION' : 'HSAVE_DEBUGCTL', width: 64, reset: 0, write: 'ro' },
    // Read-only to software: only VM entry loads it (the world codec packs implemented registers).
    { name: vmx ? 'MOV_DR_EXITING' : 'DR_INTERCEPTS', width: 32, reset: 0, write: 'ro' },
    { name: 'HSAVE_DR6', width: 64, reset: DR6_ACTIVE_LOW, write: 'ro' },
    { name: 'RFLAGS', width: 64, reset: X86_EFLAGS_FIXED, write: 'rw', fixed1: X86_EFLAGS_FIXED },
  ];
  return defineRegisterFile(specs, (id) => id !== HSAVE_DR6 || !vmx);
}
