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
import { VMM_DEBUG, VMM_DEBUG_ENABLE } from '../../src/model-kit/debug-status.js';
import { operandEvent, vcpusWhere } from '../../src/model-kit/operand-event.js';
import { UsageError } from '../../src/persistence/usage-error.js';
import { MDCR_EL2, MDCR_EL2_TTRF, TRFCR_EL1 } from './registers.js';
import { TRFCR_ENABLES } from './trace.js';

/** `--guest-trfcr`, shared by both arm64 models. */
export const GUEST_TRFCR_OPTION = {
  name: 'guest-trfcr',
  describe:
    'guests write TRFCR_EL1 although KVM hides FEAT_TRF from them (1: GUEST_TRFCR, an UNDEF while MDCR_EL2.TTRF traps it, else the live register, while userspace does not debug the vCPU; needs --trf 1) or never (0)',
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
const INDICES: readonly number[] = [0, 1];

/** `--guest-trfcr` from `config`, refused (exit 2) without FEAT_TRF, where the CPU itself makes the access UNDEFINED. */
export function guestTrfcrOf(config: ModelConfig): number {
  const on = config['guest-trfcr'] ?? 0;
  if (on !== 0 && (config.trf ?? 1) === 0)
    throw new UsageError('--guest-trfcr 1 needs --trf 1: without FEAT_TRF no CPU has a TRFCR_EL1 for a guest to write. Drop one of them.');
  return on;
}

/** Whether an EL1 access to TRFCR_EL1 traps under the live MDCR_EL2 in register file `r` at `o`. */
export const trfcrTraps = (r: Float64Array, o: number): boolean => ((r[o + MDCR_EL2] as number) & MDCR_EL2_TTRF) !== 0;

/** EXIT_REASONS[3], 'trap': the exit for the trapped access, whose handler injects the UNDEF. */
const TRAP_EXIT = 3;

/** Whether userspace debugs vCPU `v` (KVM_SET_GUEST_DEBUG; the VMM ghost words exist with --gdb 1 or --guest-step 1). */
const debugged = (x: Executor, v: number): boolean =>
  (x.world.shape.vcpuGhost ?? 0) > 0 &&
  ((x.world.vcpuGhost[v * (x.world.shape.vcpuGhost ?? 0) + VMM_DEBUG] as number) & VMM_DEBUG_ENABLE) !== 0;

/**
 * GUEST_TRFCR {vcpu, value}: the guest kernel executes MSR TRFCR_EL1. Trapped (TTRF): a full exit,
 * its handler KVM's common sys_regs.c code and not a debug policy's `trap` hook; the UNDEF is injected
 * and nothing else changes (the next GUEST_ENTER resumes the guest). Untrapped: the value reaches the
 * live register: on nVHE the host's own filter (judged by `trace-filter-honored` while the guest runs,
 * `host-breakpoints-preserved` once the host runs with it), on VHE the guests' (`trace-filter-honored`).
 * An EL1 instruction, as GUEST_ERET: generated only while userspace does not debug the vCPU (an UNDEF
 * entry that userspace single-steps is not modelled); the guest's own step is of its EL0 code only.
 */
export function guestTrfcrEvent(): EventKind {
  return operandEvent(
    'GUEST_TRFCR',
    1,
    ['vcpu', 'vcpu'],
    vcpusWhere('GUEST_WRITE', (x, v) => !debugged(x, v)),
    [['value', VALUES, () => INDICES]],
    (x, ev) => writeTrfcr(x, ev[1] as number, WRITTEN[ev[2] as number] as number),
  );
}

/** The guest's MSR TRFCR_EL1 of `value`: see guestTrfcrEvent. */
function writeTrfcr(x: Executor, v: number, value: number): void {
  // An EL1 instruction: what a step pending from the guest's EL0 code does first (as GUEST_ERET).
  if (x.model.instruction?.before(x, v, 1) || x.violation) return;
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
  if (!x.violation) x.model.instruction?.after(x, v, false, 1, TRFCR_EL1, true);
}
