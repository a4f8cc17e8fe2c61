/**
 * The x86 models, VMX (Intel) and SVM (AMD): DR0-DR3, DR6, DR7 and IA32_DEBUGCTL, what the CPU
 * switches at VM entry and exit, the MOV-DR exiting control or DR intercepts, and the events: perf
 * hw_breakpoint users, KVM_SET_GUEST_DEBUG, guest code running into breakpoints, fast-path WRMSR exits.
 */

import { HOST_SCRATCH_WORDS, SCRATCH_WORDS } from '../../src/engine/execute.js';
import { compileLifecycle } from '../../src/engine/lifecycle.js';
import { type ArchModel, type DebugView, DOMAIN_SMALL, type ModelConfig, type ModelInstance } from '../../src/engine/model.js';
import type { HookContext, Hooks } from '../../src/engine/policy.js';
import type { World } from '../../src/engine/world.js';
import { STATUS_GHOST } from '../../src/model-kit/debug-status.js';
import { x86DebugEvents } from './debug-events.js';
import { full, GUEST_REGS, SMALL_DOMAIN, small } from './domains.js';
import { ERA_6_17, ERA_LTS_2025, eraFastPath, eraReload, eraVmxGuestDebugctl, FASTPATH_OFF, X86_ERA_DESCRIPTION } from './eras.js';
import { X86_KERNEL_EVENTS, x86Fields } from './fields.js';
import { effectiveSlots } from './hardware.js';
import { HOST_AREAS, SVM_VCPU_AREAS, VCPU_AREAS, VCPU_GHOST, VCPU_SCALARS } from './layout.js';
import { x86Lifecycle } from './lifecycle.machine.js';
import { retryAccess } from './reexecute.js';
import {
  CPU_BASED_MOV_DR_EXITING,
  DEBUGCTL,
  DEBUGCTLMSR_FREEZE_IN_SMM,
  DR,
  DR_CONTROLS,
  DR6,
  DR6_ACTIVE_LOW,
  DR6_EVENTS,
  DR7,
  DR7_FIXED_1,
  describeDr6,
  drIntercept,
  drNumber,
  REGISTER_COUNT,
  RFLAGS,
  SVM_DR_INTERCEPTS,
  VM_ENTRY_LOAD_DEBUG_CONTROLS,
  VM_EXIT_SAVE_DEBUG_CONTROLS,
  X86_EFLAGS_FIXED,
  x86RegisterFile,
} from './registers.js';
import { singleStep } from './single-step.js';
import { generalDetect, slotIntent, vmTransitions } from './vm-switch.js';

/** A vCPU's in-memory state, where KVM/x86 keeps it (struct kvm_vcpu_arch and the VMCS/VMCB). */
export interface X86Vcpu {
  readonly id: number;
  /** vcpu->arch.db[0..3] at DR0-DR3, vcpu->arch.dr6 at DR6, vcpu->arch.dr7 at DR7 (register ids). */
  readonly arch: Float64Array;
  /** vcpu->arch.eff_db[0..3] at DR0-DR3: what KVM loads into DR0-DR3 (the guest's, or userspace's). */
  readonly effDb: Float64Array;
  /**
   * VMX: the VMCS fields GUEST_DR7 (at DR7), GUEST_IA32_DEBUGCTL (at IA32_DEBUGCTL) and the primary
   * processor-based controls (at DR_CONTROLS). SVM: the VMCB save.dr6, save.dr7 and DR intercepts
   * (named `vmcb` in SVM's reports, and `k.vcpu.vmcb` there too).
   */
  readonly vmcs: Float64Array;
  /** vcpu->arch.switch_db_regs (KVM_DEBUGREG_*). */
  switchDbRegs: number;
  /** vcpu->guest_debug (KVM_GUESTDBG_*). */
  guestDebug: number;
  /** vcpu->arch.guest_debug_dr7: userspace's DR7. */
  guestDebugDr7: number;
  /** vcpu->arch.host_debugctl: the host's IA32_DEBUGCTL, read with interrupts off before entry. */
  hostDebugctl: number;
  /** VMX: the VMCS VM-entry controls (VM_ENTRY_LOAD_DEBUG_CONTROLS); SVM: unused. */
  vmEntryControls: number;
  /** VMX: the VMCS VM-exit controls (VM_EXIT_SAVE_DEBUG_CONTROLS); SVM: unused. */
  vmExitControls: number;
  /** SVM: the VMCB control virt_ext (LBR_CTL_ENABLE_MASK); VMX: unused. */
  virtExt: number;
  /** Words for a policy's own state. */
  readonly scratch: Float64Array;
}

/** An SVM vCPU: the VMCB also under the name SVM's reports print (`vcpu0.vmcb.*`), the same words as `vmcs`. */
export interface SvmVcpu extends X86Vcpu {
  readonly vmcb: Float64Array;
}

/** The x86-svm option for what the APM leaves open: the host's DR6 after #VMEXIT (registers.ts HSAVE_DR6). */
const VMEXIT_DR6_DESCRIPTION =
  "the host's DR6 after #VMEXIT, which the APM does not specify (vol. 2 15.5.1, 15.6): 0 = #VMEXIT gives the host its own back, as KVM assumes (1ccb6f983a4e, 5.15: the guest's DR6 on the CPU 'never happens at all on SVM'); 1 = the guest's DR6 stays on the CPU, #DB status bits included";

/** The host's per-CPU state. */
export interface X86Host {
  /** hw_breakpoint.c per-CPU cpu_debugreg[0..3] (at DR0-DR3) and cpu_dr7 (at DR7). */
  readonly hwBreakpoint: Float64Array;
  /** Policy-private per-CPU words (HOST_SCRATCH_WORDS, 16), for policies that keep per-CPU state of their own. */
  readonly scratch: Float64Array;
  /** SVM: the kvm_amd module parameter `lbrv` (svm.c; global, the same on every CPU). VMX: 0. */
  readonly lbrv: number;
  /** The kernel era the run loop follows (the `x86-era` model option, X86_ERAS): KVM's code differs per era. */
  readonly era: number;
}

/** The hook context an x86 policy receives. */
export type X86Context = HookContext<X86Vcpu, X86Host>;
/** The hooks an x86 policy provides. */
export type X86Hooks = Hooks<X86Vcpu, X86Host>;

/** KVM_GET_DEBUGREGS for one register when a policy gives no getReg: the in-memory value. */
const commonCode: X86Hooks = { getReg: (k, reg) => k.vcpu.arch[reg] as number };

function x86Model(vmx: boolean): ArchModel {
  const id = vmx ? 'x86-vmx' : 'x86-svm';
  return {
    id,
    summary: vmx
      ? 'x86 Intel VMX: DR0-3, DR6, DR7, IA32_DEBUGCTL; VMCS GUEST_DR7/DEBUGCTL loaded at entry, DR7=0x400 and DEBUGCTL=0 at exit; MOV-DR exiting'
      : 'x86 AMD SVM: DR0-3, DR6, DR7, IA32_DEBUGCTL; VMCB DR6/DR7 switched by VMRUN/#VMEXIT, DR0-3 not; DR read/write intercepts',
    costNote: X86_COSTS.note,
    options: [
      { name: 'cpus', describe: 'physical CPUs', default: 2, min: 1, max: 4 },
      { name: 'vcpus', describe: 'vCPUs', default: 1, min: 1, max: 3 },
      { name: 'x86-era', describe: X86_ERA_DESCRIPTION, default: ERA_6_17, min: ERA_6_17, max: ERA_LTS_2025 },
      ...(vmx
        ? []
        : [
            {
              name: 'lbrv',
              describe:
                'kvm_amd lbrv: 1 = guest WRMSR DEBUGCTL kept in the VMCB, LBR virtualisation on while it has LBR (svm_update_lbrv), KVM switches DEBUGCTL by hand otherwise; 0 = guest writes dropped, always switched by hand (svm.c, 6.14+)',
              default: 1,
              min: 0,
              max: 1,
            },
            {
              name: 'vmexit-dr6',
              describe: VMEXIT_DR6_DESCRIPTION,
              default: 0,
              min: 0,
              max: 1,
            },
          ]),
    ],
    smallDomain: SMALL_DOMAIN,
    instantiate(config: ModelConfig): ModelInstance {
      const { domain: domainOption, ...options } = config;
      const era = config['x86-era'] ?? ERA_6_17;
      const guestDebugctl = vmx ? eraVmxGuestDebugctl(era) : (config.lbrv ?? 1) === 1;
      const d = domainOption === DOMAIN_SMALL ? small(guestDebugctl) : full(vmx, guestDebugctl);
      const registers = x86RegisterFile(vmx);
      // RDMSR/WRMSR of IA32_DEBUGCTL always exit: neither vmx.c's passthrough list nor svm.c's direct_access_msrs has it.
      const traps = vmx
        ? (hw: Float64Array, o: number, reg: number) =>
            reg === DEBUGCTL || ((hw[o + DR_CONTROLS] as number) & CPU_BASED_MOV_DR_EXITING) !== 0
        : (hw: Float64Array, o: number, reg: number, isWrite: boolean) =>
            reg === DEBUGCTL || ((hw[o + DR_CONTROLS] as number) & drIntercept(drNumber(reg), isWrite)) !== 0;
      const view: DebugView = {
        // DR0-DR3 of breakpoints the host does not enable are "don't care" (x86.c: "If we don't have
        // active breakpoints in the host, we don't care about the messed up debug address registers"):
        // enabled host slots are compared by guest-breakpoints-quiet-in-host and the host hit checks.
        // DR6 too: the host's #DB handler (traps.c debug_read_clear_dr6) expects DR6_RESERVED, with no stale event bits.
        hostState: new Int32Array([DR6, DR7, DEBUGCTL]),
        // The guest runs with its own DEBUGCTL though it cannot read it untrapped; VMX keeps the host's
        // FREEZE_IN_SMM while the guest runs (vmx.h vmx_guest_debugctl_write, 6.17 HOST_OWNED_DEBUGCTL).
        inForce: { regs: new Int32Array([DEBUGCTL]), hostOwned: (reg) => (vmx && reg === DEBUGCTL ? DEBUGCTLMSR_FREEZE_IN_SMM : 0) },
        guestVisible: new Int32Array(GUEST_REGS),
        slotRegs: new Int32Array([0, 1, 2, 3].flatMap((n) => [DR(n), DR7])),
        slotNames: ['DR0', 'DR1', 'DR2', 'DR3'],
        gateRegs: new Int32Array([DR7]),
        hostLevels: [0],
        guestLevels: [0],
        effective: effectiveSlots,
        // Every #DB is intercepted and KVM injects it into the guest or hands it to userspace.
        deliversToGuest: () => true,
        slotIntent,
        status: { reg: DR6, events: DR6_EVENTS, describe: describeDr6 },
      };
      return {
        arch: id,
        config: { cpus: 2, vcpus: 1, ...options },
        registers,
        lifecycle: compileLifecycle(x86Lifecycle),
        memory: {
          ...(vmx ? { vcpuAreas: VCPU_AREAS } : { vcpuAreas: SVM_VCPU_AREAS, vcpuAreaAliases: { vmcs: 'vmcb' } }),
          hostAreas: HOST_AREAS,
          vcpuScalars: VCPU_SCALARS,
          hostScalars: ['lbrv', 'era'],
        },
        view,
        guestReadable: new Int32Array(d.readable),
        guestWritable: new Int32Array(d.writable),
        valueDomain: d.values,
        traps,
        events: x86DebugEvents(d.domain, vmx, eraFastPath(era, vmx)),
        lifecycleOff: FASTPATH_OFF[eraFastPath(era, vmx)],
        defaultHooks: commonCode as Hooks<never, never>,
        ghost: { cpu: STATUS_GHOST, vcpu: VCPU_GHOST },
        fields: x86Fields(eraReload(era)),
        kernelEvents: X86_KERNEL_EVENTS,
        transition: vmTransitions(vmx, !vmx && config['vmexit-dr6'] === 1),
        guestAccess: generalDetect(vmx, traps),
        retryAccess,
        instruction: singleStep,
        reset(w: World) {
          const R = REGISTER_COUNT;
          const A = VCPU_AREAS.length;
          for (let c = 0; c < w.shape.cpus; c++) {
            w.hw.set(registers.reset, c * R);
            w.hostIntent.set(registers.reset, c * R);
            // Per CPU: the host scalars (lbrv, era), then the policy's HOST_SCRATCH_WORDS (execute.ts hostView).
            const h = c * (2 + HOST_SCRATCH_WORDS);
            w.hostScalar[h] = vmx ? 0 : (config.lbrv ?? 1);
            w.hostScalar[h + 1] = era;
          }
          for (let v = 0; v < w.shape.vcpus; v++) {
            for (const reg of GUEST_REGS) w.guestIntent[v * R + reg] = registers.reset[reg] as number;
            const arch = v * A * R;
            w.vcpuMem[arch + DR6] = DR6_ACTIVE_LOW; // kvm_vcpu_reset
            w.vcpuMem[arch + DR7] = DR7_FIXED_1;
            const vmcs = (v * A + VCPU_AREAS.indexOf('vmcs')) * R;
            w.vcpuMem[vmcs + DR7] = DR7_FIXED_1;
            w.vcpuMem[vmcs + RFLAGS] = X86_EFLAGS_FIXED;
            // VMX: init_vmcs sets MOV-DR exiting; SVM: init_vmcb set_dr_intercepts(), save.dr6 = DR6_ACTIVE_LOW.
            w.vcpuMem[vmcs + DR_CONTROLS] = vmx ? CPU_BASED_MOV_DR_EXITING : SVM_DR_INTERCEPTS;
            if (!vmx) w.vcpuMem[vmcs + DR6] = DR6_ACTIVE_LOW;
            // setup_vmcs_config: both debug-control bits are required (vmx.c), so every VMCS has them.
            const scalars = v * (VCPU_SCALARS.length + SCRATCH_WORDS);
            if (vmx) {
              w.vcpuScalar[scalars + VCPU_SCALARS.indexOf('vmEntryControls')] = VM_ENTRY_LOAD_DEBUG_CONTROLS;
              w.vcpuScalar[scalars + VCPU_SCALARS.indexOf('vmExitControls')] = VM_EXIT_SAVE_DEBUG_CONTROLS;
            }
          }
        },
        readCost: (reg) => (reg === DEBUGCTL ? X86_COSTS.msr : X86_COSTS.drRead),
        writeCost: (reg) => (reg === DEBUGCTL ? X86_COSTS.msr : X86_COSTS.drWrite),
      };
    },
  };
}

/**
 * Cycle costs of a debug-register access: an ESTIMATE, no vendor publishes one. MOV to a debug
 * register is serializing (SDM Vol. 3 "Serializing Instructions"), so writes are charged twice
 * reads; RDMSR/WRMSR of IA32_DEBUGCTL as a typical MSR access.
 */
const X86_COSTS = {
  drRead: 20,
  drWrite: 40,
  msr: 100,
  note: 'ESTIMATE: MOV from DRn 20 cycles, MOV to DRn 40 (serializing), RDMSR/WRMSR IA32_DEBUGCTL 100; no published figure',
};

/** The Intel VMX model. */
export const x86Vmx: ArchModel = x86Model(true);
/** The AMD SVM model. */
export const x86Svm: ArchModel = x86Model(false);
