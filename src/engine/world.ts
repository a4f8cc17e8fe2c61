import { HOST_SCRATCH_WORDS, SCRATCH_WORDS } from './executor-types.js';
import type { ModelInstance } from './model.js';

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

/** The shape of the world `model` runs on: its configured CPUs and vCPUs, registers and memory, with the policy's scratch words. */
export function worldShape(model: ModelInstance): WorldShape {
  const { registers, memory, config } = model;
  return {
    cpus: config.cpus ?? 2,
    vcpus: config.vcpus ?? 1,
    regs: registers.count,
    vcpuAreas: memory.vcpuAreas.length,
    hostAreas: memory.hostAreas.length,
    vcpuScalars: memory.vcpuScalars.length + SCRATCH_WORDS,
    hostScalars: (memory.hostScalars?.length ?? 0) + HOST_SCRATCH_WORDS,
    cpuGhost: model.ghost?.cpu.length ?? 0,
    vcpuGhost: model.ghost?.vcpu.length ?? 0,
  };
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

  /**
   * Every Float64 field above except the step stamps, as one array (the fields are views into
   * it): a world restores with one copy, and exploration addresses any state word by one index.
   */
  readonly words: Float64Array;
  /** The small integer fields (contexts, running vCPUs, lifecycle states, loaded CPUs) as one byte array. */
  readonly bytes: Int8Array;

  constructor(readonly shape: WorldShape) {
    const { cpus, vcpus, regs } = shape;
    const sizes = [
      cpus * regs, // hw
      vcpus * shape.vcpuAreas * regs, // vcpuMem
      vcpus * shape.vcpuScalars, // vcpuScalar
      cpus * shape.hostAreas * regs, // hostMem
      cpus * (shape.hostScalars ?? 0), // hostScalar
      cpus * regs, // hostIntent
      vcpus * regs, // guestIntent
      cpus * (shape.cpuGhost ?? 0), // cpuGhost
      vcpus * (shape.vcpuGhost ?? 0), // vcpuGhost
    ];
    this.words = new Float64Array(sizes.reduce((a, b) => a + b, 0));
    let at = 0;
    const next = (i: number): Float64Array => {
      const view = this.words.subarray(at, at + (sizes[i] as number));
      at += sizes[i] as number;
      return view;
    };
    this.hw = next(0);
    this.vcpuMem = next(1);
    this.vcpuScalar = next(2);
    this.hostMem = next(3);
    this.hostScalar = next(4);
    this.hostIntent = next(5);
    this.guestIntent = next(6);
    this.cpuGhost = next(7);
    this.vcpuGhost = next(8);
    const buffer = new ArrayBuffer(2 * cpus + 2 * vcpus);
    this.bytes = new Int8Array(buffer);
    this.cpuContext = new Uint8Array(buffer, 0, cpus);
    this.running = new Int8Array(buffer, cpus, cpus);
    this.vcpuState = new Uint8Array(buffer, 2 * cpus, vcpus);
    this.loadedOn = new Int8Array(buffer, 2 * cpus + vcpus, vcpus);
    this.hostIntentAt = new Int32Array(cpus * regs);
    this.guestIntentAt = new Int32Array(vcpus * regs);
  }

  /** Makes this world equal to `other` (same shape), in place. */
  copyFrom(other: World): void {
    this.copyStateFrom(other);
    this.hostIntentAt.set(other.hostIntentAt);
    this.guestIntentAt.set(other.guestIntentAt);
  }

  /** Like `copyFrom`, without the intents' step stamps (exploration restores states this way). */
  copyStateFrom(other: World): void {
    this.words.set(other.words);
    this.bytes.set(other.bytes);
  }

  /** A copy of this world. */
  clone(): World {
    const w = new World(this.shape);
    w.copyFrom(this);
    return w;
  }
}
