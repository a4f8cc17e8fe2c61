import type { Executor } from './execute.js';
import type { Lifecycle } from './lifecycle.js';
import type { Hooks } from './policy.js';
import type { FieldTable } from './register-fields.js';
import type { RegisterFile } from './register-file.js';
import type { TraceView } from './trace-session.js';
import type { World } from './world.js';

/** A number a model can be configured with (CPU count, breakpoint count, ...). */
export interface ModelOption {
  readonly name: string;
  readonly describe: string;
  readonly default: number;
  readonly min: number;
  readonly max: number;
}

/** The configuration of one model instance: option name → value (always includes cpus and vcpus). */
export type ModelConfig = Readonly<Record<string, number>>;

/** How an operand is written in a saved trace and a report. */
export type OperandKind = 'cpu' | 'vcpu' | 'slot' | 'reg' | 'value' | readonly string[];

/** One event of the interleaving alphabet (DESIGN §4), with its operands packed into a Float64Array. */
export interface EventKind {
  readonly type: string;
  /** Relative frequency among enabled events. */
  readonly weight: number;
  readonly operands: readonly (readonly [name: string, kind: OperandKind])[];
  /**
   * Whether any instance of the event is enabled in the current world. Called by Executor.decode
   * only, so it may use the executor's per-step counts (vcpusEnabling, hostCpuCount).
   */
  enabled(x: Executor): boolean;
  /**
   * The lifecycle machine event this kind is gated by, when `enabled` is exactly "some vCPU's
   * machine enables it": the executor then reads its per-step counts instead of calling `enabled`.
   */
  readonly gate?: string | undefined;
  /** True when `enabled` is exactly "some CPU runs host code": the executor reads its per-step count instead of calling it. */
  readonly hostGate?: boolean | undefined;
  /**
   * A policy hook the kind needs: `enabled` is false for a policy without it (and, with a gate, is
   * exactly the gate for a policy with it). The executor decides once, at construction.
   */
  readonly needsHook?: string | undefined;
  /** Writes the operands picked by the raw choice `r` into `ev[1..]`; called only when enabled. */
  decode(x: Executor, r: number, ev: Float64Array): void;
  /** Whether the concrete event `ev` is enabled now (replay of saved traces). */
  accepts(x: Executor, ev: Float64Array): boolean;
  /** Emits every enabled instance over the model's operand domains (exhaustive exploration); `ev` is reused. */
  enumerate(x: Executor, emit: (ev: Float64Array) => void): void;
  apply(x: Executor, ev: Float64Array): void;
}

/**
 * What the architecture-neutral invariants ask of a model: which registers make up host and guest
 * debug state, and when a breakpoint or watchpoint slot is effective.
 */
/** A field of a register the host depends on (`DebugView.hostFieldsOn`): its bits and its name. */
export interface HostField {
  readonly reg: number;
  readonly mask: number;
  readonly name: string;
}

export interface DebugView {
  /** Registers whose hardware value the host owns while it runs (compared with hostIntent). */
  readonly hostState: Int32Array;
  /**
   * For facilities with a master enable (Book E DBCR0[IDM]): while it is off both on hardware and in
   * the host's intent, `regs` are inert and need not hold the host's values (the kernel itself skips
   * them then: powerpc process.c switch_booke_debug_regs).
   */
  readonly hostInert?: { off(r: Float64Array, o: number): boolean; readonly regs: Int32Array };
  /**
   * The registers of `hostState` that matter to the host code that can run on `cpu` now, where that
   * depends on what runs there (arm64 VHE: MDCR_EL2 only affects the host's EL0, which cannot run
   * while a vCPU is loaded); `hostState` when absent.
   */
  hostStateOn?(x: Executor, cpu: number): Int32Array;
  /**
   * Fields of registers left out of `hostStateOn` that the host code on `cpu` still depends on now,
   * compared under `mask` (arm64 VHE: MDCR_EL2.HPMN while a vCPU is loaded, which decides which PMU
   * counters count at EL2); none when absent or undefined.
   */
  hostFieldsOn?(x: Executor, cpu: number): readonly HostField[] | undefined;
  /** Registers the guest can read (compared with guestIntent). */
  readonly guestVisible: Int32Array;
  /** Breakpoint and watchpoint slots: `slotRegs[2s]` the value register, `slotRegs[2s+1]` the control register. */
  readonly slotRegs: Int32Array;
  readonly slotNames: readonly string[];
  /** Registers whose bits gate every slot (e.g. MDSCR_EL1, MDCR_EL2): named when slots agree but effectiveness differs. */
  readonly gateRegs: Int32Array;
  /** Exception levels (or privilege levels) host code and guest code run at. */
  readonly hostLevels: readonly number[];
  readonly guestLevels: readonly number[];
  /** Bitmask of slots that are armed and enabled for code at `level`, given register file `r` at offset `o`. */
  effective(r: Float64Array, o: number, level: number): number;
  /** Whether a debug exception raised by guest code at `level` is taken by the guest itself. */
  deliversToGuest(r: Float64Array, o: number, level: number): boolean;
  /**
   * Where the bp/wp slots vCPU `v` must have while it runs are kept, when not in `guestIntent` (e.g.
   * x86 userspace breakpoints share DR0-DR7 with the guest's own values): a register-indexed array and offset.
   * The answer may be one object the next call reuses: read it before asking again.
   */
  slotIntent?(x: Executor, v: number): { readonly r: Float64Array; readonly o: number };
  /**
   * For models whose userspace debugger takes the guest's own debug registers (arm64 KVM_SET_GUEST_DEBUG):
   * while it debugs vCPU `v`, the register file (offset 0) whose breakpoints must be effective instead
   * of the guest's, with hits exiting to userspace; otherwise undefined.
   */
  vmmIntent?(x: Executor, v: number): Float64Array | undefined;
  /**
   * The guest's own software-step state (arm64 PSTATE.SS) while its own debugger controls it on `cpu`:
   * `live` the value on hardware, `own` the value the guest made it; undefined while someone else
   * (userspace single-stepping) owns it or the model has none (`guest-step-preserved`); `why`, where the
   * model knows how a difference comes about, replaces the message's generic explanation.
   */
  guestStep?(
    x: Executor,
    v: number,
    cpu: number,
  ): { readonly live: number; readonly own: number; readonly name: string; readonly why?: string | undefined } | undefined;
  /**
   * Registers in force while the guest runs that it cannot read without trapping (x86 IA32_DEBUGCTL,
   * whose RDMSR/WRMSR always exit): the hardware must hold the guest's value, except for the bits
   * `hostOwned(reg)`, which keep the host's (`guest-isolation`: no host value, no host-owned bit lost;
   * `no-stale-read`: any other value). Default none.
   */
  readonly inForce?: { readonly regs: Int32Array; hostOwned(reg: number): number };
  /** Self-hosted trace filtering, for models that have it (`trace-filter-honored`). */
  readonly trace?: TraceView;
  /** The debug status register, for models that latch debug events (e.g. PowerPC DBSR); see debug-status.ts. */
  readonly status?: { readonly reg: number; readonly events: number; describe(mask: number): string };
}

/** Names of the memory a policy sees: register-indexed areas and scalar words. */
export interface MemoryLayout {
  /** vCPU memory areas, by the names reports print (`vcpu0.<area>.<register>`) and hooks use (`k.vcpu.<area>`). */
  readonly vcpuAreas: readonly string[];
  /**
   * More names of a vCPU area in hooks, not in reports: x86-svm's VMCB is `vmcb` in its traces and
   * also `k.vcpu.vmcs`, the name the code VMX and SVM share uses ({ vmcs: 'vmcb' }).
   */
  readonly vcpuAreaAliases?: Readonly<Record<string, string>>;
  readonly hostAreas: readonly string[];
  readonly vcpuScalars: readonly string[];
  /** Scalar words of the host's per-CPU data (default none). */
  readonly hostScalars?: readonly string[];
}

/** What the hardware does around each guest instruction (arm64 software step: MDSCR_EL1.SS, PSTATE.SS). */
export interface InstructionHooks {
  /**
   * Before a guest instruction on vCPU `v` at view level `level` (0 user, 1 kernel; register accesses
   * are kernel code): whether an exception is taken instead, so the instruction does not execute.
   */
  before(x: Executor, v: number, level: number): boolean;
  /**
   * After it completed: on hardware (`trapped` false), or emulated by the hypervisor after it trapped
   * (`Executor.trapExit` then holds what the trap hook returned), or left by the trap hook to run again
   * (TrapParams.retry, where the model re-executes it: not completed, but what the hook returned is
   * judged). For a register access, `reg` and `isWrite` name it; -1 and false for other instructions.
   */
  after(x: Executor, v: number, trapped: boolean, level: number, reg?: number, isWrite?: boolean): void;
  /** vCPU `v` is reset (its PSTATE and kernel restart from reset values): the guest's own step state is gone. */
  reset?(x: Executor, v: number): void;
}

/** An architecture variant configured for one check. */
export interface ModelInstance {
  readonly arch: string;
  readonly config: ModelConfig;
  readonly registers: RegisterFile;
  readonly lifecycle: Lifecycle;
  readonly memory: MemoryLayout;
  readonly view: DebugView;
  /** Registers the generator has the guest (and userspace) read. */
  readonly guestReadable: Int32Array;
  /** Registers the guest may write, and the values the generator writes to each. */
  readonly guestWritable: Int32Array;
  valueDomain(reg: number): readonly number[];
  /** Whether a guest access to `reg` traps to the hypervisor under the live trap configuration. */
  traps(hw: Float64Array, o: number, reg: number, isWrite: boolean): boolean;
  /** Architecture-specific events (host debug users, guest execution and data accesses). */
  readonly events: readonly EventKind[];
  /**
   * Hooks the model's events call themselves, besides the lifecycle machine's actions and the
   * kinds' `needsHook` (armv7: `hostTrap`, from a host CP14 write HDCR traps): with those, every
   * hook the model can call, so a policy's hook it never calls can be named (selection.ts).
   */
  readonly directHooks?: readonly string[];
  /**
   * Whether userspace's vCPU ioctls (KVM_GET/SET_ONE_REG, KVM_SET_GUEST_DEBUG) run with the vCPU put:
   * on arm64 since Linux 4.16 ("KVM: arm/arm64: Avoid vcpu_load for other vcpu ioctls than KVM_RUN")
   * they take no vcpu_load and run between two KVM_RUNs. The event then puts the vCPU, runs the ioctl's
   * hook and loads the vCPU again on the same CPU (`VcpuIoctls.ioctl`). Unset: they run loaded (x86, whose
   * kvm_arch_vcpu_ioctl loads the vCPU; the 2015-era models, where kvm_vcpu_ioctl did).
   */
  readonly ioctlsPut?: boolean;
  /**
   * Whether userspace reaches the modelled registers with KVM_GET/SET_ONE_REG (`VMM_GET_REG`,
   * `VMM_SET_REG` in the alphabet); default true. 32-bit KVM/arm's ONE_REG had cp15, VFP and CCSIDR
   * only, no CP14 debug register (arch/arm/kvm/coproc.c index_to_coproc_reg: "We only do cp15 for now").
   * A model that sets it false offers the option `one-reg` to put the ioctls back (trace errors name it).
   */
  readonly oneReg?: boolean;
  /**
   * Lifecycle events this configuration's kernel has no path for (x86: the fast-path events of an era
   * whose run loop lacks them), which the model never fires: `--coverage` lists the transitions they
   * label as not in this configuration instead of warning that they were never taken.
   */
  readonly lifecycleOff?: readonly string[];
  /** Hooks the architecture's common code provides when a policy does not (e.g. KVM_GET_ONE_REG). */
  readonly defaultHooks: Hooks<never, never>;
  /** Puts the architecture's reset state into `w` (hardware, vCPU memory, intents). */
  reset(w: World): void;
  /**
   * Ghost words the model keeps for its invariants, by name: per CPU and per vCPU (default none).
   * Part of the world (copied, packed, diffed in reports); never visible to a policy.
   */
  readonly ghost?: { readonly cpu: readonly string[]; readonly vcpu: readonly string[] };
  /**
   * What the hardware does between two instructions, at every observation point: after each hardware
   * write inside a hook (`inHook`) and at the end of each event, before the state invariants run.
   * It may latch status and take interrupts; outside hooks it may fire lifecycle events (an exit).
   */
  observe?(x: Executor, cpu: number, inHook: boolean): void;
  /**
   * What the CPU does by itself on a lifecycle transition, before the transition's hook runs (x86 VM
   * entry loads DR7 from the VMCS, VM exit resets it). `event` and `target` index the lifecycle.
   */
  transition?(x: Executor, v: number, cpu: number, event: number, target: number): void;
  /**
   * A guest register access the architecture faults before it executes (x86 DR7.GD): the model
   * updates the intents and takes the trap or exception itself, and returns true; false to go on normally.
   */
  guestAccess?(x: Executor, v: number, reg: number, isWrite: boolean, value: number): boolean;
  /**
   * A trapped guest access whose handler set TrapParams.retry: the instruction did not complete and
   * runs again when the vCPU next enters the guest. The model records it (in its ghost state) and
   * re-executes it then; the guest's intent is left as it was before the access.
   */
  retryAccess?(x: Executor, v: number, reg: number, isWrite: boolean, value: number): void;
  /** Software step, for models that have it: called around every guest instruction event. */
  readonly instruction?: InstructionHooks;
  /** The fields of its registers and memory words, for reports only (register-fields.ts). */
  readonly fields?: FieldTable;
  /** Each event's kernel counterpart (`GUEST_ENTER`: the arch's entry function), for reports; overrides the common names. */
  readonly kernelEvents?: Readonly<Record<string, string>>;
  /** Cycle cost of a hardware read and write of `reg` (DESIGN §6 cost.ts): a function of `reg` alone, asked once per register. */
  readCost(reg: number): number;
  writeCost(reg: number): number;
}

/**
 * Operand domains: `full` for random checking, `small` for exhaustive exploration (fewer slots,
 * addresses and values; the same model and semantics). Passed to `instantiate` as config.domain.
 */
export const DOMAIN_FULL = 0;
export const DOMAIN_SMALL = 1;

/** A usage case `worldswitch cost` measures on an architecture beyond the four every one has. */
export interface CostCase {
  /** The key in the JSON report, e.g. `mdbgenAlways`. */
  readonly name: string;
  readonly describe: string;
  /** Model options the case sets (e.g. a guest kernel that keeps debug enabled). */
  readonly config: ModelConfig;
  /** Whether the host's debug users and the guest arm slots in this case. */
  readonly host: boolean;
  readonly guest: boolean;
}

/** An architecture variant: its options and how to instantiate it. */
export interface ArchModel {
  readonly id: string;
  readonly summary: string;
  readonly options: readonly ModelOption[];
  /** One line describing the small (explore) domain, printed with every explore verdict. */
  readonly smallDomain: string;
  /** Where the cycle costs of `readCost`/`writeCost` come from (a source, or stated as an estimate). */
  readonly costNote?: string;
  /** Usage cases `cost` measures besides neither, hostOnly, guestOnly and both. */
  readonly costCases?: readonly CostCase[];
  instantiate(config: ModelConfig): ModelInstance;
}
