/**
 * Mutants of the merged arm64 debug save/restore (Linux 4.5 debug-sr.c), each one plausible slip
 * a reviewer could miss. Shared by the quality tests for `check` and for `explore`: both must find
 * every one by running the engine, never by looking it up by name.
 */
import type { Arm64Context, Arm64Host, Arm64Vcpu } from '../../models/arm64-nvhe/model.js';
import { isDebugStateReg } from '../../models/arm64-nvhe/model.js';
import { debugSr2015 } from '../../models/arm64-nvhe/policies/arm64-dirty-2015.js';
import {
  __deactivate_traps,
  __sysreg_restore_state,
  __sysreg_save_state,
  type DebugSr,
  guest_run_enter,
  guest_run_exit,
  KVM_ARM64_DEBUG_DIRTY,
  restore_debug,
  save_debug,
  trap_debug_regs,
} from '../../models/arm64-nvhe/policies/hyp.js';
import { DBGBCR, DBGBVR, DBGWCR, DBGWVR, ID_AA64DFR0_EL1, MDCCINT_EL1 } from '../../models/arm64-nvhe/registers.js';
import { definePolicy, type Hooks, type Policy } from '../../src/engine/policy.js';

type Arm64Hooks = Hooks<Arm64Vcpu, Arm64Host>;

/** The merged policy's hooks with `sr` as its debug-sr.c, and any hook replaced by `override`. */
export function mutant(name: string, sr: DebugSr, override: Arm64Hooks = {}): Policy<Arm64Vcpu, Arm64Host> {
  return definePolicy<Arm64Vcpu, Arm64Host>({
    name,
    arch: 'arm64-nvhe',
    summary: `mutant of arm64-dirty-2015: ${name}`,
    hooks: {
      guestEnter: (k) => guest_run_enter(k, sr),
      guestExit: (k) => guest_run_exit(k, sr),
      trap: trap_debug_regs,
      ...override,
    },
  });
}

/** BRPs and WRPs as ID_AA64DFR0_EL1 holds them: each is the number of register pairs minus one. */
function dfr0Fields(k: Arm64Context): { brps: number; wrps: number } {
  const aa64dfr0 = k.hw.read(ID_AA64DFR0_EL1);
  return { brps: (aa64dfr0 >> 12) & 0xf, wrps: (aa64dfr0 >> 20) & 0xf };
}

export const mdccintNotRestored = mutant('mdccint-not-restored', {
  ...debugSr2015,
  __debug_restore_state(k, dbg, _ctxt) {
    if (!(k.vcpu.debugFlags & KVM_ARM64_DEBUG_DIRTY)) return;
    const { brps, wrps } = dfr0Fields(k);
    restore_debug(k.hw, dbg, DBGBCR, brps);
    restore_debug(k.hw, dbg, DBGBVR, brps);
    restore_debug(k.hw, dbg, DBGWCR, wrps);
    restore_debug(k.hw, dbg, DBGWVR, wrps);
    // k.hw.write(MDCCINT_EL1, ctxt[MDCCINT_EL1]) forgotten
  },
});

export const dirtyClearedBeforeSave = mutant('dirty-cleared-before-save', debugSr2015, {
  guestExit(k) {
    __sysreg_save_state(k, k.vcpu.ctxt);
    __deactivate_traps(k);
    __sysreg_restore_state(k, k.host.ctxt);
    k.vcpu.debugFlags &= ~KVM_ARM64_DEBUG_DIRTY;
    debugSr2015.__debug_save_state(k, k.vcpu.debugState, k.vcpu.ctxt);
    debugSr2015.__debug_cond_restore_host_state(k);
  },
});

export const countOffByOne = mutant('count-read-as-brps-not-brps-plus-1', {
  ...debugSr2015,
  __debug_save_state(k, dbg, ctxt) {
    if (!(k.vcpu.debugFlags & KVM_ARM64_DEBUG_DIRTY)) return;
    const { brps, wrps } = dfr0Fields(k);
    // save_debug(nr) covers nr..0; treating the field as the count covers one slot too few.
    save_debug(k.hw, dbg, DBGBCR, brps - 1);
    save_debug(k.hw, dbg, DBGBVR, brps - 1);
    save_debug(k.hw, dbg, DBGWCR, wrps - 1);
    save_debug(k.hw, dbg, DBGWVR, wrps - 1);
    ctxt[MDCCINT_EL1] = k.hw.read(MDCCINT_EL1);
  },
  __debug_restore_state(k, dbg, ctxt) {
    if (!(k.vcpu.debugFlags & KVM_ARM64_DEBUG_DIRTY)) return;
    const { brps, wrps } = dfr0Fields(k);
    restore_debug(k.hw, dbg, DBGBCR, brps - 1);
    restore_debug(k.hw, dbg, DBGBVR, brps - 1);
    restore_debug(k.hw, dbg, DBGWCR, wrps - 1);
    restore_debug(k.hw, dbg, DBGWVR, wrps - 1);
    k.hw.write(MDCCINT_EL1, ctxt[MDCCINT_EL1] as number);
  },
});

export const trapWritesHardware = mutant('trap-writes-hardware', debugSr2015, {
  trap(k, p) {
    if (p.isWrite) {
      k.hw.write(p.reg, p.regval); // should be the memory copy: the handler runs in the host
      k.vcpu.debugFlags |= KVM_ARM64_DEBUG_DIRTY;
    } else {
      p.regval = (isDebugStateReg(p.reg) ? k.vcpu.debugState : k.vcpu.ctxt)[p.reg] as number;
    }
  },
});
