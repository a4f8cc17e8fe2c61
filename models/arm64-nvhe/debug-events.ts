/**
 * arm64 events outside the vCPU lifecycle: the host's debug users (perf hw_breakpoint, ptrace,
 * kgdb through arch/arm64/kernel/hw_breakpoint.c) arming and disarming slots on a CPU while it runs
 * host code, and host or guest code executing and accessing data where breakpoints may match.
 */

import type { Executor } from '../../src/engine/execute.js';
import type { EventKind } from '../../src/engine/model.js';
import { CTX_HOST } from '../../src/engine/world.js';
import { breakpointEvents, hostWrite } from '../../src/model-kit/breakpoint-events.js';
import { lastSlots } from '../arm-slots.js';
import { breakpointHits, routesToEl2, watchpointHits } from './hardware.js';
import {
  bcr,
  DBG_MDSCR_KDE,
  DBG_MDSCR_MDE,
  DBGBCR,
  DBGBVR,
  DBGWCR,
  DBGWVR,
  LSC_LOAD,
  LSC_STORE,
  MDSCR_EL1,
  PRIV_EL0,
  PRIV_EL1,
  wcr,
} from './registers.js';

/** The abstract address domain: host and guest kernels use the same virtual addresses. */
export const ADDRESSES: readonly number[] = [0x1000, 0x2000];

/** The operands the debug events draw from: addresses, and which breakpoint / watchpoint slots. */
export interface DebugDomain {
  readonly addresses: readonly number[];
  /** Slot numbers per kind: [breakpoints, watchpoints]. */
  readonly slots: readonly [readonly number[], readonly number[]];
  /** Whether the OS Lock blocks every debug exception for code running on register file `r` at `o` (none when absent). */
  readonly locked?: (r: Float64Array, o: number) => boolean;
  /** The CPU's matching and routing when it is not nVHE's (VHE: HCR_EL2.TGE, HMC); nVHE's hardware.ts when absent. */
  readonly cpu?: {
    breakpointHits(r: Float64Array, o: number, el: number, addr: number): number;
    watchpointHits(r: Float64Array, o: number, el: number, addr: number, isStore: boolean): number;
    routesToEl2(r: Float64Array, o: number): boolean;
    /** Control bits the host's kernel breakpoints carry beyond PxC = EL1 (VHE: HMC, so they match at EL2). */
    readonly hostKernelCtrl: number;
  };
}

/** The full domain (every slot, both addresses) or the small one (the last `smallSlots` slots of each kind, default 1, one address). */
export function debugDomain(brps: number, wrps: number, small: boolean, smallSlots = 1): DebugDomain {
  return {
    addresses: small ? ADDRESSES.slice(0, 1) : ADDRESSES,
    slots: small
      ? [lastSlots(brps, smallSlots), lastSlots(wrps, smallSlots)]
      : [Array.from({ length: brps }, (_, n) => n), Array.from({ length: wrps }, (_, n) => n)],
  };
}

/** The value and control registers of slot `slot` of `kind` (0 bp, 1 wp). */
const valueReg = (kind: number, slot: number): number => (kind === 0 ? DBGBVR(slot) : DBGWVR(slot));
const ctrlReg = (kind: number, slot: number): number => (kind === 0 ? DBGBCR(slot) : DBGWCR(slot));

/**
 * MDSCR_EL1 as the host's debug monitors leave it: MDE while any slot is armed, KDE while any
 * kernel (EL1) slot is armed (enable_debug_monitors / disable_debug_monitors).
 */
function hostMdscr(x: Executor, cpu: number, brps: number, wrps: number): number {
  const o = cpu * x.regs;
  const intent = x.world.hostIntent;
  let mdscr = 0;
  for (let kind = 0; kind < 2; kind++) {
    for (let n = 0; n < (kind === 0 ? brps : wrps); n++) {
      const ctrl = intent[o + ctrlReg(kind, n)] as number;
      if ((ctrl & 1) === 0) continue;
      mdscr |= DBG_MDSCR_MDE;
      if ((ctrl >> 1) & PRIV_EL1) mdscr |= DBG_MDSCR_KDE;
    }
  }
  return mdscr;
}

/** Builds the arm64 debug events for a CPU with `brps` breakpoints and `wrps` watchpoints. */
export function arm64DebugEvents(brps: number, wrps: number, domain: DebugDomain): EventKind[] {
  const { cpu: vhe, ...slots } = domain;
  const routes = vhe?.routesToEl2 ?? routesToEl2;
  // arch/arm64/kernel/hw_breakpoint.c encode_ctrl_reg: a kernel slot gets DBG_HMC_HYP when the kernel runs at EL2.
  const kernelCtrl = vhe?.hostKernelCtrl ?? 0;
  return breakpointEvents({
    brps,
    wrps,
    ...slots,
    valueReg,
    ctrlReg,
    breakpointHits: vhe ? vhe.breakpointHits : (r, o, el, addr) => breakpointHits(r, o, el, addr, brps, wrps),
    watchpointHits: vhe ? vhe.watchpointHits : (r, o, el, addr, isStore) => watchpointHits(r, o, el, addr, isStore, brps, wrps),
    takenByGuest: (r, o) => !routes(r, o),
    hostArm(x, cpu, kind, slot, el, addr) {
      const priv = el === 1 ? PRIV_EL1 : PRIV_EL0;
      const extra = el === 1 ? kernelCtrl : 0;
      hostWrite(x, cpu, valueReg(kind, slot), addr);
      hostWrite(x, cpu, ctrlReg(kind, slot), (kind === 0 ? bcr(priv) : wcr(priv, LSC_LOAD | LSC_STORE)) | extra);
      hostWrite(x, cpu, MDSCR_EL1, hostMdscr(x, cpu, brps, wrps));
    },
    hostDisarm(x, cpu, kind, slot) {
      // arch_uninstall_hw_breakpoint writes the control register only.
      hostWrite(x, cpu, ctrlReg(kind, slot), 0);
      hostWrite(x, cpu, MDSCR_EL1, hostMdscr(x, cpu, brps, wrps));
    },
    // hostMdscr() sets MDE exactly when some slot is armed: an O(cpus) test instead of a slot scan.
    hostArmed(x) {
      for (let c = 0; c < x.world.cpuContext.length; c++) {
        if (x.world.cpuContext[c] === CTX_HOST && ((x.world.hostIntent[c * x.regs + MDSCR_EL1] as number) & DBG_MDSCR_MDE) !== 0)
          return true;
      }
      return false;
    },
  });
}
