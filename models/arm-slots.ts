/**
 * What the two ARM models share about their breakpoint and watchpoint slots: register ids laid out
 * as BVR n, BCR 16 + n, WVR 32 + n, WCR 48 + n (arm64's DBGB/W{V,C}R<n>_EL1 and ARMv7's CP14
 * DBGB/W{V,C}Rn alike, up to 16 pairs each), the slots a check draws from, and the reset world.
 */
import type { RegisterFile } from '../src/engine/register-file.js';
import type { World } from '../src/engine/world.js';

/** Breakpoint value/control and watchpoint value/control register ids of slot `n`. */
export const slotBvr = (n: number): number => n;
export const slotBcr = (n: number): number => 16 + n;
export const slotWvr = (n: number): number => 32 + n;
export const slotWcr = (n: number): number => 48 + n;

/** The slots of a CPU with `brps` breakpoints and `wrps` watchpoints, and those the generator uses. */
export interface SlotLayout {
  /** `[BVR0, BCR0, …, WVR0, WCR0, …]`: DebugView.slotRegs. */
  readonly slotRegs: Int32Array;
  readonly slotNames: readonly string[];
  /** Slot numbers the events and guest accesses draw from: the last of each kind on the small domain. */
  readonly bpSlots: readonly number[];
  readonly wpSlots: readonly number[];
  /** Value and control registers of those slots, for guest reads and writes. */
  readonly generated: readonly number[];
}

const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** The last `n` slot numbers of `count` (the small domain's slots; the last is where off-by-one bugs show). */
export const lastSlots = (count: number, n: number): number[] => upTo(Math.min(n, count)).map((i) => count - Math.min(n, count) + i);

/** Lays out `brps` + `wrps` slots; `small` keeps only the last `smallSlots` (default 1) of each kind for the generator. */
export function slotLayout(brps: number, wrps: number, small: boolean, smallSlots = 1): SlotLayout {
  const bpSlots = small ? lastSlots(brps, smallSlots) : upTo(brps);
  const wpSlots = small ? lastSlots(wrps, smallSlots) : upTo(wrps);
  return {
    slotRegs: new Int32Array([
      ...upTo(brps).flatMap((n) => [slotBvr(n), slotBcr(n)]),
      ...upTo(wrps).flatMap((n) => [slotWvr(n), slotWcr(n)]),
    ]),
    slotNames: [...upTo(brps).map((n) => `bp${n}`), ...upTo(wrps).map((n) => `wp${n}`)],
    bpSlots,
    wpSlots,
    generated: [...bpSlots.flatMap((n) => [slotBvr(n), slotBcr(n)]), ...wpSlots.flatMap((n) => [slotWvr(n), slotWcr(n)])],
  };
}

/**
 * The reset world: every CPU's hardware and host intent, and every vCPU's first memory area, at the
 * register file's reset values; the guest's intent of each guest-visible register likewise.
 */
export function resetArmWorld(w: World, registers: RegisterFile, guestVisible: Int32Array): void {
  const R = registers.count;
  for (let c = 0; c < w.shape.cpus; c++) {
    w.hw.set(registers.reset, c * R);
    w.hostIntent.set(registers.reset, c * R);
  }
  for (let v = 0; v < w.shape.vcpus; v++) {
    w.vcpuMem.set(registers.reset, v * w.shape.vcpuAreas * R);
    for (const reg of guestVisible) w.guestIntent[v * R + reg] = registers.reset[reg] as number;
  }
}

/** The four banks of breakpoint/watchpoint registers, as sys_regs.c names their accessors (trap_bvr, trap_bcr, …). */
export const DBG_REG_KINDS = ['bvr', 'bcr', 'wvr', 'wcr'] as const;
/** One of DBG_REG_KINDS. */
export type DbgRegKind = (typeof DBG_REG_KINDS)[number];

/** The register id of `kind` for slot `n` (the encoding's CRm): `dbgRegId('bcr', 5)` is DBGBCR5. */
export function dbgRegId(kind: DbgRegKind, n: number): number {
  return DBG_REG_KINDS.indexOf(kind) * 16 + n;
}

/**
 * The bank and slot (CRm) of a breakpoint/watchpoint register id, or undefined for any other
 * register: a trap handler dispatches on it as sys_regs.c's debug table does (`{ kind: 'bcr', n: 5 }`).
 */
export function dbgRegOf(reg: number): { readonly kind: DbgRegKind; readonly n: number } | undefined {
  if (!Number.isInteger(reg) || reg < 0 || reg >= 64) return undefined;
  return { kind: DBG_REG_KINDS[Math.floor(reg / 16)] as DbgRegKind, n: reg % 16 };
}
