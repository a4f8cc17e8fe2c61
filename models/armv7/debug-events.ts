/**
 * ARMv7 events outside the vCPU lifecycle: the host's hw_breakpoint layer (arch/arm/kernel/
 * hw_breakpoint.c) arming and disarming slots while the CPU runs host code, and host or guest code
 * executing and accessing data. The layer keeps the last breakpoint (index core_num_brps) out of
 * its bp_on_reg[] slots: arch_install_hw_breakpoint writes the mismatch breakpoint that steps over
 * a watchpoint there. The host arms that reserved slot too, and only it is missing from bp_on_reg.
 */
import { breakpointEvents, hostWrite } from '../../src/breakpoint-events.js';
import type { Executor } from '../../src/execute.js';
import type { EventKind } from '../../src/model.js';
import { breakpointHits, routesToHyp, trapsToHyp, watchpointHits } from './hardware.js';
import {
  ARM_BREAKPOINT_LOAD,
  ARM_BREAKPOINT_PRIV,
  ARM_BREAKPOINT_STORE,
  ARM_BREAKPOINT_USER,
  bcr,
  DBGBCR,
  DBGBVR,
  DBGWCR,
  DBGWVR,
  wcr,
} from './registers.js';

/** The abstract address domain: host and guest kernels use the same virtual addresses. */
export const ADDRESSES: readonly number[] = [0x1000, 0x2000];

/** Index of the host area holding hw_breakpoint.c's per-CPU bp_on_reg[]/wp_on_reg[] (1 at DBGBCRn/DBGWCRn when slot n is taken). */
export const ON_REG_AREA = 1;

const valueReg = (kind: number, slot: number): number => (kind === 0 ? DBGBVR(slot) : DBGWVR(slot));
const ctrlReg = (kind: number, slot: number): number => (kind === 0 ? DBGBCR(slot) : DBGWCR(slot));

/** write_wb_reg() from the host kernel: goes to hardware, or to Hyp mode when HDCR traps the host's CP14 accesses. */
function hostCp14Write(x: Executor, cpu: number, reg: number, value: number): void {
  if (!trapsToHyp(x.world.hw, cpu * x.regs, reg)) hostWrite(x, cpu, reg, value);
  else {
    x.setHostIntent(cpu, reg, value);
    x.hostTrap(cpu, reg, true, value);
  }
}

/** Marks slot `reg` (a control register id) taken or free in the CPU's bp_on_reg/wp_on_reg. */
function setOnReg(x: Executor, cpu: number, reg: number, taken: boolean): void {
  const areas = x.world.hostMem.length / (x.world.cpuContext.length * x.regs);
  x.world.hostMem[(cpu * areas + ON_REG_AREA) * x.regs + reg] = taken ? 1 : 0;
}

/** Builds the ARMv7 debug events for a CPU with `brps` breakpoints (the last one reserved) and `wrps` watchpoints. */
export function armv7DebugEvents(
  brps: number,
  wrps: number,
  domain: { addresses: readonly number[]; slots: readonly [readonly number[], readonly number[]] },
): EventKind[] {
  const reserved = brps - 1; // core_num_brps: get_num_brp_resources() - 1 when mismatch breakpoints exist
  return breakpointEvents({
    brps,
    wrps,
    ...domain,
    valueReg,
    ctrlReg,
    breakpointHits: (r, o, pl, addr) => breakpointHits(r, o, pl, addr, brps, wrps),
    watchpointHits: (r, o, pl, addr, isStore) => watchpointHits(r, o, pl, addr, isStore, brps, wrps),
    takenByGuest: (r, o) => !routesToHyp(r, o),
    takenByHost: (r, o) => !routesToHyp(r, o),
    hostArm(x, cpu, kind, slot, pl, addr) {
      const privilege = pl === 1 ? ARM_BREAKPOINT_PRIV : ARM_BREAKPOINT_USER;
      const step = kind === 0 && slot === reserved;
      const ctrl = kind === 1 ? wcr(privilege, ARM_BREAKPOINT_LOAD | ARM_BREAKPOINT_STORE) : bcr(privilege, step);
      // enable_single_step(): the mismatch breakpoint at the trigger address, in no bp_on_reg slot.
      if (!step) setOnReg(x, cpu, ctrlReg(kind, slot), true);
      hostCp14Write(x, cpu, valueReg(kind, slot), addr);
      if (!x.violation) hostCp14Write(x, cpu, ctrlReg(kind, slot), ctrl);
    },
    hostDisarm(x, cpu, kind, slot) {
      // arch_uninstall_hw_breakpoint: clear the slot, then write 0 to its control register.
      setOnReg(x, cpu, ctrlReg(kind, slot), false);
      hostCp14Write(x, cpu, ctrlReg(kind, slot), 0);
    },
  });
}
