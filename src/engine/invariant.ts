import type { Executor } from './execute.js';
import type { ModelInstance } from './model.js';

/** What an invariant reports when its claim fails; the executor adds where and when. */
export interface Finding {
  readonly message: string;
  readonly cpu?: number;
  readonly vcpu?: number;
  readonly register?: string;
  readonly expected?: number;
  readonly actual?: number;
  /** The step (1-based) whose event set the expected value; 0 for the initial state. */
  readonly setAt?: number;
}

/** A broken invariant: the finding, the invariant's name, the step and the observation point. */
export interface Violation extends Finding {
  readonly invariant: string;
  /** 1-based index of the event during which the invariant broke. */
  readonly step: number;
  /** The observation point: `after the event`, or the hook and its hardware write. */
  readonly at: string;
  /**
   * Invariants checked after this one (DESIGN §10 checking order) that broke at the same
   * observation point too, with their messages; absent when none did.
   */
  readonly also?: readonly { readonly invariant: string; readonly message: string }[];
}

/** A register value someone read: the guest (from hardware or through a trap), the hypervisor itself, or userspace. */
export interface ReadObservation {
  by: 'guest' | 'trap' | 'hyp' | 'vmm';
  vcpu: number;
  cpu: number;
  reg: number;
  value: number;
}

/** A debug event evaluated on hardware against what the intent says should happen. */
export interface HitObservation {
  cpu: number;
  /** The vCPU running on the CPU, or -1 for host code. */
  vcpu: number;
  level: number;
  what: 'execute' | 'load' | 'store';
  addr: number;
  /** Slots that hit on hardware. */
  hw: number;
  /** Slots that should hit, evaluated on the intent of the world that runs. */
  intended: number;
  /** For guest code: whether the hardware delivers the exception to the guest. */
  toGuest: boolean;
}

/**
 * A debug interrupt the hardware model took: the status bits it delivered, whom they were owed to
 * (ghost), and who received them. Architecture-neutral; the model fills it in.
 */
export interface DeliveryObservation {
  cpu: number;
  /** The vCPU loaded on the CPU, or -1. */
  vcpu: number;
  /** Who received it: the host kernel, the guest itself, or userspace (KVM_EXIT_DEBUG). */
  to: 'host' | 'guest' | 'vmm';
  /** Event bits delivered (e.g. PowerPC DBSR), and the names of those bits for messages. */
  status: number;
  /** Of `status`: raised by host code on a slot the host armed. */
  host: number;
  /** Of `status`: raised by guest code on a slot the guest's world (guest or its userspace debugger) armed. */
  guest: number;
  /** Of `status`: raised by code on a slot its own world did not arm. */
  spurious: number;
  /**
   * Of `guest`: owed to userspace itself (KVM_EXIT_DEBUG), e.g. the step of its KVM_GUESTDBG_SINGLESTEP;
   * absent where the model's hardware decides the routing (the delivery is then judged by `to` alone).
   */
  vmm?: number;
  /** Of `status`: already delivered once and not raised since. */
  again: number;
  /** Events owed to userspace that were lost: the vCPU ran on past them (a software step never reported). */
  missed?: number;
  /** Whom `missed` events were owed to when it is not userspace: the guest (a Book E debug exit that queued nothing). */
  missedOwner?: 'guest';
  /**
   * How a `missed` or `spurious` event came about, where the model knows more than the bits (x86: the
   * exit handler that emulated the stepped instruction and resumed the guest without reporting its
   * step). Set only on those paths: messages use it instead of their generic explanation.
   */
  why?: string;
  /**
   * Events owed to the guest's world (`to`: the guest itself, or userspace while it debugs) that left
   * the status register without a debug interrupt taking them: software cleared them (PowerPC DBSR is
   * write-1-to-clear, so nothing can set them again). Not a delivery; `status` holds the same bits.
   */
  lost?: number;
  /** Names the bits of a status mask. */
  describe(mask: number): string;
}

/** A claim checked after every observation point (DESIGN §5). Pure: reads the executor, changes nothing. */
export interface Invariant {
  readonly name: string;
  readonly claim: string;
  /** Architectures the invariant applies to; all when absent. */
  readonly archs?: readonly string[];
  /** Bitmask of CPU contexts (1 << CTX_*) in which `state` applies. */
  readonly contexts?: number;
  /**
   * True when a clean `state` verdict depends on nothing a running hook can change except through
   * `k.hw`: no policy memory (`k.vcpu`, `k.host`: World.vcpuMem, vcpuScalar, hostMem, hostScalar)
   * and no executor counters, in the invariant and the model view functions it calls. A hook's
   * hardware write that leaves the register as it was then cannot change the verdict, and the
   * executor skips the check after it (Observer.checkWrite; audited by test/state-skip-audit.test.ts).
   * Absent: the invariant is assumed to read memory, and is checked after every write.
   */
  readonly memoryBlind?: boolean;
  /**
   * True when `state` reads `x.inHook`: a clean check inside a hook then says nothing about the
   * state right after the hook returns, and `Observer.settleAfterHook` checks again.
   */
  readonly readsInHook?: boolean;
  /** Whether `state` can find anything on `model`; when false the executor never calls it. Default true. */
  stateApplies?(model: ModelInstance): boolean;
  /**
   * Architectures of `archs` where the invariant applies only with a model option set (arch -> option
   * name, or names of which any will do: arm64-nvhe's userspace-debugging claims need `--gdb 1`, its
   * guest-step claim `--gdb 1` or `--guest-step 1`, so its reports stay as they were without them, and
   * naming it there without one is an input error, not a vacuous held).
   */
  readonly onlyWith?: Readonly<Record<string, string | readonly string[]>>;
  /**
   * The state claim for `cpu`: its verdict must depend on the world and `cpu` alone (and, where it
   * declares `readsInHook`, on `x.inHook`): `explore` checks each state it reaches after an event
   * once per CPU (src/searches/passed-checks.ts). Messages may name steps (`guestIntentAt`, `x.eventAt`).
   */
  state?(x: Executor, cpu: number): Finding | undefined;
  read?(x: Executor, r: ReadObservation): Finding | undefined;
  hit?(x: Executor, h: HitObservation): Finding | undefined;
  delivery?(x: Executor, d: DeliveryObservation): Finding | undefined;
}

/** Names the invariant; kept as a function so every property file reads the same way. */
export function defineInvariant(invariant: Invariant): Invariant {
  return Object.freeze(invariant);
}

/** Whether `i` applies on `arch` under model `config` (`Invariant.onlyWith`). */
export function checkedByDefault(i: Invariant, arch: string, config: Readonly<Record<string, unknown>>): boolean {
  const options = onlyWithOptions(i, arch);
  return options.length === 0 || options.some((o) => Boolean(config[o]));
}

/** The model options of which `i` needs one set on `arch` (`Invariant.onlyWith`); empty when it always applies. */
export function onlyWithOptions(i: Invariant, arch: string): readonly string[] {
  const option = i.onlyWith?.[arch];
  return option === undefined ? [] : typeof option === 'string' ? [option] : option;
}
