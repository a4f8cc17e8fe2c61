/**
 * What the shared breakpoint and watchpoint events (breakpoint-events.ts) ask of an architecture,
 * and the host-CPU helpers events use to pick and program a CPU running host code.
 */
import type { Executor } from '../engine/execute.js';
import type { HitObservation } from '../engine/invariant.js';
import { CTX_HOST } from '../engine/world.js';

/** What the shared events ask of an architecture's breakpoint hardware and host debug users. */
export interface SlotHardware {
  readonly brps: number;
  readonly wrps: number;
  /** The abstract address domain: host and guest kernels use the same virtual addresses. */
  readonly addresses: readonly number[];
  /** Slot numbers the events draw, per kind: [breakpoints, watchpoints]. */
  readonly slots: readonly [readonly number[], readonly number[]];
  /** The value and control registers of slot `slot` of `kind` (0 bp, 1 wp); control bit 0 is the enable. */
  valueReg(kind: number, slot: number): number;
  ctrlReg(kind: number, slot: number): number;
  /** Breakpoints (slot mask) matching an instruction at `addr` executed at `level`. */
  breakpointHits(r: Float64Array, o: number, level: number, addr: number): number;
  /** Watchpoints (slot mask, breakpoints first) matching a load or store at `addr` from `level`. */
  watchpointHits(r: Float64Array, o: number, level: number, addr: number, isStore: boolean): number;
  /** Whether the debug exception of guest code is taken by the guest (not routed to the hypervisor). */
  takenByGuest(r: Float64Array, o: number): boolean;
  /** Whether the debug exception of host code is taken by the host (default: always). */
  takenByHost?(r: Float64Array, o: number): boolean;
  /** The host's debug user arms slot `slot` of `kind` for code at `level` (0 or 1) on `cpu`, watching `addr`. */
  hostArm(x: Executor, cpu: number, kind: number, slot: number, level: number, addr: number): void;
  /** The host's debug user disarms the slot (arch_uninstall_hw_breakpoint). */
  hostDisarm(x: Executor, cpu: number, kind: number, slot: number): void;
  /** Whether a lock (arm64 OS Lock) blocks every debug exception for code running on register file `r` at `o`. */
  readonly locked?: (r: Float64Array, o: number) => boolean;
  /** Whether some CPU running host code has a slot armed: a cheaper test than the slot scan, if the arch has one. */
  hostArmed?(x: Executor): boolean;
  /**
   * The host kernel's debug exception handler, after host code on `cpu` hit slots `hits` (taken by the
   * host): what the debug user does next (e.g. ARMv7 hw_breakpoint.c stepping over a watchpoint).
   */
  hostHit?(x: Executor, cpu: number, level: number, what: HitObservation['what'], addr: number, hits: number): void;
}

/** How many CPUs run host code; with `k >= 0`, the k-th of them (-1: none). */
function hostCpus(x: Executor, k = -1): number {
  let n = 0;
  for (let c = 0; c < x.world.cpuContext.length; c++) {
    if (x.world.cpuContext[c] === CTX_HOST) {
      if (n === k) return c;
      n++;
    }
  }
  return k >= 0 ? -1 : n;
}

/** Picks a CPU running host code into `ev[1]`; returns what is left of the raw choice. */
export function pickHostCpu(x: Executor, r: number, ev: Float64Array): number {
  const n = hostCpus(x);
  ev[1] = hostCpus(x, r % n);
  return Math.floor(r / n);
}

/** Whether `cpu` runs host code now. */
export const isHostCpu = (x: Executor, cpu: number): boolean => x.world.cpuContext[cpu] === CTX_HOST;

/** The host programs a register on its own CPU: hardware and host intent change together. */
export function hostWrite(x: Executor, cpu: number, reg: number, value: number): void {
  x.world.hw[cpu * x.regs + reg] = value;
  x.setHostIntent(cpu, reg, value);
}
