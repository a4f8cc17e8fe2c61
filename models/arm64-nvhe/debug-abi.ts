/**
 * What a userspace debugger is owed on arm64 (`--debug-abi`), by era. Both eras agree while
 * userspace debugs with hardware breakpoints (KVM_GUESTDBG_USE_HW): its breakpoints, in
 * external_debug_state, replace the guest's and their exceptions exit to userspace. They differ
 * when it debugs without them (single-step, software breakpoints):
 *
 * - 2015 (Linux 4.2–6.13; "arm64: guest debug" series, Alex Bennée, 2015; debug.c kvm_arm_setup_debug):
 *   debug_ptr stays on the guest's own vcpu_debug_state, so the guest's breakpoints stay live with
 *   its MDSCR_EL1.MDE/KDE, and MDCR_EL2.TDE routes their exceptions to userspace (KVM_EXIT_DEBUG),
 *   which re-injects those that are not its own.
 * - 2025 (Linux 6.14; "KVM: arm64: Debug cleanups", Oliver Upton; debug.c kvm_vcpu_load_debug):
 *   any KVM_GUESTDBG_ENABLE makes the debug registers HOST_OWNED: only userspace's breakpoints (none
 *   without USE_HW) may be live, and the guest's MDE/KDE are cleared in external_mdscr_el1.
 */

import type { Executor } from '../../src/engine/execute.js';
import type { DebugView } from '../../src/engine/model.js';
import { VMM_DEBUG, VMM_DEBUG_ENABLE, VMM_DEBUG_HW } from '../../src/model-kit/debug-status.js';
import { DBG_MDSCR_KDE, DBG_MDSCR_MDE, MDCR_EL2, MDCR_EL2_TDE, MDSCR_EL1 } from './registers.js';
import { vmmIntent } from './vmm-debug-events.js';

/** The ABI years `--debug-abi` takes: the one in force before 2025, and 6.14's. */
export const DEBUG_ABI_2015 = 2015;
export const DEBUG_ABI_2025 = 2025;

/**
 * While userspace debugs vCPU `v`, the register file (in `buffer`) whose breakpoints must be the
 * effective ones, hits exiting to userspace, under ABI `abi`; undefined while it does not. `lock`
 * is OSLSR_EL1's id where the model has the OS Lock (VHE; nVHE with `--oslock 1`), whose guest's value then gates them too.
 */
export function vmmIntentFor(
  abi: number,
  slotRegs: Int32Array,
  lock?: number,
): (x: Executor, v: number, buffer: Float64Array) => Float64Array | undefined {
  if (abi >= DEBUG_ABI_2025) return vmmIntent;
  // The guest's own registers go to a buffer of their own, so userspace's (slot 0 only) never sees them.
  let own: Float64Array | undefined;
  return (x, v, buffer) => {
    const flags = x.world.vcpuGhost[v * (x.world.shape.vcpuGhost ?? 0) + VMM_DEBUG] as number;
    if ((flags & VMM_DEBUG_ENABLE) === 0 || (flags & VMM_DEBUG_HW) !== 0) return vmmIntent(x, v, buffer);
    // The guest's own breakpoints, gated by its own MDSCR_EL1 and OS Lock, routed to EL2.
    if (own === undefined || own.length !== buffer.length) own = new Float64Array(buffer.length);
    buffer = own;
    const o = v * x.regs;
    const intent = x.world.guestIntent;
    for (let i = 0; i < slotRegs.length; i++) {
      const reg = slotRegs[i] as number;
      buffer[reg] = intent[o + reg] as number;
    }
    buffer[MDSCR_EL1] = (intent[o + MDSCR_EL1] as number) & (DBG_MDSCR_MDE | DBG_MDSCR_KDE);
    if (lock !== undefined) buffer[lock] = intent[o + lock] as number;
    buffer[MDCR_EL2] = MDCR_EL2_TDE;
    return buffer;
  };
}

/** What `--gdb 1` adds to the debug view: userspace's breakpoints under `abi` (gated by the guest's OS Lock at `lock` with `--oslock 1`). */
export function gdbView(abi: number, slotRegs: Int32Array, count: number, lock: number | undefined): Pick<DebugView, 'vmmIntent'> {
  const vmmBuffer = new Float64Array(count);
  const vmmIntentOf = vmmIntentFor(abi, slotRegs, lock);
  return { vmmIntent: (x, v) => vmmIntentOf(x, v, vmmBuffer) };
}
