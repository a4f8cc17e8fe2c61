/**
 * The arm64 VHE model: the arm64-nvhe registers, hardware and debug events, plus the EL1 VM
 * registers that KVM keeps on the CPU from vcpu_load to vcpu_put, HCR_EL2's VM-register traps, the
 * OS Lock, KVM_SET_GUEST_DEBUG, and the hypervisor's own accesses to a loaded vCPU's registers.
 */

import { compileLifecycle } from '../../src/engine/lifecycle.js';
import { type ArchModel, type DebugView, DOMAIN_SMALL, type ModelConfig, type ModelInstance } from '../../src/engine/model.js';
import type { HookContext, Hooks } from '../../src/engine/policy.js';
import type { World } from '../../src/engine/world.js';
import { vcpuEvent } from '../../src/model-kit/events.js';
import { DEBUG_ABI_2025, vmmIntentFor } from '../arm64-nvhe/debug-abi.js';
import { GUEST_TRFCR_DOMAIN, GUEST_TRFCR_EVENTS, guestTrfcrEvent, guestTrfcrOf } from '../arm64-nvhe/guest-trfcr.js';
import {
  ARM64_SMALL_DOMAIN,
  ARM64_VCPU_SCALARS,
  type Arm64Host,
  type Arm64Vcpu,
  arm64Nvhe,
  DEBUG_ABI_OPTION,
  GDB_DOMAIN,
  GDB_OPTION,
  resetArm64World,
  storage,
} from '../arm64-nvhe/model.js';
import {
  DBG_MDSCR_MDE,
  DBG_MDSCR_SS,
  ID_AA64DFR0_EL1,
  MDCCINT_EL1,
  MDCR_EL2,
  MDCR_EL2_HPMN_MASK,
  MDSCR_EL1,
  TRFCR_EL1,
} from '../arm64-nvhe/registers.js';
import { guestEretEvent, guestStepView, type StepCpu, softwareStep } from '../arm64-nvhe/software-step.js';
import { arm64TraceEvents, TRACE_GHOST, traceOptions } from '../arm64-nvhe/trace.js';
import { setGuestDebugEvent, VMM_GHOST_ARM64 } from '../arm64-nvhe/vmm-debug-events.js';
import { ARM64_VHE_KERNEL_EVENTS, arm64VheFields } from './fields.js';
import { osLocked, vheEffectiveSlots, vheRoutesToEl2, vheTrapsToEl2 } from './hardware.js';
import { hypAccessEvents } from './hyp-events.js';
import { arm64VheLifecycle } from './lifecycle.machine.js';
import { guestOsLockEvent } from './oslock-events.js';
import {
  ESR_EL1,
  FAR_EL1,
  HCR_EL2,
  HCR_TVM,
  OSLSR_EL1,
  OSLSR_OSLM_IMPLEMENTED,
  SCTLR_C,
  SCTLR_EL1,
  SCTLR_M,
  SCTLR_RESET,
  SPSR_EL2,
  TCR_EL1,
  TTBR0_EL1,
  TTBR1_EL1,
  VM_REGS,
  vheRegisterFile,
} from './registers.js';
import { VHE_DRIVER, vheTrace } from './trace.js';
import { vheDebugEvents } from './vhe-debug-events.js';

/**
 * The registers KVM's own code reads or writes while a vCPU is loaded, outside the debug switch and
 * the trap handlers (which the policy's hooks are), for AArch64 guests without nested virt; the
 * union over the eras (a path of one era only is named with it). Reads: SCTLR_EL1 by kvm_vcpu_is_be
 * (MMIO data endianness, kvm_psci_vcpu_on) and exception entry (enter_exception64, 5.6+); MDSCR_EL1
 * by kvm_arm_setup_debug (4.17-6.13; 6.14's kvm_vcpu_load_debug reads it before kvm_vcpu_load_vhe);
 * ESR_EL1 by kvm_inject_size_fault (5.19+); TCR_EL1, TTBR0_EL1 and TTBR1_EL1 by inject_abt64's
 * stage-1 walk for an abort on the guest's own page-table walk (__kvm_find_s1_desc_level, 6.18+).
 * Writes: ESR_EL1 and FAR_EL1 by inject_abt64 / inject_undef64 (kvm/inject_fault.c, every era).
 * KVM_GET/SET_ONE_REG run with the vCPU put (ioctlsPut) and are the VMM's events, not these.
 */
const HYP_READABLE = new Int32Array([SCTLR_EL1, MDSCR_EL1, ESR_EL1, TCR_EL1, TTBR0_EL1, TTBR1_EL1]);
const HYP_WRITABLE = new Int32Array([ESR_EL1, FAR_EL1]);

/** A VHE vCPU's in-memory state: the nVHE fields and what the deferral adds (struct kvm_vcpu_arch). */
export interface Arm64VheVcpu extends Arm64Vcpu {
  /** vcpu->arch.sysregs_loaded_on_cpu (SYSREGS_ON_CPU in 6.14): 1 while the EL1 registers live on the CPU. */
  sysregsLoadedOnCpu: number;
  /** vcpu->arch.hcr_el2: the HCR_EL2 value for the next entry (HCR_TVM while the guest's caches are off). */
  hcrEl2: number;
}

/** The host's per-CPU state on VHE: the nVHE fields and what 6.14's VHE debug code adds. */
export interface Arm64VheHost extends Arm64Host {
  /** host_data->host_debug_state.mdcr_el2 (6.14): the host's MDCR_EL2, saved at vcpu_load, restored at vcpu_put. */
  hostDebugMdcrEl2: number;
}

/** The hook context a VHE policy receives. */
export type Arm64VheContext = HookContext<Arm64VheVcpu, Arm64VheHost>;
/** The hooks a VHE policy provides. */
export type Arm64VheHooks = Hooks<Arm64VheVcpu, Arm64VheHost>;

/** Scalar words of a VHE vCPU, in order (see Arm64VheVcpu). */
const VCPU_SCALARS = [...ARM64_VCPU_SCALARS, 'sysregsLoadedOnCpu', 'hcrEl2'] as const;

/**
 * KVM's common code before the deferral series: every access goes to the memory copy
 * (vcpu_sys_reg()), and reset (kvm_reset_sys_regs, vcpu_reset_hcr) writes memory only.
 */
const commonCode: Arm64VheHooks = {
  getReg: (k, reg) => (reg === ID_AA64DFR0_EL1 ? k.hw.read(ID_AA64DFR0_EL1) : (storage(k.vcpu, reg)[reg] as number)),
  setReg(k, reg, value) {
    storage(k.vcpu, reg)[reg] = value;
  },
  hypReadReg: (k, reg) => storage(k.vcpu, reg)[reg] as number,
  hypWriteReg(k, reg, value) {
    storage(k.vcpu, reg)[reg] = value;
  },
  vcpuReset: (k) => resetSysRegs(k.vcpu),
};

/**
 * kvm_reset_vcpu on the memory copy: kvm_reset_sys_regs and vcpu_reset_hcr (debug state,
 * MDSCR/MDCCINT, VM registers, HCR_EL2) and the core registers' reset PSTATE (SS = 0).
 */
export function resetSysRegs(vcpu: Arm64VheVcpu): void {
  vcpu.pstate = 0;
  vcpu.debugState.fill(0);
  vcpu.ctxt[MDSCR_EL1] = 0;
  vcpu.ctxt[MDCCINT_EL1] = 0;
  for (const reg of VM_REGS) vcpu.ctxt[reg] = 0;
  vcpu.ctxt[SCTLR_EL1] = SCTLR_RESET;
  vcpu.ctxt[OSLSR_EL1] = OSLSR_OSLM_IMPLEMENTED;
  vcpu.hcrEl2 = HCR_TVM;
}

/** Software step on a VHE CPU: PSTATE.SS in SPSR_EL2, TGE or TDE routing, the OS Lock. */
const VHE_STEP: StepCpu = { spsr: SPSR_EL2, routesToEl2: vheRoutesToEl2, locked: osLocked };
const vheStep = softwareStep(VHE_STEP);

/** The arm64 VHE architecture model. */
export const arm64Vhe: ArchModel = {
  id: 'arm64-vhe',
  summary: 'arm64 with VHE: host kernel at EL2 (HCR_EL2.E2H = TGE = 1), EL1 sysregs deferred to vcpu_load/vcpu_put (Linux 4.17 onwards)',
  options: [
    // arm64-nvhe's own --gdb, --oslock and --guest-step are worded for nVHE; VHE states its own below.
    ...arm64Nvhe.options.filter((o) => ![GDB_OPTION.name, DEBUG_ABI_OPTION.name, 'oslock', 'guest-step'].includes(o.name)),
    GDB_OPTION,
    { name: 'oslock', describe: 'guests lock their OS Lock (1), or only unlock it, as Linux does at boot (0)', default: 0, min: 0, max: 1 },
    DEBUG_ABI_OPTION,
    {
      name: 'domain-slots',
      describe: 'breakpoint and watchpoint slots of each kind explore draws from (the last N; 1 is the small domain)',
      default: 1,
      min: 1,
      max: 16,
    },
    {
      name: 'guest-step',
      describe: 'guests single-step their own EL0 code (1: MDSCR_EL1.SS in the written values, GUEST_ERET with SPSR_EL1.SS) or never (0)',
      default: 0,
      min: 0,
      max: 1,
    },
    // --guest-trfcr and --pmu-counters come with arm64-nvhe's options above.
  ],
  smallDomain: `${ARM64_SMALL_DOMAIN}, VM registers {reset, 0x1000}, SCTLR_EL1 {reset, M|C}; ${GDB_DOMAIN}; with --oslock, OSLK {0, 1}; with --guest-step, MDSCR_EL1 also {SS, SS|MDE} and GUEST_ERET SS {0, 1}; ${GUEST_TRFCR_DOMAIN}; with --domain-slots N, the last N slots of each kind`,
  costNote: arm64Nvhe.costNote,
  instantiate(config: ModelConfig): ModelInstance {
    const { gdb = 0, oslock = 0, 'guest-step': guestStep = 0, 'debug-abi': debugAbi = DEBUG_ABI_2025, ...nvheConfig } = config;
    const domainSlots = config['domain-slots'] ?? 1;
    // --guest-trfcr 1: the guest's TRFCR_EL1 filters only guest code here (EL1/EL0 with TGE = 0).
    const guestTrfcr = guestTrfcrOf(config);
    const base = arm64Nvhe.instantiate(nvheConfig);
    const small = config.domain === DOMAIN_SMALL;
    const { brps, wrps } = base.config as { brps: number; wrps: number };
    const { trf, trbe } = traceOptions(nvheConfig);
    const registers = vheRegisterFile({ brps, wrps, traceFilt: trf, traceBuffer: trbe, pmuCounters: nvheConfig['pmu-counters'] ?? 0 });
    const vmmBuffer = new Float64Array(registers.count);
    const vmmIntentOf = vmmIntentFor(debugAbi, base.view.slotRegs, OSLSR_EL1);
    const stepBuffer = { live: 0, own: 0, name: 'PSTATE.SS' };
    // TRFCR_EL1 is the guests' filter on VHE (the host sets it through TRFCR_EL12), not the host's.
    const hostState = new Int32Array([...base.view.hostState.filter((r) => r !== TRFCR_EL1), HCR_EL2]);
    // While a vCPU is loaded on a CPU only EL2 code runs there (a preempted vCPU is put first, and
    // KVM_RUN puts it before returning to user space), and no modelled MDCR_EL2 debug bit affects EL2:
    // they trap EL1/EL0 accesses (TDA, TDOSA, TDRA, TPM, TPMCR) or route EL1/EL0 debug exceptions
    // (TDE, which TGE = 1 overrides for the host's EL0). HPMN does (counters from HPMN up count at EL2
    // only under HPME, which the host leaves 0): a field of its own while loaded. Arm ARM D13.2 MDCR_EL2.
    const loadedHostState = hostState.filter((r) => r !== MDCR_EL2);
    // With --pmu-counters N the host's HPMN is N, and a lower one while loaded stops its EL2 counters (263d6287da14).
    const loadedHostFields = nvheConfig['pmu-counters'] ? [{ reg: MDCR_EL2, mask: MDCR_EL2_HPMN_MASK, name: 'HPMN' }] : undefined;
    const view: DebugView = {
      ...base.view,
      hostState,
      hostStateOn: (x, cpu) => ((x.world.running[cpu] as number) >= 0 ? loadedHostState : hostState),
      ...(loadedHostFields ? { hostFieldsOn: (x, cpu) => ((x.world.running[cpu] as number) >= 0 ? loadedHostFields : undefined) } : {}),
      deliversToGuest: (r, o) => !vheRoutesToEl2(r, o),
      guestVisible: new Int32Array([...base.view.guestVisible, ...VM_REGS, OSLSR_EL1]),
      // --oslock 1: OSLSR_EL1.OSLK gates every slot (vheEffectiveSlots reads it), named before MDCR_EL2 as on nVHE.
      ...(oslock ? { gateRegs: new Int32Array([MDSCR_EL1, OSLSR_EL1, MDCR_EL2]) } : {}),
      effective: (r, o, level) => vheEffectiveSlots(r, o, level, brps, wrps),
      vmmIntent: (x, v) => vmmIntentOf(x, v, vmmBuffer),
      guestStep: (x, v, cpu) => guestStepView(VHE_STEP, x, v, cpu, stepBuffer),
      ...(trf ? { trace: vheTrace } : {}),
    };
    const vmValues = small ? [0, 0x1000] : [0, 0x1000, 0x2000];
    const sctlrValues = [SCTLR_RESET, SCTLR_RESET | SCTLR_M | SCTLR_C];
    // --guest-step: the guest's own MDSCR_EL1.SS among the values it writes (alone, and with MDE).
    const mdscrValues = [...base.valueDomain(MDSCR_EL1), DBG_MDSCR_SS, DBG_MDSCR_SS | DBG_MDSCR_MDE];
    const valueDomain = (reg: number): readonly number[] => {
      if (reg === SCTLR_EL1) return sctlrValues;
      if (reg === MDSCR_EL1 && guestStep) return mdscrValues;
      return VM_REGS.includes(reg) ? vmValues : base.valueDomain(reg);
    };
    const guestReadable = new Int32Array([...base.guestReadable, ...VM_REGS, OSLSR_EL1]);
    const guestWritable = new Int32Array([...base.guestWritable, ...VM_REGS]);
    const hcr = VCPU_SCALARS.indexOf('hcrEl2');
    return {
      ...base,
      arch: 'arm64-vhe',
      config: { ...base.config, gdb, oslock, 'debug-abi': debugAbi, 'guest-step': guestStep, 'domain-slots': domainSlots },
      registers,
      lifecycle: compileLifecycle(arm64VheLifecycle),
      // KVM_GET/SET_ONE_REG and KVM_SET_GUEST_DEBUG take no vcpu_load since 4.16, which the VHE deferral (4.17) relies on.
      ioctlsPut: true,
      memory: { ...base.memory, vcpuScalars: VCPU_SCALARS, hostScalars: [...(base.memory.hostScalars ?? []), 'hostDebugMdcrEl2'] },
      view,
      guestReadable,
      guestWritable,
      valueDomain,
      traps: vheTrapsToEl2,
      events: [
        ...vheDebugEvents(brps, wrps, small, domainSlots),
        ...hypAccessEvents(HYP_READABLE, HYP_WRITABLE, valueDomain),
        ...(gdb ? [setGuestDebugEvent()] : []),
        ...(oslock ? [guestOsLockEvent()] : []),
        ...(guestStep ? [guestEretEvent(VHE_STEP, vheStep)] : []),
        vcpuEvent('RUN_RETURN', 'RUN_RETURN', 2, { apply: (x, ev) => x.returnToUser(ev[1] as number) }),
        ...(trf ? arm64TraceEvents(VHE_DRIVER) : []),
        ...(guestTrfcr ? [guestTrfcrEvent()] : []),
      ],
      ghost: { cpu: TRACE_GHOST, vcpu: VMM_GHOST_ARM64 },
      fields: arm64VheFields(),
      kernelEvents: guestTrfcr ? { ...ARM64_VHE_KERNEL_EVENTS, ...GUEST_TRFCR_EVENTS } : ARM64_VHE_KERNEL_EVENTS,
      instruction: vheStep,
      defaultHooks: commonCode as Hooks<never, never>,
      reset(w: World) {
        resetArm64World(w, registers, view.guestVisible);
        // vcpu_reset_hcr: HCR_GUEST_FLAGS has HCR_TVM.
        for (let v = 0; v < w.shape.vcpus; v++) w.vcpuScalar[v * w.shape.vcpuScalars + hcr] = HCR_TVM;
      },
    };
  },
};
