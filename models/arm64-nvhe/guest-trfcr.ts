/**
 * `--guest-trfcr 1`, shared by arm64-nvhe and arm64-vhe: the guest's own MSR to TRFCR_EL1. KVM hides
 * FEAT_TRF from guests (ID_AA64DFR0_EL1.TraceFilt is not in the sanitised view they get), but the
 * register still answers EL1 unless MDCR_EL2.TTRF traps it (Arm ARM D13.2 MDCR_EL2.TTRF, D19.2
 * TRFCR_EL1). a354a64d91ee ("KVM: arm64: Disable guest access to trace filter controls", 5.12; 5.10.y
 * as "[PATCH 5.10 04/25]", April 2021) adds TTRF to kvm_arm_setup_debug's traps; the trapped access
 * finds no handler in sys_regs.c (5.10-5.12 emulate_sys_reg: "Unsupported guest sys_reg access",
 * kvm_inject_undefined) or `{ SYS_DESC(SYS_TRFCR_EL1), undef_access }` (6.x): an UNDEF either way, and
 * neither the register nor the vCPU's memory changes.
 */
import type { Executor } from '../../src/engine/execute.js';
import type { EventKind, ModelConfig } from '../../src/engine/model.js';
import { vcpuEvent } from '../../src/model-kit/events.js';
import { UsageError } from '../../src/persistence/usage-error.js';
import { MDCR_EL2, MDCR_EL2_TTRF, TRFCR_EL1 } from './registers.js';
import { TRFCR_ENABLES } from './trace.js';

/** `--guest-trfcr`, shared by both arm64 models. */
export const GUEST_TRFCR_OPTION = {
  name: 'guest-trfcr',
  describe:
    'guests write TRFCR_EL1 although KVM hides FEAT_TRF from them (1: GUEST_TRFCR, an UNDEF while MDCR_EL2.TTRF traps it, else the live register; needs --trf 1, not with --gdb 1 or --guest-step 1) or never (0)',
  default: 0,
  min: 0,
  max: 1,
} as const;

/** What the option adds to the small domain. */
export const GUEST_TRFCR_DOMAIN = 'with --guest-trfcr, TRFCR_EL1 {0, E0TRE|E1TRE}';

/** GUEST_TRFCR's kernel counterpart, for reports. */
export const GUEST_TRFCR_EVENTS: Readonly<Record<string, string>> = {
  GUEST_TRFCR: 'guest MSR TRFCR_EL1 (trapped by MDCR_EL2.TTRF: kvm_handle_sys_reg() injects an UNDEF)',
};

/** The values written: no trace, or trace at EL0 and EL1. */
const VALUES = ['0x0', 'E0TRE|E1TRE'] as const;
const WRITTEN: readonly number[] = [0, TRFCR_ENABLES];

/**
 * `--guest-trfcr` from `config`, refused (exit 2) where the event would be judged wrongly: without
 * FEAT_TRF the CPU itself makes the access UNDEFINED; with software step (`stepping`) the UNDEF's
 * exception entry, which the model does not have, would decide the step state.
 */
export function guestTrfcrOf(config: ModelConfig, stepping: boolean): number {
  const on = config['guest-trfcr'] ?? 0;
  if (on === 0) return 0;
  if ((config.trf ?? 1) === 0)
    throw new UsageError('--guest-trfcr 1 needs --trf 1: without FEAT_TRF no CPU has a TRFCR_EL1 for a guest to write. Drop one of them.');
  if (stepping)
    throw new UsageError(
      '--guest-trfcr 1 is not modelled with software step (--gdb 1, --guest-step 1): the UNDEF it may take would decide the step state. Drop one of them.',
    );
  return on;
}

/** Whether an EL1 access to TRFCR_EL1 traps under the live MDCR_EL2 in register file `r` at `o`. */
export const trfcrTraps = (r: Float64Array, o: number): boolean => ((r[o + MDCR_EL2] as number) & MDCR_EL2_TTRF) !== 0;

/** EXIT_REASONS[3], 'trap': the exit for the trapped access, whose handler injects the UNDEF. */
const TRAP_EXIT = 3;

/**
 * GUEST_TRFCR {vcpu, value}: the guest executes MSR TRFCR_EL1. Trapped (TTRF): a full exit, its
 * handler KVM's common sys_regs.c code and not a debug policy's `trap` hook; the UNDEF is injected
 * and nothing else changes (the next GUEST_ENTER resumes the guest). Untrapped: the value reaches the
 * live register: on nVHE the host's own filter (judged by `trace-filter-honored` while the guest runs,
 * `host-breakpoints-preserved` once the host runs with it), on VHE the guests' (`trace-filter-honored`).
 */
export function guestTrfcrEvent(): EventKind {
  return vcpuEvent('GUEST_TRFCR', 'GUEST_WRITE', 1, {
    operands: [['value', VALUES]],
    decode(_x, r, ev) {
      ev[2] = r % VALUES.length;
    },
    accepts: (_x, ev) => ev[2] === 0 || ev[2] === 1,
    each(_x, ev, emit) {
      for (let i = 0; i < VALUES.length; i++) {
        ev[2] = i;
        emit(ev);
      }
    },
    apply(x, ev) {
      writeTrfcr(x, ev[1] as number, WRITTEN[ev[2] as number] as number);
    },
  });
}

/** The guest's MSR TRFCR_EL1 of `value`: see guestTrfcrEvent. */
function writeTrfcr(x: Executor, v: number, value: number): void {
  const w = x.world;
  const cpu = w.loadedOn[v] as number;
  const o = cpu * x.regs;
  if (trfcrTraps(w.hw, o)) {
    x.exit(v, TRAP_EXIT);
    return;
  }
  x.fire(v, x.lifecycleEvent('GUEST_WRITE'));
  if (w.hw[o + TRFCR_EL1] !== value) {
    w.hw[o + TRFCR_EL1] = value;
    x.mutations++;
  }
  x.settle(cpu);
}
