import type { ExitReason } from './execute.js';
import { HOOK_NAMES } from './lifecycle.js';

/** The physical registers of the CPU a hook runs on. Every access is charged and observed. */
export interface Hw {
  read(reg: number): number;
  write(reg: number, value: number): void;
}

/** A trapped register access, as the kernel's `struct sys_reg_params`: set `regval` on a read. */
export interface TrapParams {
  reg: number;
  isWrite: boolean;
  regval: number;
  /**
   * Set by a trap handler that returns without completing the access (x86 handle_dr turning DR exits
   * off: "reenter on this instruction"): the guest executes it again at its next entry. Models that
   * support re-execution (ModelInstance.retryAccess) take it; elsewhere it is ignored.
   */
  retry?: boolean;
}

/** What userspace passed to KVM_SET_GUEST_DEBUG (struct kvm_guest_debug, as far as it is modelled). */
export interface GuestDebug {
  /** KVM_GUESTDBG_ENABLE. */
  readonly enable: boolean;
  /** KVM_GUESTDBG_USE_HW_BP: `bps` are hardware breakpoints. */
  readonly useHw: boolean;
  /** Breakpoint addresses, in the order userspace gave them. */
  readonly bps: readonly number[];
  /** KVM_GUESTDBG_SINGLESTEP (architectures that model it). */
  readonly singleStep?: boolean;
  /** struct kvm_guest_debug_arch as userspace filled it, where the architecture has one (x86: debugreg[0..7]). */
  readonly arch?: readonly number[];
  /**
   * arm64 struct kvm_guest_debug_arch: the breakpoint and watchpoint control and value registers
   * userspace wants (KVM_ARM_MAX_DBG_REGS = 16 each; unused slots 0), which KVM copies into
   * `external_debug_state` when KVM_GUESTDBG_USE_HW is set.
   */
  readonly dbg_bcr?: readonly number[];
  readonly dbg_bvr?: readonly number[];
  readonly dbg_wcr?: readonly number[];
  readonly dbg_wvr?: readonly number[];
}

/** What a hook sees: hardware, the vCPU's memory state, the host's per-CPU state, and BUG/WARN. */
export interface HookContext<V = unknown, H = unknown> {
  readonly hw: Hw;
  /** The vCPU's in-memory state, laid out where the kernel keeps it (the model names the fields). */
  readonly vcpu: V;
  /** The per-CPU host state of the CPU the hook runs on. */
  readonly host: H;
  /** smp_processor_id(). */
  readonly cpu: number;
  /** BUG(): stops the hook; reported as a `policy-total` violation. */
  bug(message: string): never;
  /** WARN(): recorded and shown in the trace; the hook goes on. */
  warn(message: string): void;
  /**
   * local_irq_disable() in the run loop: an interrupt the checker placed in the loop's
   * interrupts-enabled window (e.g. a trace session change) is taken here, before the call returns.
   */
  localIrqDisable(): void;
}

/** The hooks a policy may provide (DESIGN §3); a missing one does nothing or, for register access, the model's default. */
export interface Hooks<V = unknown, H = unknown> {
  vcpuLoad?(k: HookContext<V, H>): void;
  vcpuPut?(k: HookContext<V, H>): void;
  guestEnter?(k: HookContext<V, H>): void;
  /**
   * The guest exited for `reason` (one of EXIT_REASONS). Where the model has it (x86, ppc-booke),
   * the return value is the exit handler's: KVM_EXIT_DEBUG sends a debug exit to userspace; anything
   * else (or nothing) resumes the guest's run loop. On x86, `reason` is `fastpath` when the run loop is
   * left after a fast-path exit that asked to exit to userspace (the `fastpath` hook returned a number):
   * the vendor's vcpu_run exit half already ran in that hook, no exit handler runs, the return value is ignored.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook that returns nothing (void) is the common case and must type-check.
  guestExit?(k: HookContext<V, H>, reason: ExitReason | (string & {})): number | undefined | void;
  /**
   * A trapped guest access: emulate it. Where the model has it (x86), the return value is the exit
   * handler's, as guestExit's: KVM_EXIT_DEBUG ends KVM_RUN with a debug exit to userspace (x86
   * kvm_skip_emulated_instruction reporting the emulated instruction's single-step); anything else
   * (or nothing) resumes the guest.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook that returns nothing (void) is the common case and must type-check.
  trap?(k: HookContext<V, H>, p: TrapParams): number | undefined | void;
  getReg?(k: HookContext<V, H>, reg: number): number;
  setReg?(k: HookContext<V, H>, reg: number, value: number): void;
  vcpuReset?(k: HookContext<V, H>): void;
  /** KVM_SET_GUEST_DEBUG; the return value is the ioctl's (0 or a negative errno). */
  setGuestDebug?(k: HookContext<V, H>, dbg: GuestDebug): number | undefined;
  /**
   * A fast-path exit handled with interrupts off (x86: the guest's WRMSR that handle_fastpath_set_msr_irqoff
   * completes). Returning nothing (or anything but a number) re-enters the guest without leaving the run
   * loop (EXIT_FASTPATH_REENTER_GUEST). Returning a number exits to userspace with that exit reason
   * (EXIT_FASTPATH_EXIT_USERSPACE, 6.12+; KVM_EXIT_DEBUG when skipping the instruction reported its
   * single-step): the run loop's exit path then runs as guestExit(k, 'fastpath'), whose return value is
   * not used (no exit handler runs), and KVM_RUN returns. Where the run loop does not re-enter from this
   * fast path (x86 Linux 5.10: every fast path on SVM, the x2APIC ICR WRMSR on VMX), returning nothing
   * runs guestExit(k, 'fastpath') as the exit path and the exit handler (handle_exit returns 1 for a
   * fast-path exit; its return value is not used either), and the guest is entered again by the next
   * GUEST_ENTER. `msr` is the WRMSR's MSR index where the era's run loop goes on differently for each
   * (x86 5.10 and 5.15 VMX: MSR_IA32_TSC_DEADLINE 0x6e0 re-enters, the x2APIC ICR 0x830 does not), else undefined.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook that returns nothing (void) is the common case and must type-check.
  fastpath?(k: HookContext<V, H>, msr?: number): number | undefined | void;
  /**
   * A host register access that traps to the hypervisor (e.g. ARMv7 HDCR.TDA left set while the host
   * runs): emulate it. `k.vcpu` is the vCPU loaded on the CPU, or undefined when none is.
   */
  hostTrap?(k: HookContext<V, H>, p: TrapParams): void;
  /** The hypervisor reads a guest register for itself (kvm_vcpu_is_be, kvm_arm_setup_debug): vcpu_read_sys_reg; on arm64-vhe, SCTLR_EL1, MDSCR_EL1, ESR_EL1, TCR_EL1 or TTBR0/1_EL1. */
  hypReadReg?(k: HookContext<V, H>, reg: number): number;
  /** The hypervisor writes a guest register for itself (ESR_EL1/FAR_EL1 when injecting an abort, the only two on arm64-vhe): vcpu_write_sys_reg. */
  hypWriteReg?(k: HookContext<V, H>, reg: number, value: number): void;
  /**
   * The interface a host trace driver calls on its own CPU, preemption disabled, to say which trace
   * filter value guests must run with (Linux: kvm_etm_set_guest_trfcr, kvm_tracing_set_el1_configuration).
   * `k.vcpu` is the vCPU loaded on that CPU (kvm_get_running_vcpu()), or undefined.
   */
  setGuestTrace?(k: HookContext<V, H>, value: number): void;
  /**
   * KVM_RUN's way in, for architectures whose run loop handles exits without leaving it (PowerPC
   * Book E kvmppc_vcpu_run): runs once per KVM_RUN, before the first guest entry; `guestEnter` then
   * runs only for the re-entries inside the loop.
   */
  runEnter?(k: HookContext<V, H>): void;
  /**
   * KVM_RUN returns to userspace (the RUN_RETURN event: a signal is pending, or an exit userspace
   * handles): what the run loop's way out does before vcpu_put (arm64 kvm_arch_vcpu_ioctl_run's
   * `out:` path commits a pending PC adjustment; Book E kvmppc_vcpu_run restores the host's debug
   * registers). Models whose lifecycle tells the run loop apart from preemption (arm64-vhe, ppc-booke).
   */
  runReturn?(k: HookContext<V, H>): void;
}

/** What `definePolicy` takes. */
export interface PolicyDefinition<V = unknown, H = unknown> {
  /** `<name>`, unique within its architecture. */
  readonly name: string;
  /** The architecture variant the policy is written for, e.g. `arm64-nvhe`. */
  readonly arch: string;
  /** One line: the strategy and where it comes from. */
  readonly summary?: string;
  readonly hooks: Hooks<V, H>;
  /**
   * Model options the policy's era fixes, used where a run does not set them (a flag still wins):
   * e.g. `{ 'debug-abi': 2015 }` for Linux 6.1–6.13 code, judged by what that era owed userspace.
   */
  readonly defaults?: Readonly<Record<string, number>>;
  /**
   * Model option values the policy's code is faithful to, each with why: a run with another value
   * is refused (`check x86-vmx/x86-lazy-2014 --x86-era 2`: 6.13/6.17 code is not 5.7's), never judged.
   */
  readonly scope?: Readonly<Record<string, PolicyScope>>;
}

/** The values of one model option a policy models, and why no others. */
export interface PolicyScope {
  readonly values: readonly number[];
  readonly why: string;
}

/** A switch policy, ready to check. */
export interface Policy<V = unknown, H = unknown> extends PolicyDefinition<V, H> {
  readonly kind: 'worldswitch-policy';
  readonly summary: string;
}

/** A policy definition the checker cannot take. */
export class PolicyError extends Error {
  readonly code = 'ERR_POLICY_DEFINITION';
}

/** A run with a model option value the policy's `scope` leaves out: no verdict is given. */
export class PolicyScopeError extends Error {
  readonly code = 'ERR_POLICY_SCOPE';
}

const NAME = /^[a-z0-9][a-z0-9._-]*$/;

/** The policies that ship with worldswitch (models/catalog.ts marks them): tested code, run with open memory areas (hook-views.ts). */
const builtIn = new WeakSet<object>();

/** Marks `policies` as built in (models/catalog.ts, once per thread). */
export function markBuiltIn(policies: readonly Policy[]): void {
  for (const p of policies) builtIn.add(p);
}

/** Whether `p` ships with worldswitch: a user's policy (a file, or the API) gets closed memory areas. */
export function isBuiltIn(p: Policy): boolean {
  return builtIn.has(p);
}

/** Validates a policy definition and marks it as a policy. */
export function definePolicy<V = unknown, H = unknown>(def: PolicyDefinition<V, H>): Policy<V, H> {
  validateDefinition(def);
  return Object.freeze({
    ...def,
    summary: def.summary ?? '',
    hooks: Object.freeze(hooksOf(def.hooks)),
    // Copied and frozen: a hook that changed them would change the configuration of the next run.
    ...(def.defaults ? { defaults: Object.freeze({ ...def.defaults }) } : {}),
    ...(def.scope ? { scope: frozenScope(def.scope) } : {}),
    kind: 'worldswitch-policy' as const,
  });
}

/**
 * The hooks of `hooks` by name, wherever the object keeps them: own properties, enumerable or not,
 * and methods of its class (a spread would keep only the own enumerable ones and drop the rest
 * without a word, leaving the model's defaults to run in their place).
 */
function hooksOf<V, H>(hooks: Hooks<V, H>): Hooks<V, H> {
  const out: Record<string, unknown> = {};
  for (const name of HOOK_NAMES) {
    const fn = (hooks as Record<string, unknown>)[name];
    if (fn !== undefined) out[name] = fn;
  }
  return out as Hooks<V, H>;
}

/**
 * Throws a PolicyError naming what is wrong with `def`: its name, arch, summary, and hooks (an
 * object of known hook names, each a function). `definePolicy` runs it; so does loading a policy
 * file, on every export marked as a policy (an object that claims `kind: 'worldswitch-policy'`
 * without going through `definePolicy` must not reach the executor).
 */
export function validateDefinition(value: unknown): asserts value is PolicyDefinition {
  if (typeof value !== 'object' || value === null) throw new PolicyError('definePolicy expects an object { name, arch, summary, hooks }.');
  const def = value as { name?: unknown; arch?: unknown; summary?: unknown; hooks?: unknown };
  if (typeof def.name !== 'string' || !NAME.test(def.name)) {
    throw new PolicyError(`Policy name ${JSON.stringify(def.name)} is not valid: use lower-case letters, digits, ".", "_" and "-".`);
  }
  if (typeof def.arch !== 'string') throw new PolicyError(`Policy "${def.name}" has no arch; set arch, e.g. "arm64-nvhe".`);
  if (def.summary !== undefined && typeof def.summary !== 'string') throw new PolicyError(`Policy "${def.name}": summary is not a string.`);
  if (typeof def.hooks !== 'object' || def.hooks === null) {
    throw new PolicyError(`Policy "${def.name}" has no hooks object: set hooks: { guestEnter(k) { … }, … } (it may be empty).`);
  }
  for (const key of Object.keys(def.hooks ?? {})) {
    if (!(HOOK_NAMES as readonly string[]).includes(key)) {
      throw new PolicyError(`Policy "${def.name}" has an unknown hook "${key}". Expected some of: ${HOOK_NAMES.join(', ')}.`);
    }
  }
  // Every hook name, also where a spread would not see it (a class method, a non-enumerable property).
  for (const key of HOOK_NAMES) {
    const fn = (def.hooks as Record<string, unknown>)[key];
    if (fn !== undefined && typeof fn !== 'function') throw new PolicyError(`Policy "${def.name}": hook "${key}" is not a function.`);
  }
  validateOptions(def.name, value as { defaults?: unknown; scope?: unknown });
}

/** A copy of `scope` no one can change. */
function frozenScope(scope: Readonly<Record<string, PolicyScope>>): Readonly<Record<string, PolicyScope>> {
  const out: Record<string, PolicyScope> = {};
  for (const [name, { values, why }] of Object.entries(scope)) out[name] = Object.freeze({ values: Object.freeze([...values]), why });
  return Object.freeze(out);
}

/** `defaults` and `scope` hold whole numbers per option name (which names the model has is checked when it runs). */
function validateOptions(name: string, def: { defaults?: unknown; scope?: unknown }): void {
  const whole = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v);
  const record = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (def.defaults !== undefined) {
    if (!record(def.defaults) || !Object.values(def.defaults).every(whole)) {
      throw new PolicyError(`Policy "${name}": defaults must map model option names to whole numbers, e.g. { 'debug-abi': 2015 }.`);
    }
  }
  if (def.scope === undefined) return;
  const scopes = record(def.scope) ? Object.values(def.scope) : [undefined];
  for (const s of scopes) {
    const ok =
      record(s) && Array.isArray(s.values) && s.values.length > 0 && s.values.every(whole) && typeof s.why === 'string' && s.why !== '';
    if (!ok) throw new PolicyError(`Policy "${name}": scope must map model option names to { values: [whole numbers], why: 'a reason' }.`);
  }
}

/** Whether `value` is a policy made by `definePolicy` (from any copy of this package). */
export function isPolicy(value: unknown): value is Policy {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'worldswitch-policy';
}
