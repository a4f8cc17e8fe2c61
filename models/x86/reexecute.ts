/**
 * The trapped MOV DR that runs again: handle_dr / dr_interception turn DR exits off and `return 1`
 * without skipping the instruction ("reenter on this instruction"), so the guest executes the same
 * MOV on the hardware right after its next full VM entry. INIT moves RIP and drops it.
 */
import type { Executor } from '../../src/engine/execute.js';
import { VCPU_GHOST } from './layout.js';

/** Ghost words: 1 + register id (+ RETRY_WRITE for a write), 0 for none; the value written. */
export const RETRY = VCPU_GHOST.indexOf('retryAccess');
const RETRY_VALUE = VCPU_GHOST.indexOf('retryValue');
const RETRY_WRITE = 16;

/** ModelInstance.retryAccess: the handler left the MOV DR to run again at the next entry. */
export function retryAccess(x: Executor, v: number, reg: number, isWrite: boolean, value: number): void {
  const g = v * VCPU_GHOST.length;
  x.world.vcpuGhost[g + RETRY] = 1 + reg + (isWrite ? RETRY_WRITE : 0);
  x.world.vcpuGhost[g + RETRY_VALUE] = value;
  x.mutations++;
}

/** The guest runs the MOV DR left pending by retryAccess, now that it is back in the guest. */
export function reexecute(x: Executor, v: number): void {
  const g = v * VCPU_GHOST.length;
  const pending = x.world.vcpuGhost[g + RETRY] as number;
  if (pending === 0) return;
  x.world.vcpuGhost[g + RETRY] = 0;
  x.mutations++;
  const reg = (pending - 1) % RETRY_WRITE;
  if (pending - 1 >= RETRY_WRITE) x.guestWrite(v, reg, x.world.vcpuGhost[g + RETRY_VALUE] as number);
  else x.guestRead(v, reg);
}
