/**
 * What a VHE CPU adds to the arm64-nvhe hardware model: which EL1 accesses to the VM registers and
 * the OS Lock registers trap to EL2, and the OS Lock's effect on debug exceptions. Sources: Arm ARM
 * (DDI 0487) D13.2 HCR_EL2.{TVM,TRVM}, MDCR_EL2.TDOSA; pseudocode AArch64.GenerateDebugExceptionsFrom
 * (OSLSR_EL1.OSLK set: no breakpoint, watchpoint or step exceptions).
 */
import { effectiveSlots, trapsToEl2 } from '../arm64-nvhe/hardware.js';
import { MDCR_EL2, MDCR_EL2_TDOSA } from '../arm64-nvhe/registers.js';
import { HCR_EL2, HCR_TRVM, HCR_TVM, isVmReg, OSLAR_EL1, OSLSR_EL1, OSLSR_OSLK } from './registers.js';

/** Whether an EL1 access to `reg` traps to EL2 under the live HCR_EL2 and MDCR_EL2. */
export function vheTrapsToEl2(r: Float64Array, o: number, reg: number, isWrite: boolean): boolean {
  if (isVmReg(reg)) return ((r[o + HCR_EL2] as number) & (isWrite ? HCR_TVM : HCR_TRVM)) !== 0;
  if (reg === OSLAR_EL1 || reg === OSLSR_EL1) return ((r[o + MDCR_EL2] as number) & MDCR_EL2_TDOSA) !== 0;
  return trapsToEl2(r, o, reg);
}

/** OSLSR_EL1.OSLK set: no breakpoint, watchpoint or step exception is generated. */
export const osLocked = (r: Float64Array, o: number): boolean => ((r[o + OSLSR_EL1] as number) & OSLSR_OSLK) !== 0;

/** Effective slots at `el`, as on nVHE, and none while the OS Lock is locked. */
export function vheEffectiveSlots(r: Float64Array, o: number, el: number, brps: number, wrps: number): number {
  return osLocked(r, o) ? 0 : effectiveSlots(r, o, el, brps, wrps);
}
