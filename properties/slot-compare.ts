/**
 * Comparing breakpoint/watchpoint slots on hardware with an intent: a slot is "the same" when it
 * is effective in both and its value and control registers are equal.
 */
import type { Executor } from '../src/engine/execute.js';
import { hex } from '../src/engine/hex.js';
import type { Finding } from '../src/engine/invariant.js';
import type { DebugView } from '../src/engine/model.js';

function differing(view: DebugView, a: Float64Array, ao: number, b: Float64Array, bo: number, mask: number): number {
  let out = 0;
  // Unsigned shift: with 32 slots bit 31 is set and the mask is negative.
  for (let s = 0; s < 32 && mask >>> s !== 0; s++) {
    if ((mask & (1 << s)) === 0) continue;
    const value = view.slotRegs[2 * s] as number;
    const ctrl = view.slotRegs[2 * s + 1] as number;
    if (a[ao + value] !== b[bo + value] || a[ao + ctrl] !== b[bo + ctrl]) out |= 1 << s;
  }
  return out;
}

/** Slots effective on hardware at `level` that the intent does not arm identically. */
export function foreignSlots(view: DebugView, hw: Float64Array, o: number, intent: Float64Array, io: number, level: number): number {
  const onHw = view.effective(hw, o, level);
  if (onHw === 0) return 0;
  const intended = view.effective(intent, io, level);
  return (onHw & ~intended) | differing(view, hw, o, intent, io, onHw & intended);
}

/** Slots the intent arms at `level` that are not effective, identically, on hardware. */
export function missingSlots(view: DebugView, hw: Float64Array, o: number, intent: Float64Array, io: number, level: number): number {
  const intended = view.effective(intent, io, level);
  if (intended === 0) return 0;
  const onHw = view.effective(hw, o, level);
  return (intended & ~onHw) | differing(view, hw, o, intent, io, intended & onHw);
}

/** Where the slots a vCPU must have are kept (`guestSlotIntent`). */
export type SlotIntent = { readonly r: Float64Array; readonly o: number; readonly vmm: boolean };

/** `guestSlotIntent`'s answer, reused by every call. */
const slotIntentOut: { r: Float64Array; o: number; vmm: boolean } = { r: new Float64Array(0), o: 0, vmm: false };

/**
 * Where the slots vCPU `v` must have while it runs are kept: userspace's own register file while it
 * debugs the vCPU with the debug registers (`vmmIntent`, arm64), else the model's `slotIntent`
 * (x86: userspace's DR0-DR7 while it debugs with hardware breakpoints, else the guest's), else
 * `guestIntent`. `vmm` is true when the slots are userspace's: they then have no intent step stamps.
 * The answer is one object every call reuses: read it before asking again.
 */
export function guestSlotIntent(x: Executor, v: number): SlotIntent {
  const { view } = x.model;
  const vmm = view.vmmIntent?.(x, v);
  const out = slotIntentOut;
  if (vmm) {
    out.r = vmm;
    out.o = 0;
    out.vmm = true;
    return out;
  }
  const slot = view.slotIntent?.(x, v);
  if (slot === undefined) {
    out.r = x.world.guestIntent;
    out.o = v * x.regs;
    out.vmm = false;
    return out;
  }
  out.r = slot.r;
  out.o = slot.o;
  out.vmm = slot.r !== x.world.guestIntent;
  return out;
}

/** Who the slots of `guestSlotIntent` belong to, for messages. */
export const slotOwner = (vmm: boolean): string => (vmm ? 'userspace (KVM_SET_GUEST_DEBUG)' : 'the guest');

/** Whether slot `s` on hardware at `o` holds exactly what `intent` at `io` has in its value and control registers. */
export function sameSlot(view: DebugView, hw: Float64Array, o: number, intent: Float64Array, io: number, s: number): boolean {
  const value = view.slotRegs[2 * s] as number;
  const ctrl = view.slotRegs[2 * s + 1] as number;
  return hw[o + value] === intent[io + value] && hw[o + ctrl] === intent[io + ctrl];
}

/** Index of the lowest set bit of a non-zero mask. */
export const lowestSlot = (mask: number): number => 31 - Math.clz32(mask & -mask);

/**
 * The register that explains why slot `s` differs between hardware and intent (its control or
 * value register, else the first gating register that differs), as a finding's register fields.
 */
export function culprit(
  x: Executor,
  s: number,
  hw: Float64Array,
  o: number,
  intent: Float64Array,
  intentAt: Int32Array,
  io: number,
): Pick<Finding, 'register' | 'expected' | 'actual' | 'setAt'> & { text: string } {
  const { view } = x.model;
  const candidates = [view.slotRegs[2 * s + 1] as number, view.slotRegs[2 * s] as number, ...view.gateRegs];
  const reg = candidates.find((r) => hw[o + r] !== intent[io + r]) ?? (candidates[0] as number);
  const expected = intent[io + reg] as number;
  const actual = hw[o + reg] as number;
  const register = x.model.registers.names[reg] ?? String(reg);
  return {
    register,
    expected,
    actual,
    setAt: intentAt[io + reg] as number,
    text: `${register} is ${hex(actual)}, expected ${hex(expected)}`,
  };
}
