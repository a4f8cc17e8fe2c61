/**
 * Self-hosted trace on a VHE host (Arm ARM D19.2; HCR_EL2.E2H = TGE = 1 while the host runs): the
 * host kernel runs at EL2, filtered by TRFCR_EL2.E2TRE, and its EL0 by TRFCR_EL2.E0HTRE; a guest
 * runs at EL1/EL0 with TGE = 0, filtered by TRFCR_EL1, which the host reaches as TRFCR_EL12.
 */
import type { TraceView } from '../../src/engine/trace-session.js';
import { TRFCR_EL1, TRFCR_EL2 } from '../arm64-nvhe/registers.js';
import { TRFCR_E0TRE, TRFCR_E1TRE, TRFCR_EL2_CX, TRFCR_ENABLES, TRFCR_TS_VIRTUAL, type TraceDriver } from '../arm64-nvhe/trace.js';

/** With E2H = 1, the TRFCR_EL12 encoding (sys_reg(3, 5, 1, 2, 1)) accesses TRFCR_EL1, the guests' filter. */
export const TRFCR_EL12 = TRFCR_EL1;

/**
 * Levels as the VHE view counts them for host code (0 user, 1 kernel): the host kernel's level is
 * EL2, so its bit comes from E2TRE; EL0 with TGE = 1 from E0HTRE.
 */
export const vheTrace: TraceView = {
  sessionGhost: 0,
  hostFilterReg: TRFCR_EL2,
  guestFilterReg: TRFCR_EL1,
  hostKernelEl: 2,
  traced: (r, o, guest) => (r[o + (guest ? TRFCR_EL1 : TRFCR_EL2)] as number) & TRFCR_ENABLES,
};

/** The ETM driver with the kernel at EL2: CX as well (cpu_detect_trace_filtering); write_trfcr reaches TRFCR_EL2. */
export const VHE_DRIVER: TraceDriver = { trfcr: TRFCR_TS_VIRTUAL | TRFCR_EL2_CX | TRFCR_E1TRE | TRFCR_E0TRE, hostReg: TRFCR_EL2 };
