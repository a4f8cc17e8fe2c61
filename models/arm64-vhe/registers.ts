/**
 * arm64 with VHE: the arm64-nvhe register file plus the EL1 "VM" system registers KVM defers to
 * vcpu_load/vcpu_put (the list in read_deferrable_vm_reg, arm64-vhe-deferred-sysregs-2017), HCR_EL2's
 * VM-register traps, and the OS Lock. Ids follow the nVHE registers. Sources: Arm ARM (DDI 0487)
 * D13.2 (HCR_EL2, SCTLR_EL1, OSLAR_EL1, OSLSR_EL1); kernel asm/kvm_arm.h, asm/sysreg.h, kvm/sys_regs.c.
 */

import { extendRegisterFile, type RegisterFile, type RegisterSpec } from '../../src/engine/register-file.js';
import {
  arm64RegisterFile,
  type DebugCpu,
  REGISTER_COUNT as NVHE_REGISTER_COUNT,
  OSLSR_OSLM_IMPLEMENTED,
} from '../arm64-nvhe/registers.js';

const at = (n: number): number => NVHE_REGISTER_COUNT + n;

/** The VM registers (HCR_EL2.TVM traps their writes), in read_deferrable_vm_reg's order. */
export const SCTLR_EL1 = at(0);
export const TTBR0_EL1 = at(1);
export const TTBR1_EL1 = at(2);
export const TCR_EL1 = at(3);
export const ESR_EL1 = at(4);
export const FAR_EL1 = at(5);
export const AFSR0_EL1 = at(6);
export const AFSR1_EL1 = at(7);
export const MAIR_EL1 = at(8);
export const AMAIR_EL1 = at(9);
export const CONTEXTIDR_EL1 = at(10);
export const DACR32_EL2 = at(11);
export const IFSR32_EL2 = at(12);
export const HCR_EL2 = at(13);
export const OSLAR_EL1 = at(14);
export const OSLSR_EL1 = at(15);
/** The guest's PSTATE as an exception to EL2 saves it and ERET restores it; only SS is modelled. */
export const SPSR_EL2 = at(16);
export const VHE_REGISTER_COUNT = at(17);

/** Every deferred VM register, by id. */
export const VM_REGS: readonly number[] = Array.from({ length: 13 }, (_, n) => at(n));

/** Whether `reg` is one of the deferred VM registers. */
export const isVmReg = (reg: number): boolean => reg >= SCTLR_EL1 && reg <= IFSR32_EL2;

// asm/kvm_arm.h
export const HCR_TVM = 1 << 26;
export const HCR_TGE = 1 << 27;
export const HCR_TRVM = 1 << 30;
/** HCR_EL2.E2H is bit 34: above 32 bits, so added as a number, never shifted (bit tests on the low bits stay valid). */
export const HCR_E2H = 2 ** 34;
/**
 * kvm_arm.h HCR_HOST_VHE_FLAGS (HCR_RW | HCR_TGE | HCR_E2H), as far as the model goes: E2H and TGE,
 * so the host kernel runs at EL2 and its EL0 with TGE = 1 (HCR_RW, bit 31, changes nothing modelled).
 */
export const HCR_HOST_VHE_FLAGS = HCR_E2H + HCR_TGE;
/** DBGBCR<n>_EL1.HMC / DBGWCR<n>_EL1.HMC (bit 13; the kernel's DBG_HMC_HYP): with PxC = 0b01, SSC = 0b00, match at EL2 and EL1. */
export const BCR_HMC = 1 << 13;
// asm/sysreg.h SCTLR_ELx_M, SCTLR_ELx_C
export const SCTLR_M = 1 << 0;
export const SCTLR_C = 1 << 2;
/** sys_regs.c: SCTLR_EL1 resets to 0x00C50078 (RES1 bits, MMU and caches off). */
export const SCTLR_RESET = 0x00c50078;
// asm/sysreg.h OSLAR_EL1_OSLK, OSLSR_EL1_OSLK, OSLSR_EL1_OSLM_IMPLEMENTED: the bits are arm64-nvhe's (its --oslock).
export { OSLAR_OSLK, OSLSR_OSLK, OSLSR_OSLM_IMPLEMENTED } from '../arm64-nvhe/registers.js';

const vm = (name: string, width: 32 | 64, reset = 0): RegisterSpec => ({ name, width, reset, write: 'rw' });

/** The VHE register file of a CPU with `cpu.brps` breakpoints and `cpu.wrps` watchpoints. */
export function vheRegisterFile(cpu: DebugCpu): RegisterFile {
  return extendRegisterFile(arm64RegisterFile(cpu), [
    vm('SCTLR_EL1', 64, SCTLR_RESET),
    vm('TTBR0_EL1', 64),
    vm('TTBR1_EL1', 64),
    vm('TCR_EL1', 64),
    vm('ESR_EL1', 64),
    vm('FAR_EL1', 64),
    vm('AFSR0_EL1', 64),
    vm('AFSR1_EL1', 64),
    vm('MAIR_EL1', 64),
    vm('AMAIR_EL1', 64),
    vm('CONTEXTIDR_EL1', 64),
    vm('DACR32_EL2', 32),
    vm('IFSR32_EL2', 32),
    // The host runs with HCR_HOST_VHE_FLAGS (E2H, TGE; TVM and TRVM clear) from boot (el2_setup).
    vm('HCR_EL2', 64, HCR_HOST_VHE_FLAGS),
    // OSLAR_EL1 is write-only; the model never has anyone read it.
    vm('OSLAR_EL1', 64),
    { name: 'OSLSR_EL1', width: 64, reset: OSLSR_OSLM_IMPLEMENTED, write: 'ro' },
    vm('SPSR_EL2', 64),
  ]);
}

/** Register names by id (the same for every CPU size), for messages. */
export const REGISTER_NAMES: readonly string[] = vheRegisterFile({ brps: 16, wrps: 16 }).names;
