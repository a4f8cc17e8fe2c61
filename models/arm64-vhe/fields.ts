/**
 * The arm64-vhe field table: arm64-nvhe's (OSLAR_EL1/OSLSR_EL1 among them), plus the VM registers VHE adds
 * (registers.ts: asm/kvm_arm.h HCR_TVM/HCR_TRVM, asm/sysreg.h SCTLR_ELx_M/C)
 * (SPSR_EL2 and userspace's debug state are decoded by arm64-nvhe's, which has them with --gdb 1).
 */

import { type FieldTable, flags } from '../../src/engine/register-fields.js';
import { ARM64_KERNEL_EVENTS, ARM64_RUN_LOOP_EVENTS, arm64Fields, OS_LOCK_EVENTS } from '../arm64-nvhe/fields.js';
import { HCR_E2H, HCR_TGE, HCR_TRVM, HCR_TVM, SCTLR_C, SCTLR_M } from './registers.js';

// HCR_EL2.E2H is bit 34 (asm/kvm_arm.h HCR_E2H): a high-word flag.
const HCR = flags({ TVM: HCR_TVM, TRVM: HCR_TRVM, TGE: HCR_TGE, E2H: HCR_E2H });

/** The arm64-vhe field table. */
let arm64VheFieldsTable: FieldTable | undefined;

/** Built on first use: the constants it names come from policy modules that import the model (a cycle at load time). */
export function arm64VheFields(): FieldTable {
  arm64VheFieldsTable ??= {
    ...arm64Fields(),
    HCR_EL2: HCR,
    hcrEl2: HCR,
    // SCTLR_EL1's reset value 0x00C50078 is RES1 bits: only M and C are modelled.
    SCTLR_EL1: [...flags({ M: SCTLR_M, C: SCTLR_C }), { name: 'RES1', mask: 0x00c50078, quiet: true }],
  };
  return arm64VheFieldsTable;
}

/** arm64-vhe's events in the kernel. */
export const ARM64_VHE_KERNEL_EVENTS: Readonly<Record<string, string>> = {
  ...ARM64_KERNEL_EVENTS,
  GUEST_ENTER: 'KVM_RUN: kvm_arch_vcpu_ioctl_run() -> kvm_vcpu_run_vhe()',
  GUEST_EXIT: 'an exit to EL2, back through kvm_vcpu_run_vhe() to handle_exit()',
  HYP_READ_REG: 'the hypervisor reads a guest sysreg: vcpu_read_sys_reg() (e.g. kvm_vcpu_is_be for MMIO)',
  HYP_WRITE_REG: 'the hypervisor writes a guest sysreg: vcpu_write_sys_reg() (e.g. inject_abt64)',
  VCPU_RESET:
    "kvm_reset_vcpu() of a loaded vCPU: PSCI CPU_ON from another vCPU's thread (until 5.0), the vCPU's own KVM_REQ_VCPU_RESET (5.0 on)",
  ...OS_LOCK_EVENTS,
  ...ARM64_RUN_LOOP_EVENTS,
};
