/**
 * Mutants of the arm64 guest trace filter switch, each a slip the 2023 review or the 6.14 rework
 * guards against. The quality tests must find every one by running the engine, never by name.
 * The 2023 ones run on a CPU with TRBE (trbe=1), where the posted v1 itself holds.
 */
import type { Arm64Context, Arm64Host, Arm64Vcpu } from '../../models/arm64-nvhe/model.js';
import { debugSr2015 } from '../../models/arm64-nvhe/policies/arm64-dirty-2015.js';
import owner2025 from '../../models/arm64-nvhe/policies/arm64-owner-2025.js';
import arm64Trfcr2023, {
  __debug_save_host_buffers_nvhe,
  kvm_etm_set_guest_trfcr,
  kvm_etm_update_vcpu_events,
} from '../../models/arm64-nvhe/policies/arm64-trfcr-2023.js';
import arm64Trfcr2025 from '../../models/arm64-nvhe/policies/arm64-trfcr-2025.js';
import { guest_run_enter } from '../../models/arm64-nvhe/policies/hyp.js';
import { MDCR_EL2_TTRF, TRFCR_EL2 } from '../../models/arm64-nvhe/registers.js';
import { vheTracePolicy } from '../../models/arm64-vhe/policies/trfcr-vhe.js';
import { definePolicy, type Hooks, type Policy } from '../../src/engine/policy.js';

type Arm64Hooks = Hooks<Arm64Vcpu, Arm64Host>;

/** `base` with some hooks replaced. */
function mutant(name: string, base: Policy<Arm64Vcpu, Arm64Host>, override: Arm64Hooks): Policy<Arm64Vcpu, Arm64Host> {
  return definePolicy<Arm64Vcpu, Arm64Host>({
    name,
    arch: 'arm64-nvhe',
    summary: `mutant of ${base.name}: ${name}`,
    hooks: { ...base.hooks, ...override },
  });
}

/** 2023 with the copy made in the run loop before local_irq_disable(): a session change can land after it. */
export const copyBeforeIrqsDisabled = mutant('copy-before-irqs-disabled', arm64Trfcr2023, {
  guestEnter(k) {
    kvm_etm_update_vcpu_events(k);
    k.localIrqDisable();
    guest_run_enter(k, debugSr2015, MDCR_EL2_TTRF);
    __debug_save_host_buffers_nvhe(k);
  },
});

/** Bit of debugFlags the mutant below keeps: the vCPU has taken its one copy. */
const TRFCR_COPIED = 1 << 2;

/**
 * 2023 with the copy made once, at the vCPU's first load, and kept current by the interface while
 * the vCPU is loaded: a vCPU migrated to a CPU whose session differs keeps the old CPU's filter.
 */
export const noCopyAfterMigration = mutant('no-copy-after-migration', arm64Trfcr2023, {
  vcpuLoad(k: Arm64Context) {
    arm64Trfcr2023.hooks.vcpuLoad?.(k);
    if (k.vcpu.debugFlags & TRFCR_COPIED) return;
    kvm_etm_update_vcpu_events(k);
    k.vcpu.debugFlags |= TRFCR_COPIED;
  },
  setGuestTrace(k, value) {
    kvm_etm_set_guest_trfcr(k, value);
    if (k.vcpu !== undefined) k.vcpu.guestTrfcrEl1 = value;
  },
  guestEnter(k) {
    k.localIrqDisable();
    guest_run_enter(k, debugSr2015, MDCR_EL2_TTRF);
    __debug_save_host_buffers_nvhe(k);
  },
});

/** 6.14 with __debug_restore_host_buffers_nvhe forgotten: the host runs on with the guests' filter. */
export const hostTrfcrNotRestored = mutant('host-trfcr-not-restored', arm64Trfcr2025, {
  guestExit: (k, reason) => owner2025.hooks.guestExit?.(k, reason),
});

/** 2023 whose run loop never says where it disables interrupts. */
export const noIrqDisable = mutant('no-local-irq-disable', arm64Trfcr2023, {
  guestEnter(k) {
    kvm_etm_update_vcpu_events(k);
    guest_run_enter(k, debugSr2015, MDCR_EL2_TTRF);
    __debug_save_host_buffers_nvhe(k);
  },
});

/**
 * VHE, with the guests' value written through the TRFCR_EL1 encoding instead of TRFCR_EL12: with
 * HCR_EL2.E2H set that reaches TRFCR_EL2, the host's own filter.
 */
export const vheWritesTrfcrEl1Encoding = vheTracePolicy('trfcr-el1-encoding-on-vhe', 'mutant: TRFCR_EL1 encoding on VHE', (k, value) =>
  k.hw.write(TRFCR_EL2, value),
);

/**
 * 6.14 with MDCR_EL2_TTRF missing from the vCPU's MDCR_EL2 (a354a64d91ee undone): the guest's own MSR
 * reaches TRFCR_EL1, on nVHE the host's filter, which the host's trace session set. Only
 * `--guest-trfcr 1` has guests that write it.
 */
export const ttrfDropped = mutant('ttrf-dropped', arm64Trfcr2025, {
  guestEnter(k) {
    k.vcpu.mdcrEl2 &= ~MDCR_EL2_TTRF;
    arm64Trfcr2025.hooks.guestEnter?.(k);
  },
});
