/**
 * Where the x86 models keep a vCPU's state in the world: KVM's memory areas and scalar words (the
 * X86Vcpu fields) and the model's ghost words. Shared by the model, its events and its hardware code.
 */
import { VMM_GHOST } from '../../src/model-kit/debug-status.js';

/** vCPU memory areas: vcpu->arch.db/dr6/dr7, vcpu->arch.eff_db, and the VMCS (VMX) or VMCB (SVM) fields. */
export const VCPU_AREAS = ['arch', 'effDb', 'vmcs'] as const;
/** The same areas as SVM's reports name them: its VMCB is no VMCS (`k.vcpu.vmcs` stays, for the code both share). */
export const SVM_VCPU_AREAS = ['arch', 'effDb', 'vmcb'] as const;
/** Per-CPU host memory areas: hw_breakpoint.c's cpu_debugreg[] and cpu_dr7 (X86Host.hwBreakpoint). */
export const HOST_AREAS = ['hwBreakpoint'] as const;
/** vCPU scalar words, the X86Vcpu fields of the same names. */
export const VCPU_SCALARS = [
  'switchDbRegs',
  'guestDebug',
  'guestDebugDr7',
  'hostDebugctl',
  'vmEntryControls',
  'vmExitControls',
  'virtExt',
] as const;
/**
 * Per-vCPU ghost words: userspace's debug flags, then its debugreg[] indexed by register id (DR0-DR3,
 * DR6, DR7); a trapped MOV DR left to run again (reexecute.ts); whether a single-step is owed to
 * userspace (single-step.ts).
 */
export const VCPU_GHOST = [
  ...VMM_GHOST,
  'vmmDr0',
  'vmmDr1',
  'vmmDr2',
  'vmmDr3',
  'vmmDr6',
  'vmmDr7',
  'retryAccess',
  'retryValue',
  'stepOwed',
] as const;
