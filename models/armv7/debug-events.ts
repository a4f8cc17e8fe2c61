/**
 * ARMv7 events outside the vCPU lifecycle: the host's hw_breakpoint layer (arch/arm/kernel/
 * hw_breakpoint.c) arming and disarming slots while the CPU runs host code, and host or guest code
 * executing and accessing data. The layer keeps the last breakpoint (index core_num_brps, with
 * get_num_brps() = BRPs - 1 when the core has mismatch breakpoints) out of its bp_on_reg[] slots:
 * only arch_install_hw_breakpoint() writes it, as the mismatch breakpoint of a watchpoint that is
 * stepping (enable_single_step() from watchpoint_handler(), for a watchpoint with the default
 * overflow handler, which hw_breakpoint_arch_parse (arch_validate_hwbkpt_settings before 4.19) allows only for per-task user
 * watchpoints), and that watchpoint keeps its wp_on_reg[] slot meanwhile. The step ends at the next
 * user instruction elsewhere (breakpoint_handler -> watchpoint_single_step_handler ->
 * disable_single_step()).
 */

import type { Executor } from '../../src/engine/execute.js';
import type { EventKind } from '../../src/engine/model.js';
import { breakpointEvents, hostWrite } from '../../src/model-kit/breakpoint-events.js';
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

function onReg(x: Executor, cpu: number, reg: number): boolean {
  const areas = x.world.hostMem.length / (x.world.cpuContext.length * x.regs);
  return x.world.hostMem[(cpu * areas + ON_REG_AREA) * x.regs + reg] === 1;
}

/**
 * Per-CPU ghost words of the host's hw_breakpoint layer (kernel data KVM cannot see): the
 * watchpoint that is stepping (its wp_on_reg index + 1, 0 for none), its address and control value
 * (struct arch_hw_breakpoint), and the trigger address the mismatch breakpoint steps away from.
 */
export const STEP_GHOST = ['stepWp', 'stepAddr', 'stepCtrl', 'stepTrigger'] as const;

/** The address of the instruction whose access hit a host watchpoint: host code events never execute it, so the next one mismatches. */
export const ACCESS_PC = 0x3000;

/** Builds the ARMv7 debug events for a CPU with `brps` breakpoints (the last one reserved) and `wrps` watchpoints. */
export function armv7DebugEvents(
  brps: number,
  wrps: number,
  domain: { addresses: readonly number[]; slots: readonly [readonly number[], readonly number[]] },
): { events: EventKind[]; endStep(x: Executor, cpu: number): void } {
  const reserved = brps - 1; // core_num_brps: get_num_brps() = get_num_brp_resources() - 1 with mismatch breakpoints
  const G = STEP_GHOST.length;
  const ghost = (x: Executor, cpu: number, k: number): number => x.world.cpuGhost[cpu * G + k] as number;
  const setGhost = (x: Executor, cpu: number, k: number, value: number): void => {
    x.world.cpuGhost[cpu * G + k] = value;
    x.mutations++;
  };
  /** arch_install_hw_breakpoint for a watchpoint: the first free wp_on_reg slot, or the reserved breakpoint while it steps. */
  const installWp = (x: Executor, cpu: number, addr: number, ctrl: number, stepping: boolean): void => {
    let i = 0;
    while (i < wrps && onReg(x, cpu, DBGWCR(i))) i++;
    if (i === wrps) return; // "Can't find any breakpoint slot"
    setOnReg(x, cpu, DBGWCR(i), true);
    if (stepping) {
      const trigger = ghost(x, cpu, 3);
      const privilege = (ctrl >> 1) & 0b11; // step_ctrl.privilege = info->ctrl.privilege
      setGhost(x, cpu, 0, i + 1);
      hostCp14Write(x, cpu, DBGBVR(reserved), trigger & ~0x3);
      if (!x.violation) hostCp14Write(x, cpu, DBGBCR(reserved), bcr(privilege, true));
    } else {
      hostCp14Write(x, cpu, DBGWVR(i), addr);
      if (!x.violation) hostCp14Write(x, cpu, DBGWCR(i), ctrl);
    }
  };
  /** arch_uninstall_hw_breakpoint for watchpoint slot `i`: its own control register, or the reserved one while it steps. */
  const uninstallWp = (x: Executor, cpu: number, i: number): void => {
    setOnReg(x, cpu, DBGWCR(i), false);
    const stepping = ghost(x, cpu, 0) === i + 1;
    hostCp14Write(x, cpu, stepping ? DBGBCR(reserved) : DBGWCR(i), 0);
  };
  /** disable_single_step: uninstall, step_ctrl.enabled = 0, install again. */
  const endStep = (x: Executor, cpu: number): void => {
    const i = ghost(x, cpu, 0) - 1;
    if (i < 0) return;
    uninstallWp(x, cpu, i);
    setGhost(x, cpu, 0, 0);
    if (!x.violation) installWp(x, cpu, ghost(x, cpu, 1), ghost(x, cpu, 2), false);
  };
  const events = breakpointEvents({
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
      const ctrl = kind === 1 ? wcr(privilege, ARM_BREAKPOINT_LOAD | ARM_BREAKPOINT_STORE) : bcr(privilege);
      setOnReg(x, cpu, ctrlReg(kind, slot), true);
      hostCp14Write(x, cpu, valueReg(kind, slot), addr);
      if (!x.violation) hostCp14Write(x, cpu, ctrlReg(kind, slot), ctrl);
    },
    hostDisarm(x, cpu, kind, slot) {
      // arch_uninstall_hw_breakpoint: clear the slot, then write 0 to its control register.
      setOnReg(x, cpu, ctrlReg(kind, slot), false);
      hostCp14Write(x, cpu, ctrlReg(kind, slot), 0);
    },
    hostHit(x, cpu, level, what, addr, hits) {
      if (what === 'execute') {
        // breakpoint_handler: the stepping watchpoint's mismatch breakpoint fired at the next instruction.
        if ((hits & (1 << reserved)) !== 0 && ghost(x, cpu, 0) !== 0 && addr !== ghost(x, cpu, 3)) endStep(x, cpu);
        return;
      }
      // watchpoint_handler: a user watchpoint with the default overflow handler (a per-task perf
      // event) steps over the access. Not while a vCPU is loaded here: its thread is in KVM_RUN,
      // not in user code, so the model's PL0 host accesses there stand for debug users that do not step.
      if (level !== 0 || (x.world.running[cpu] as number) >= 0 || ghost(x, cpu, 0) !== 0) return;
      for (let n = 0; n < wrps; n++) {
        if ((hits & (1 << (brps + n))) === 0) continue;
        const ctrl = x.world.hostIntent[cpu * x.regs + DBGWCR(n)] as number;
        if ((ctrl >> 1) & ARM_BREAKPOINT_PRIV) continue; // a kernel watchpoint cannot step
        setGhost(x, cpu, 1, x.world.hostIntent[cpu * x.regs + DBGWVR(n)] as number);
        setGhost(x, cpu, 2, ctrl);
        setGhost(x, cpu, 3, ACCESS_PC);
        // enable_single_step(wp, instruction_pointer(regs))
        uninstallWp(x, cpu, n);
        if (!x.violation) installWp(x, cpu, 0, ctrl, true);
        return;
      }
    },
  });
  return { events, endStep };
}
