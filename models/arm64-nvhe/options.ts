/**
 * The arm64-nvhe model's options (shared with arm64-vhe where the two agree) and the text of its small domain.
 */
import { DEBUG_ABI_2015, DEBUG_ABI_2025 } from './debug-abi.js';

/** `--gdb`, shared with arm64-vhe (whose run loop is 4.17's either way). */
export const GDB_OPTION = {
  name: 'gdb',
  describe: 'userspace debugs vCPUs with KVM_SET_GUEST_DEBUG (1) or never (0)',
  default: 0,
  min: 0,
  max: 1,
} as const;

/** `--gdb` on arm64-nvhe, where 1 also brings the run loop of 4.16+ (the ioctls between KVM_RUNs, without vcpu_load). */
export const NVHE_GDB_OPTION = {
  ...GDB_OPTION,
  describe:
    "userspace debugs vCPUs with KVM_SET_GUEST_DEBUG (1: with 6.14's run loop, KVM_RUN returning to userspace and the vCPU ioctls run between KVM_RUNs with the vCPU put, 4.16+) or never (0: 4.5's shape, each ioctl between vcpu_load and vcpu_put)",
} as const;

/** `--debug-abi`, shared with arm64-vhe. */
export const DEBUG_ABI_OPTION = {
  name: 'debug-abi',
  describe:
    "what userspace debugging is owed: 2025 (Linux 6.14, only its breakpoints live) or any earlier year (4.2-6.13: without USE_HW the guest's own stay live, routed to it)",
  default: DEBUG_ABI_2025,
  min: DEBUG_ABI_2015,
  max: DEBUG_ABI_2025,
} as const;

/** `--oslock` on arm64-nvhe (arm64-vhe words its own). */
export const NVHE_OSLOCK_OPTION = {
  name: 'oslock',
  describe:
    'guests lock their OS Lock (1: OSLAR_EL1/OSLSR_EL1, trapped by MDCR_EL2.TDOSA, and GUEST_OS_LOCK), or only unlock it, as Linux does at boot (0: no OS Lock registers)',
  default: 0,
  min: 0,
  max: 1,
} as const;

/** `--guest-step` on arm64-nvhe (arm64-vhe words its own). */
export const NVHE_GUEST_STEP_OPTION = {
  name: 'guest-step',
  describe:
    'guests single-step their own EL0 code (1: MDSCR_EL1.SS in the written values, GUEST_ERET with SPSR_EL1.SS, PSTATE.SS in SPSR_EL2 while they run, also with --gdb 0) or never (0)',
  default: 0,
  min: 0,
  max: 1,
} as const;

/**
 * `--pmu-counters`, shared with arm64-vhe: PMCR_EL0.N, the PMU's event counters (the model's ID_AA64DFR0_EL1
 * has PMUVer 1). Linux's EL2 set-up gives the host MDCR_EL2.HPMN = PMCR_EL0.N (head.S el2_setup to 5.10,
 * asm/el2_setup.h __init_el2_debug from 5.11), KVM keeps that per CPU (debug.c kvm_arm_init_debug:
 * "preserve MDCR_EL2.HPMN which has presumably been set-up by some knowledgeable bootcode") and each
 * vCPU's mdcr_el2 starts from it. 0, the default, is a PMU with no event counters: legal (Arm ARM D13.3
 * PMCR_EL0.N), and it hides a host HPMN lost to a zero (263d6287da14).
 */
export const PMU_COUNTERS_OPTION = {
  name: 'pmu-counters',
  describe:
    "the PMU's event counters, PMCR_EL0.N: the host's MDCR_EL2.HPMN from boot, which KVM keeps per CPU (kvm_arm_init_debug) and must give back to the host; 0 (a PMU without event counters) cannot tell a lost HPMN",
  default: 0,
  min: 0,
  max: 31,
} as const;

/** The small domain both arm64 models draw from (arm64-vhe adds its VM registers and options). */
export const ARM64_SMALL_DOMAIN =
  'the last breakpoint and the last watchpoint slot, one address (0x1000), BCR {off, EL1, EL0}, WCR {off, any}, MDSCR_EL1 {0, MDE, MDE|KDE}, MDCCINT_EL1 {0, TX}, trace sessions {in, ex}clude guest × host';
/** What userspace debugging adds to it (models/arm64-nvhe/vmm-debug-events.ts). */
export const GDB_DOMAIN = "with --gdb, userspace's breakpoint {none, 0x1000, 0x2000} and single-step {off, on}";
