/**
 * Userspace debugging on arm64 (arm64-vhe, and arm64-nvhe with `--gdb 1`): KVM_SET_GUEST_DEBUG with
 * hardware breakpoints (a gdb stub such as QEMU's gdbstub arms one, for EL0 and EL1:
 * kvm_arm_hw_debug) and single-step. Userspace's breakpoints are ghost state (`vmmIntent`), so the
 * guest's own debug registers keep their architectural values.
 */

import type { Executor } from '../../src/engine/execute.js';
import type { EventKind } from '../../src/engine/model.js';
import type { GuestDebug } from '../../src/engine/policy.js';
import { VMM_DEBUG, VMM_DEBUG_ENABLE, VMM_DEBUG_HW, VMM_DEBUG_STEP } from '../../src/model-kit/debug-status.js';
import { vcpuEvent } from '../../src/model-kit/events.js';
import { ADDRESSES } from './debug-events.js';
import { bcr, DBG_MDSCR_MDE, DBGBCR, DBGBVR, MDCR_EL2, MDCR_EL2_TDE, MDSCR_EL1, PRIV_EL0, PRIV_EL1 } from './registers.js';
import { forgetStep } from './software-step.js';

/** Per-vCPU ghost words: userspace's debug flags (VMM_DEBUG_*), its breakpoint address (0: none), a step owed to it, the guest's own PSTATE.SS, whether it runs its EL0 code, whether it ever armed a step. */
export const VMM_GHOST_ARM64 = ['vmmDebug', 'vmmBp', 'stepOwed', 'guestSs', 'guestEl0', 'guestArmed'] as const;
const VMM_BP = 1;

/** The DBGBCR value a gdb stub arms a hardware breakpoint with: enabled, EL0 and EL1, A64 (QEMU kvm_arm_hw_debug). */
export const GDB_BCR = bcr(PRIV_EL0 | PRIV_EL1);

/** uapi/asm/kvm.h KVM_ARM_MAX_DBG_REGS: the length of each array of struct kvm_guest_debug_arch. */
export const KVM_ARM_MAX_DBG_REGS = 16;

const BPS = [0, ...ADDRESSES];
const BP_NAMES = ['none', ...ADDRESSES.map((a) => `0x${a.toString(16)}`)];
export const OFF_ON = ['off', 'on'] as const;

/**
 * While userspace debugs vCPU `v`, the register file (in `buffer`) whose breakpoints must be the
 * only effective ones: its hardware breakpoint in slot 0 if it asked for one, debug exceptions
 * routed to EL2. The guest's own breakpoints are then not effective: KVM leaves emulating them to
 * userspace (6.14 kvm_debug_set_guest_ownership).
 */
export function vmmIntent(x: Executor, v: number, buffer: Float64Array): Float64Array | undefined {
  const g = x.world.shape.vcpuGhost ?? 0;
  const flags = x.world.vcpuGhost[v * g + VMM_DEBUG] as number;
  if ((flags & VMM_DEBUG_ENABLE) === 0) return undefined;
  const bp = (flags & VMM_DEBUG_HW) === 0 ? 0 : (x.world.vcpuGhost[v * g + VMM_BP] as number);
  buffer[DBGBVR(0)] = bp;
  buffer[DBGBCR(0)] = bp === 0 ? 0 : GDB_BCR;
  buffer[MDSCR_EL1] = DBG_MDSCR_MDE;
  buffer[MDCR_EL2] = MDCR_EL2_TDE;
  return buffer;
}

/** VMM_SET_GUEST_DEBUG {vcpu, enable, useHw, singleStep, bps} (DESIGN §4): userspace takes, changes or releases the vCPU's debug resources. */
export function setGuestDebugEvent(): EventKind {
  let lifecycleEvent = -1;
  /** Every valid operand combination: hardware breakpoints and single-step only with enable. */
  const combinations = [[0, 0, 0, 0], ...[0, 1].flatMap((step) => [[1, 0, step, 0], ...BPS.map((_, b) => [1, 1, step, b])])];
  return vcpuEvent('VMM_SET_GUEST_DEBUG', 'VMM_SET_GUEST_DEBUG', 2, {
    operands: [
      ['enable', OFF_ON],
      ['useHw', OFF_ON],
      ['singleStep', OFF_ON],
      ['bps', BP_NAMES],
    ],
    decode(_x, r, ev) {
      ev.set(combinations[r % combinations.length] as number[], 2);
    },
    accepts: (_x, ev) => combinations.some((c) => c.every((value, i) => ev[i + 2] === value)),
    each(_x, ev, emit) {
      for (const c of combinations) {
        ev.set(c, 2);
        emit(ev);
      }
    },
    apply(x, ev) {
      const v = ev[1] as number;
      const enable = ev[2] === 1;
      const useHw = ev[3] === 1;
      const singleStep = ev[4] === 1;
      const bp = BPS[ev[5] as number] ?? 0;
      const g = x.world.shape.vcpuGhost ?? 0;
      x.world.vcpuGhost[v * g + VMM_DEBUG] =
        (enable ? VMM_DEBUG_ENABLE : 0) | (useHw ? VMM_DEBUG_HW : 0) | (singleStep ? VMM_DEBUG_STEP : 0);
      x.world.vcpuGhost[v * g + VMM_BP] = bp;
      // A step owed to userspace belongs to its debug session, as KVM's HOST_SS_ACTIVE_PENDING does: it ends with KVM_GUESTDBG_ENABLE.
      if (!enable) forgetStep(x, v);
      x.mutations++;
      if (lifecycleEvent < 0) lifecycleEvent = x.lifecycleEvent('VMM_SET_GUEST_DEBUG');
      // struct kvm_guest_debug_arch as a gdb stub fills it: its breakpoint in slot 0, the rest zero.
      const dbg_bcr = new Array<number>(KVM_ARM_MAX_DBG_REGS).fill(0);
      const dbg_bvr = new Array<number>(KVM_ARM_MAX_DBG_REGS).fill(0);
      if (useHw && bp !== 0) {
        dbg_bcr[0] = GDB_BCR;
        dbg_bvr[0] = bp;
      }
      const none = new Array<number>(KVM_ARM_MAX_DBG_REGS).fill(0);
      const dbg: GuestDebug = { enable, useHw, bps: bp === 0 ? [] : [bp], singleStep, dbg_bcr, dbg_bvr, dbg_wcr: none, dbg_wvr: none };
      x.ioctl(v, lifecycleEvent, dbg);
      if (x.violation) return;
      x.settle(x.world.loadedOn[v] as number);
    },
  });
}
