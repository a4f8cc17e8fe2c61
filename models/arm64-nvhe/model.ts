/**
 * The arm64 non-VHE model: register file, hardware, lifecycle machine and events, configured with
 * the CPU's breakpoint and watchpoint counts (default 6 + 4, as Cortex-A57).
 */
import { compileLifecycle } from '../../src/engine/lifecycle.js';
import { type ArchModel, type DebugView, DOMAIN_SMALL, type ModelConfig, type ModelInstance } from '../../src/engine/model.js';
import type { HookContext, Hooks } from '../../src/engine/policy.js';
import type { RegisterFile } from '../../src/engine/register-file.js';
import { TRACE_NO_SESSION } from '../../src/engine/trace-session.js';
import type { World } from '../../src/engine/world.js';
import { vcpuEvent } from '../../src/model-kit/events.js';
import { resetArmWorld, slotLayout } from '../arm-slots.js';
import { DEBUG_ABI_2025, gdbView } from './debug-abi.js';
import { arm64DebugEvents, debugDomain } from './debug-events.js';
import { ARM64_KERNEL_EVENTS, ARM64_NVHE_6_14_EVENTS, ARM64_RUN_LOOP_EVENTS, arm64Fields, NVHE_OS_LOCK_EVENTS } from './fields.js';
import { GUEST_TRFCR_DOMAIN, GUEST_TRFCR_EVENTS, GUEST_TRFCR_OPTION, guestTrfcrEvent, guestTrfcrOf } from './guest-trfcr.js';
import { effectiveSlots, routesToEl2, trapsToEl2 } from './hardware.js';
import { arm64NvheGdbLifecycle, arm64NvheLifecycle } from './lifecycle.machine.js';
import {
  ARM64_SMALL_DOMAIN,
  DEBUG_ABI_OPTION,
  GDB_DOMAIN,
  NVHE_GDB_OPTION,
  NVHE_GUEST_STEP_OPTION,
  NVHE_OSLOCK_OPTION,
  PMU_COUNTERS_OPTION,
} from './options.js';
import { osLockAccessTraps, osLockEvent, osLockedBy } from './os-lock.js';
import {
  bcr,
  DBG_MDSCR_KDE,
  DBG_MDSCR_MDE,
  DBG_MDSCR_SS,
  DBGBCR,
  DBGWCR,
  DBGWVR,
  ID_AA64DFR0_EL1,
  LSC_LOAD,
  LSC_STORE,
  MDCCINT_EL1,
  MDCCINT_RX,
  MDCCINT_TX,
  MDCR_EL2,
  MDSCR_EL1,
  nvheRegisterFile,
  OSLAR_EL1,
  OSLSR_EL1,
  OSLSR_OSLM_IMPLEMENTED,
  PRIV_EL0,
  PRIV_EL1,
  SPSR_EL2,
  TRFCR_EL1,
  TRFCR_EL2,
  wcr,
} from './registers.js';
import { guestEretEvent, type StepCpu, softwareStep, stepView } from './software-step.js';
import { arm64TraceEvents, NVHE_DRIVER, nvheTrace, TRACE_GHOST, traceOptions } from './trace.js';
import { setGuestDebugEvent, VMM_GHOST_ARM64 } from './vmm-debug-events.js';

/** A vCPU's in-memory state, where KVM/arm64 keeps it (struct kvm_vcpu_arch). */
export interface Arm64Vcpu {
  readonly id: number;
  /** vcpu->arch.ctxt.sys_regs: the guest's EL1 system registers (MDSCR_EL1, MDCCINT_EL1, ...). */
  readonly ctxt: Float64Array;
  /** vcpu->arch.vcpu_debug_state: the guest's breakpoint and watchpoint registers. */
  readonly debugState: Float64Array;
  /** vcpu->arch.host_debug_state: the host's breakpoint and watchpoint registers, saved at entry. */
  readonly hostDebugState: Float64Array;
  /** vcpu->arch.debug_flags (e.g. KVM_ARM64_DEBUG_DIRTY). */
  debugFlags: number;
  /** vcpu->arch.mdcr_el2: the MDCR_EL2 value computed for the next entry. */
  mdcrEl2: number;
  /** vcpu->arch.external_debug_state (Linux 4.2+): userspace's breakpoints (KVM_SET_GUEST_DEBUG with KVM_GUESTDBG_USE_HW). */
  readonly externalDebugState: Float64Array;
  /** vcpu->arch.debug_owner (6.14): VCPU_DEBUG_FREE / HOST_OWNED / GUEST_OWNED. */
  debugOwner: number;
  /** vcpu->guest_debug: the KVM_GUESTDBG_* bits userspace set. */
  guestDebug: number;
  /** vcpu->arch.external_mdscr_el1 (6.14): the MDSCR_EL1 the guest runs with while the host owns debug. */
  externalMdscrEl1: number;
  /** *vcpu_cpsr(vcpu): the guest's PSTATE while it is not running (only SS, DBG_SPSR_SS, is modelled). */
  pstate: number;
  /** vcpu->arch.iflags GUEST_SS_ACTIVE_PENDING / HOST_SS_ACTIVE_PENDING (6.14 single-step state). */
  ssFlags: number;
  /** vcpu->arch.host_debug_state.guest_trfcr_el1 (2023 trace series): the per-CPU guest TRFCR, copied before each run. */
  guestTrfcrEl1: number;
  /** Words for a policy's own state (kept in the world, so it is canonical and replayable). */
  readonly scratch: Float64Array;
}

/** The host's per-CPU state (kvm_host_cpu_state). */
export interface Arm64Host {
  /** host_cpu_context->sys_regs; its MDCR_EL2 is the per-CPU mdcr_el2 kvm_arm_init_debug read (the host's HPMN). */
  readonly ctxt: Float64Array;
  /** The TRFCR_EL1 value guests run with on this CPU: per-CPU guest_trfcr (2023), host_data->trfcr_while_in_guest (6.14). */
  trfcrWhileInGuest: number;
  /** host_data->host_debug_state.trfcr_el1 (6.14): the host's TRFCR_EL1, saved while a guest runs. */
  hostTrfcrEl1: number;
  /** host_data->flags (6.14: TRBE_ENABLED, EL1_TRACING_CONFIGURED, ...). */
  hostDataFlags: number;
  /** Policy-private per-CPU words (HOST_SCRATCH_WORDS, 16), for policies that keep per-CPU state of their own. */
  readonly scratch: Float64Array;
}

/** The hook context an arm64 policy receives. */
export type Arm64Context = HookContext<Arm64Vcpu, Arm64Host>;
/** The hooks an arm64 policy provides. */
export type Arm64Hooks = Hooks<Arm64Vcpu, Arm64Host>;

/** The scalar words of Arm64Vcpu, in memory order. */
export const ARM64_VCPU_SCALARS = [
  'debugFlags',
  'mdcrEl2',
  'debugOwner',
  'guestDebug',
  'externalMdscrEl1',
  'pstate',
  'ssFlags',
  'guestTrfcrEl1',
] as const;

/** Whether `reg` is one of the breakpoint/watchpoint registers kept in vcpu_debug_state. */
export const isDebugStateReg = (reg: number): boolean => reg <= DBGWCR(15);

/** Where KVM_GET/SET_ONE_REG and reset find a register: vcpu_debug_state or ctxt.sys_regs. */
export const storage = (vcpu: Arm64Vcpu, reg: number): Float64Array => (isDebugStateReg(reg) ? vcpu.debugState : vcpu.ctxt);

/** KVM's generic sys_regs.c paths, used when a policy does not override them (Linux 4.5). */
export const commonCode: Required<Pick<Arm64Hooks, 'getReg' | 'setReg' | 'vcpuReset'>> = {
  getReg: (k, reg) => (reg === ID_AA64DFR0_EL1 ? k.hw.read(ID_AA64DFR0_EL1) : (storage(k.vcpu, reg)[reg] as number)),
  setReg: (k, reg, value) => {
    storage(k.vcpu, reg)[reg] = value;
  },
  vcpuReset: (k) => {
    // kvm_reset_vcpu: the core registers' reset PSTATE (SS = 0), then kvm_reset_sys_regs:
    // reset_val() for MDSCR_EL1/MDCCINT_EL1, reset_bvr()/... for the debug state.
    k.vcpu.pstate = 0;
    k.vcpu.debugState.fill(0);
    k.vcpu.ctxt[MDSCR_EL1] = 0;
    k.vcpu.ctxt[MDCCINT_EL1] = 0;
    // reset_val() for OSLSR_EL1 (in sys_regs[] since 5.18, 7dabf02f43a1; with --oslock 1 only): implemented, unlocked.
    if (k.vcpu.ctxt.length > OSLSR_EL1) k.vcpu.ctxt[OSLSR_EL1] = OSLSR_OSLM_IMPLEMENTED;
  },
};

/**
 * Cycle costs of a system-register access. An ESTIMATE: no per-register MRS/MSR figure is published
 * for Cortex-A57, so the ARMv7 CP14 figures measured on a Cortex-A15 in 2015 (MRC 8, MCR 5; the
 * armv7-debug-dirty-bit-2015 seed) stand in for them.
 */
export const ARM64_COSTS = {
  read: 8,
  write: 5,
  note: 'ESTIMATE: MRS 8 cycles, MSR 5 cycles (the 2015 Cortex-A15 CP14 figures; no A57 figure)',
};

/**
 * An arm64 world at reset: every CPU's registers (and the host's intent) at their reset values, no
 * trace session, and every vCPU's ctxt and guest intent at their reset values.
 */
export function resetArm64World(w: World, registers: RegisterFile, guestVisible: Int32Array): void {
  resetArmWorld(w, registers, guestVisible);
  for (let c = 0; c < w.shape.cpus; c++) {
    w.cpuGhost[c * TRACE_GHOST.length] = TRACE_NO_SESSION;
    // kvm_arm_init_debug: the per-CPU mdcr_el2 (host ctxt), the host's MDCR_EL2 at KVM's init (HPMN).
    w.hostMem[c * w.shape.hostAreas * registers.count + MDCR_EL2] = registers.reset[MDCR_EL2] as number;
  }
}

export { ARM64_SMALL_DOMAIN, DEBUG_ABI_OPTION, GDB_DOMAIN, GDB_OPTION } from './options.js';

/** Software step on an nVHE CPU: PSTATE.SS in SPSR_EL2, MDCR_EL2.TDE routing (HCR_EL2.TGE is 0), no OS Lock. */
const NVHE_STEP: StepCpu = { spsr: SPSR_EL2, routesToEl2, locked: () => false };
/** The OS Lock registers of `--oslock 1`. */
const NVHE_OS_LOCK = { oslar: OSLAR_EL1, oslsr: OSLSR_EL1 };
const nvheLocked = osLockedBy(NVHE_OS_LOCK);
/** The same with `--oslock 1`: OSLSR_EL1.OSLK blocks software step. */
const NVHE_STEP_OS_LOCK: StepCpu = { ...NVHE_STEP, locked: nvheLocked };

/**
 * SPSR_EL2 costs nothing here: every era's hyp saves and restores it on each exit and entry, as
 * every nVHE policy here does, so charging it would set no policy apart and only move every figure.
 */
const costOf = (cost: number) => (reg: number) => (reg === SPSR_EL2 ? 0 : cost);

/** The arm64 non-VHE architecture model. */
export const arm64Nvhe: ArchModel = {
  id: 'arm64-nvhe',
  summary: 'arm64 without VHE: host kernel at EL1, world switch at EL2 (Linux 4.5-style __guest_run)',
  options: [
    { name: 'cpus', describe: 'physical CPUs', default: 2, min: 1, max: 4 },
    { name: 'vcpus', describe: 'vCPUs', default: 1, min: 1, max: 3 },
    { name: 'brps', describe: 'breakpoint register pairs (ID_AA64DFR0_EL1.BRPs + 1)', default: 6, min: 2, max: 16 },
    { name: 'wrps', describe: 'watchpoint register pairs (ID_AA64DFR0_EL1.WRPs + 1)', default: 4, min: 2, max: 16 },
    { name: 'trf', describe: 'FEAT_TRF, TRFCR_EL1/EL2 and host trace sessions (ID_AA64DFR0_EL1.TraceFilt)', default: 1, min: 0, max: 1 },
    {
      name: 'trbe',
      describe:
        'FEAT_TRBE, TRBLIMITR_EL1 (ID_AA64DFR0_EL1.TraceBuffer); the host never enables it; needs --trf 1 (FEAT_TRBE mandates FEAT_TRF)',
      default: 0,
      min: 0,
      max: 1,
    },
    NVHE_GDB_OPTION,
    DEBUG_ABI_OPTION,
    NVHE_OSLOCK_OPTION,
    NVHE_GUEST_STEP_OPTION,
    GUEST_TRFCR_OPTION,
    PMU_COUNTERS_OPTION,
  ],
  smallDomain: `${ARM64_SMALL_DOMAIN}; ${GDB_DOMAIN}; with --oslock, OSLK {0, 1}; with --guest-step, MDSCR_EL1 also {SS, SS|MDE} and GUEST_ERET SS {0, 1}; ${GUEST_TRFCR_DOMAIN}`,
  costNote: ARM64_COSTS.note,
  instantiate(config: ModelConfig): ModelInstance {
    // 'domain-slots' is arm64-vhe's option (kept out of nVHE's config, so its small domain and reports stay as they were).
    const {
      domain: domainOption,
      'domain-slots': smallSlots = 1,
      gdb = 0,
      'debug-abi': debugAbi = DEBUG_ABI_2025,
      oslock = 0,
      'guest-step': guestStep = 0,
      'guest-trfcr': _guestTrfcr,
      ...options
    } = config;
    const guestTrfcr = guestTrfcrOf(config);
    const small = domainOption === DOMAIN_SMALL;
    const brps = options.brps ?? 6;
    const wrps = options.wrps ?? 4;
    const { trf, trbe } = traceOptions(options);
    const pmuCounters = options['pmu-counters'] ?? 0;
    const registers = nvheRegisterFile({ brps, wrps, traceFilt: trf, traceBuffer: trbe, pmuCounters }, oslock === 1);
    // Software step with --gdb 1 (userspace's) or --guest-step 1 (the guest's own), gated by the OS Lock with --oslock 1.
    const stepCpu = oslock ? NVHE_STEP_OS_LOCK : NVHE_STEP;
    const step = gdb || guestStep ? softwareStep(stepCpu) : undefined;
    const lockRegs = oslock ? [OSLSR_EL1] : [];
    const traceRegs = trf ? [TRFCR_EL1, TRFCR_EL2] : [];
    const { slotRegs, slotNames, generated } = slotLayout(brps, wrps, small, smallSlots);
    const slotDebugRegs = [...slotRegs];
    const view: DebugView = {
      hostState: new Int32Array([...slotDebugRegs, MDSCR_EL1, MDCCINT_EL1, MDCR_EL2, ...traceRegs]),
      guestVisible: new Int32Array([...slotDebugRegs, MDSCR_EL1, MDCCINT_EL1, ID_AA64DFR0_EL1, ...lockRegs]),
      slotRegs,
      slotNames,
      // --oslock 1: OSLSR_EL1.OSLK gates every slot (effective() reads it); named before MDCR_EL2, never a guest intent.
      gateRegs: new Int32Array([MDSCR_EL1, ...lockRegs, MDCR_EL2]),
      hostLevels: [0, 1],
      guestLevels: [0, 1],
      effective: oslock
        ? (r, o, level) => (nvheLocked(r, o) ? 0 : effectiveSlots(r, o, level, brps, wrps))
        : (r, o, level) => effectiveSlots(r, o, level, brps, wrps),
      deliversToGuest: (r, o) => !routesToEl2(r, o),
      ...(trf ? { trace: nvheTrace } : {}),
      ...(gdb ? gdbView(debugAbi, slotRegs, registers.count, oslock ? OSLSR_EL1 : undefined) : {}),
      ...(gdb || guestStep ? stepView(stepCpu) : {}),
    };
    const bcrs = small ? [0, bcr(PRIV_EL1), bcr(PRIV_EL0)] : [0, bcr(PRIV_EL1), bcr(PRIV_EL0), bcr(PRIV_EL0 | PRIV_EL1)];
    const wcrs = small
      ? [0, wcr(PRIV_EL1 | PRIV_EL0, LSC_LOAD | LSC_STORE)]
      : [0, wcr(PRIV_EL1 | PRIV_EL0, LSC_LOAD | LSC_STORE), wcr(PRIV_EL1, LSC_STORE)];
    // --oslock 1: a locked OS Lock blocks hits too, on the CPU and in intents (AArch64.GenerateDebugExceptionsFrom), as on VHE.
    const debug = { ...debugDomain(brps, wrps, small, smallSlots), ...(oslock ? { locked: nvheLocked } : {}) };
    const { addresses } = debug;
    const mdscrs = small
      ? [0, DBG_MDSCR_MDE, DBG_MDSCR_MDE | DBG_MDSCR_KDE]
      : [0, DBG_MDSCR_MDE, DBG_MDSCR_MDE | DBG_MDSCR_KDE, DBG_MDSCR_KDE];
    // --guest-step: the guest's own MDSCR_EL1.SS among the values it writes (alone, and with MDE), as on arm64-vhe.
    if (guestStep) mdscrs.push(DBG_MDSCR_SS, DBG_MDSCR_SS | DBG_MDSCR_MDE);
    const domain = (reg: number): readonly number[] => {
      if (reg === MDSCR_EL1) return mdscrs;
      if (reg === MDCCINT_EL1) return small ? [0, MDCCINT_TX] : [0, MDCCINT_TX, MDCCINT_RX];
      if (reg >= DBGWCR(0)) return wcrs;
      if (reg >= DBGBCR(0) && reg < DBGWVR(0)) return bcrs;
      return addresses;
    };
    return {
      arch: 'arm64-nvhe',
      config: {
        cpus: 2,
        vcpus: 1,
        ...options,
        brps,
        wrps,
        ...(gdb ? { gdb, 'debug-abi': debugAbi } : {}),
        ...(oslock ? { oslock } : {}),
        ...(guestStep ? { 'guest-step': guestStep } : {}),
        ...(guestTrfcr ? { 'guest-trfcr': guestTrfcr } : {}),
      },
      registers,
      lifecycle: compileLifecycle(gdb ? arm64NvheGdbLifecycle : arm64NvheLifecycle),
      // --gdb 1 is 6.14's KVM_RUN: ioctls between two KVM_RUNs, without vcpu_load (since 4.16, as on VHE).
      ...(gdb ? { ioctlsPut: true } : {}),
      ...(step ? { instruction: step } : {}),
      memory: {
        vcpuAreas: ['ctxt', 'debugState', 'hostDebugState', 'externalDebugState'],
        hostAreas: ['ctxt'],
        vcpuScalars: ARM64_VCPU_SCALARS,
        hostScalars: ['trfcrWhileInGuest', 'hostTrfcrEl1', 'hostDataFlags'],
      },
      ghost: { cpu: TRACE_GHOST, vcpu: gdb || guestStep ? VMM_GHOST_ARM64 : [] },
      view,
      guestReadable: new Int32Array([...generated, MDSCR_EL1, MDCCINT_EL1, ID_AA64DFR0_EL1, ...lockRegs]),
      guestWritable: new Int32Array([...generated, MDSCR_EL1, MDCCINT_EL1]),
      valueDomain: domain,
      traps: oslock
        ? (hw, o, reg) => (reg === OSLAR_EL1 || reg === OSLSR_EL1 ? osLockAccessTraps(hw, o) : trapsToEl2(hw, o, reg))
        : (hw, o, reg) => trapsToEl2(hw, o, reg),
      events: [
        ...arm64DebugEvents(brps, wrps, debug),
        ...(gdb
          ? [setGuestDebugEvent(), vcpuEvent('RUN_RETURN', 'RUN_RETURN', 2, { apply: (x, ev) => x.returnToUser(ev[1] as number) })]
          : []),
        ...(oslock ? [osLockEvent(NVHE_OS_LOCK)] : []),
        ...(guestStep && step ? [guestEretEvent(stepCpu, step)] : []),
        ...(trf ? arm64TraceEvents(NVHE_DRIVER) : []),
        ...(guestTrfcr ? [guestTrfcrEvent()] : []),
      ],
      defaultHooks: commonCode as Hooks<never, never>,
      fields: arm64Fields(),
      kernelEvents: {
        ...ARM64_KERNEL_EVENTS,
        ...(gdb ? { ...ARM64_NVHE_6_14_EVENTS, ...ARM64_RUN_LOOP_EVENTS } : {}),
        ...(oslock ? NVHE_OS_LOCK_EVENTS : {}),
        ...(guestTrfcr ? GUEST_TRFCR_EVENTS : {}),
      },
      // ctxt.sys_regs as kvm_reset_sys_regs leaves them.
      reset: (w: World) => resetArm64World(w, registers, view.guestVisible),
      readCost: costOf(ARM64_COSTS.read),
      writeCost: costOf(ARM64_COSTS.write),
    };
  },
};
