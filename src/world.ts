/** Who executes on a CPU right now (DESIGN §2). Stored as a number in `World.cpuContext`. */
export const CTX_HOST = 0;
export const CTX_HYP = 1;
export const CTX_GUEST = 2;
/** Printable names of the CPU contexts, by number. */
export const CONTEXT_NAMES = ['host', 'hyp', 'guest'] as const;

/** The sizes a world is built from. */
export interface WorldShape {
  readonly cpus: number;
  readonly vcpus: number;
  readonly regs: number;
  /** Register-indexed memory areas per vCPU (e.g. ctxt, debugState, hostDebugState). */
  readonly vcpuAreas: number;
  /** Register-indexed memory areas per pCPU for the host (e.g. host ctxt). */
  readonly hostAreas: number;
  /** Scalar words per vCPU (flags, saved control values, scratch). */
  readonly vcpuScalars: number;
  /** Scalar words per pCPU of the host's per-CPU data (e.g. KVM's kvm_host_data fields). */
  readonly hostScalars?: number;
  /** Ghost words per CPU the model keeps for its invariants (e.g. pending debug status); never seen by a policy. */
  readonly cpuGhost?: number;
  /** Ghost words per vCPU (e.g. what userspace asked for with KVM_SET_GUEST_DEBUG). */
  readonly vcpuGhost?: number;
}

/**
 * Everything one interleaving can change: concrete state (hardware, contexts, vCPU memory) and
 * ghost state (host and guest intent, with the step that set each value). Flat typed arrays, so a
 * world resets, copies and canonicalises without allocation.
 */
export class World {
  readonly hw: Float64Array;
  readonly cpuContext: Uint8Array;
  /** The vCPU loaded on each CPU, or -1. */
  readonly running: Int8Array;
  /** Lifecycle state index of each vCPU. */
  readonly vcpuState: Uint8Array;
  /** The CPU each vCPU is loaded on, or -1. */
  readonly loadedOn: Int8Array;
  readonly vcpuMem: Float64Array;
  readonly vcpuScalar: Float64Array;
  readonly hostMem: Float64Array;
  /** Per-CPU host scalar words (`shape.hostScalars` each), CPU-major. */
  readonly hostScalar: Float64Array;
  readonly hostIntent: Float64Array;
  readonly hostIntentAt: Int32Array;
  readonly guestIntent: Float64Array;
  readonly guestIntentAt: Int32Array;
  /** Per-CPU ghost words (`shape.cpuGhost` each), CPU-major. */
  readonly cpuGhost: Float64Array;
  /** Per-vCPU ghost words (`shape.vcpuGhost` each), vCPU-major. */
  readonly vcpuGhost: Float64Array;

  constructor(readonly shape: WorldShape) {
    const { cpus, vcpus, regs } = shape;
    this.hw = new Float64Array(cpus * regs);
    this.cpuContext = new Uint8Array(cpus);
    this.running = new Int8Array(cpus);
    this.vcpuState = new Uint8Array(vcpus);
    this.loadedOn = new Int8Array(vcpus);
    this.vcpuMem = new Float64Array(vcpus * shape.vcpuAreas * regs);
    this.vcpuScalar = new Float64Array(vcpus * shape.vcpuScalars);
    this.hostMem = new Float64Array(cpus * shape.hostAreas * regs);
    this.hostScalar = new Float64Array(cpus * (shape.hostScalars ?? 0));
    this.hostIntent = new Float64Array(cpus * regs);
    this.hostIntentAt = new Int32Array(cpus * regs);
    this.guestIntent = new Float64Array(vcpus * regs);
    this.guestIntentAt = new Int32Array(vcpus * regs);
    this.cpuGhost = new Float64Array(cpus * (shape.cpuGhost ?? 0));
    this.vcpuGhost = new Float64Array(vcpus * (shape.vcpuGhost ?? 0));
  }

  /** Makes this world equal to `other` (same shape), in place. */
  copyFrom(other: World): void {
    this.copyStateFrom(other);
    this.hostIntentAt.set(other.hostIntentAt);
    this.guestIntentAt.set(other.guestIntentAt);
  }

  /** Like `copyFrom`, without the intents' step stamps (exploration restores states this way). */
  copyStateFrom(other: World): void {
    this.hw.set(other.hw);
    this.cpuContext.set(other.cpuContext);
    this.running.set(other.running);
    this.vcpuState.set(other.vcpuState);
    this.loadedOn.set(other.loadedOn);
    this.vcpuMem.set(other.vcpuMem);
    this.vcpuScalar.set(other.vcpuScalar);
    this.hostMem.set(other.hostMem);
    this.hostScalar.set(other.hostScalar);
    this.hostIntent.set(other.hostIntent);
    this.guestIntent.set(other.guestIntent);
    this.cpuGhost.set(other.cpuGhost);
    this.vcpuGhost.set(other.vcpuGhost);
  }

  /** A copy of this world. */
  clone(): World {
    const w = new World(this.shape);
    w.copyFrom(this);
    return w;
  }
}
