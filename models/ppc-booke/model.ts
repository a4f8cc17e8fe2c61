/**
 * The Book E (PowerPC 440/e500v2, BookE-PR) model: the debug register file, the hardware's event
 * latching and debug interrupts, the lifecycle machine, and the events: host (ptrace, user-only)
 * breakpoints, KVM_SET_GUEST_DEBUG, guest code running into comparators, and the guest's emulated mfmsr/mtmsr.
 */

import type { Executor } from '../../src/engine/execute.js';
import { compileLifecycle } from '../../src/engine/lifecycle.js';
import { type ArchModel, type DebugView, DOMAIN_SMALL, type ModelConfig, type ModelInstance } from '../../src/engine/model.js';
import type { HookContext, Hooks } from '../../src/engine/policy.js';
import type { World } from '../../src/engine/world.js';
import { VMM_DEBUG_ENABLE, VMM_GHOST } from '../../src/model-kit/debug-status.js';
import { UsageError } from '../../src/persistence/usage-error.js';
import { type BookeDomain, bookeDebugEvents } from './debug-events.js';
import { ADDRESSES, BOOKE_STATUS_GHOST, observe, SWITCH_CODE, VCPU_SCALARS, vmmDebug } from './debug-interrupt.js';
import { PPC_BOOKE_KERNEL_EVENTS, ppcBookeFields } from './fields.js';
import { effectiveSlots, USER } from './hardware.js';
import { bookeLifecycle } from './lifecycle.machine.js';
import {
  bookeRegisterFile,
  DAC,
  DBCR0,
  DBCR0_DAC1R,
  DBCR0_DAC1W,
  DBCR0_EDM,
  DBCR0_IAC1,
  DBCR0_IAC2,
  DBCR0_IDM,
  DBCR1,
  DBCR1_DEFAULT,
  DBCR2,
  DBCR2_DEFAULT,
  DBSR,
  DBSR_EVENTS,
  describeDbsr,
  IAC,
  MSR,
  MSR_DE,
  REGISTER_COUNT,
} from './registers.js';

/** A vCPU's in-memory state, where KVM/powerpc keeps it. */
export interface BookeVcpu {
  readonly id: number;
  /** The guest's emulated registers (vcpu->arch.shared->msr, ...), indexed by register id. */
  readonly ctxt: Float64Array;
  /** vcpu->arch.dbg_reg (2014): the debug registers KVM loads while the guest runs. */
  readonly dbgReg: Float64Array;
  /** The host's debug registers saved on entry (2008 host_iac[]/host_dbcr*; 2014 the saved thread.debug). */
  readonly hostDbg: Float64Array;
  /** 2008: vcpu->guest_debug.enabled; 2014: vcpu->guest_debug (KVM_GUESTDBG_* control bits). */
  guestDebug: number;
  /** vcpu->arch.shadow_msr: the MSR the guest really runs with (loaded by rfi on entry). */
  shadowMsr: number;
  /** vcpu->arch.host_msr (2008). */
  hostMsr: number;
  /** vcpu->arch.dbsr (2014): the DBSR value saved at a debug exit. */
  dbsr: number;
  /** vcpu->guest_debug.bp[0..3] (2008). */
  bp0: number;
  bp1: number;
  bp2: number;
  bp3: number;
  /**
   * BOOKE_IRQPRIO_DEBUG in vcpu->arch.pending_exceptions (2014): a debug interrupt queued for the
   * guest. The model reads it when a debug exit's handler returns without KVM_EXIT_DEBUG: set, the
   * guest's events count as delivered; clear, they are lost.
   */
  debugQueued: number;
  /** Words for a policy's own state. */
  readonly scratch: Float64Array;
}

/** The host's per-CPU state. */
export interface BookeHost {
  /** current->thread.debug of the task running KVM_RUN on this CPU (powerpc struct debug_reg). */
  readonly thread: Float64Array;
  /** Policy-private per-CPU words (HOST_SCRATCH_WORDS, 16), for policies that keep per-CPU state of their own. */
  readonly scratch: Float64Array;
}

/** The hook context a Book E policy receives. */
export type BookeContext = HookContext<BookeVcpu, BookeHost>;
/** The hooks a Book E policy provides. */
export type BookeHooks = Hooks<BookeVcpu, BookeHost>;

/**
 * KVM's common paths when a policy has no trap hook: mfmsr/mtmsr (kvmppc_emulate_instruction) and,
 * as the 2008 code had them, the debug SPRs as emulated storage in vcpu->arch that is never loaded.
 */
const commonCode: BookeHooks = {
  trap(k, p) {
    if (p.reg !== MSR && !GUEST_DEBUG_REGS.includes(p.reg)) return k.bug(`no emulation for ${p.reg}`);
    if (p.isWrite)
      k.vcpu.ctxt[p.reg] = p.regval; // kvmppc_set_msr; 2008 emulate.c: vcpu->arch.dbcr0 = ... etc.
    else p.regval = k.vcpu.ctxt[p.reg] as number;
  },
};

/** The guest's debug SPRs: every mtspr/mfspr of them traps (privileged, and the guest runs at MSR[PR]=1). */
export const GUEST_DEBUG_REGS: readonly number[] = [IAC(0), IAC(1), IAC(2), IAC(3), DAC(0), DAC(1), DBCR0, DBCR1, DBCR2];

/**
 * While userspace debugs the vCPU, what its comparators must hold: the guest's registers as
 * KVM_SET_GUEST_DEBUG left them (guestIntent, see debug-events.ts) without DBCR0[EDM]; undefined otherwise.
 */
function vmmSlots(buffers: Float64Array[]): (x: Executor, v: number) => Float64Array | undefined {
  return (x, v) => {
    if ((vmmDebug(x, v) & VMM_DEBUG_ENABLE) === 0) return undefined;
    const b = buffers[v] ?? (buffers[v] = new Float64Array(REGISTER_COUNT));
    b.set(x.world.guestIntent.subarray(v * x.regs, (v + 1) * x.regs));
    b[DBCR0] = ((b[DBCR0] as number) & ~DBCR0_EDM) >>> 0;
    return b;
  };
}

/**
 * DBCR0[EDM] semantics while userspace debugs the vCPU (Power ISA III-E 8.5.1.1; booke_emulate.c
 * "If userspace is debugging guest then guest can not access debug registers"): a guest mtspr to a
 * debug SPR traps and is ignored, so it leaves the guest's registers as they are.
 */
function guestAccess(x: Executor, v: number, reg: number, isWrite: boolean, value: number): boolean {
  if (!isWrite || !GUEST_DEBUG_REGS.includes(reg) || (vmmDebug(x, v) & VMM_DEBUG_ENABLE) === 0) return false;
  const cpu = x.world.loadedOn[v] as number;
  x.trapAccess(v, reg, true, value);
  if (!x.violation) x.settle(cpu);
  return true;
}

/** Cycle costs of mfspr/mtspr of a debug SPR: an ESTIMATE (no published figure is used). */
const PPC_COSTS = { read: 4, write: 4, note: 'ESTIMATE: mfspr 4 cycles, mtspr 4 cycles (no published figure)' };

/** The Book E architecture model. */
export const ppcBooke: ArchModel = {
  id: 'ppc-booke',
  summary: 'PowerPC Book E without hypervisor mode (440/e500v2 KVM BookE-PR): IAC1-4, DAC1-2, DBCR0-2, DBSR (w1c), MSR[DE]',
  options: [
    { name: 'cpus', describe: 'physical CPUs', default: 2, min: 1, max: 4 },
    { name: 'vcpus', describe: 'vCPUs', default: 1, min: 1, max: 3 },
    {
      name: 'ptrace',
      describe:
        "the host kernel's debug users: 1 = 2.6.34+ ptrace advanced debug interface (user-only IACs/DACs, DBCR1/DBCR2 user-only by default); 0 = 2008 (2.6.26: no IAC/DAC armed by the host kernel, DBCR1/DBCR2 at their reset value 0)",
      default: 1,
      min: 0,
      max: 1,
    },
    {
      name: 'dbcr-reset',
      describe:
        "what every CPU's DBCR1/DBCR2 hold before the first prime_debug_regs() writes them: 0 = 0b00 qualifiers (any privilege level; the 440x5 manual leaves them undefined at reset, Linux's boot code never writes them, and a kernel thread's prime loads init_task's zeros); 1 = the user-only set_debug_reg_defaults() values (a CPU last primed for a user thread; needs --ptrace 1)",
      default: 0,
      min: 0,
      max: 1,
    },
  ],
  smallDomain:
    'host IAC1 and DAC1 at 0x1000, guest code at 0x1000 and the switch code 0x2000, gdb breakpoint lists {none, [0x2000]}, guest MSR {0, DE}, guest IAC1 {0x1000, 0x2000}, DBCR0 {0, IDM|IAC1}, DBCR1 user-only',
  costNote: PPC_COSTS.note,
  instantiate(config: ModelConfig): ModelInstance {
    const { domain: domainOption, 'dbcr-reset': dbcrResetOption, ...options } = config;
    const small = domainOption === DOMAIN_SMALL;
    const adv = options.ptrace !== 0;
    const dbcrReset = dbcrResetOption === 1 ? 1 : 0;
    if (dbcrReset === 1 && !adv)
      throw new UsageError(
        '--dbcr-reset 1 needs --ptrace 1: a 2008 host has no set_debug_reg_defaults() values to prime DBCR1/DBCR2 with. Drop one of them.',
      );
    const registers = bookeRegisterFile(dbcrReset === 1);
    const slotRegs = new Int32Array([0, 1, 2, 3].flatMap((n) => [IAC(n), DBCR0]).concat([0, 1].flatMap((n) => [DAC(n), DBCR0])));
    const view: DebugView = {
      hostState: new Int32Array([IAC(0), IAC(1), IAC(2), IAC(3), DAC(0), DAC(1), DBCR0, DBCR1, DBCR2, MSR]),
      // With DBCR0[IDM] clear no comparator can fire, and process.c switches none of them.
      hostInert: {
        off: (r, o) => ((r[o + DBCR0] as number) & DBCR0_IDM) === 0,
        regs: new Int32Array([IAC(0), IAC(1), IAC(2), IAC(3), DAC(0), DAC(1), DBCR1, DBCR2]),
      },
      guestVisible: new Int32Array([MSR, ...GUEST_DEBUG_REGS]),
      slotRegs,
      slotNames: ['IAC1', 'IAC2', 'IAC3', 'IAC4', 'DAC1', 'DAC2'],
      gateRegs: new Int32Array([DBCR1, DBCR2]),
      hostLevels: [1],
      guestLevels: [USER],
      effective: effectiveSlots,
      // Every guest interrupt exits to KVM, which routes the event to the guest or to userspace.
      deliversToGuest: () => true,
      vmmIntent: vmmSlots([]),
      status: { reg: DBSR, events: DBSR_EVENTS, describe: describeDbsr },
    };
    const domain: BookeDomain = small
      ? { addresses: ADDRESSES, hostAddresses: [0x1000], slots: [[0], [0]], bpLists: [0, 2] }
      : {
          addresses: ADDRESSES,
          hostAddresses: ADDRESSES.filter((a) => a !== SWITCH_CODE),
          slots: [
            [0, 1, 2, 3],
            [0, 1],
          ],
          bpLists: [0, 1, 2, 3],
        };
    // What the guest's own debug code writes (its emulated mtspr): comparators at the shared addresses,
    // DBCR0 enables in internal debug mode, DBCR1/DBCR2 user-only (what a Linux guest's ptrace sets) or 0b00 (any mode).
    const guestDomain: Record<number, readonly number[]> = small
      ? { [IAC(0)]: ADDRESSES, [DBCR0]: [0, (DBCR0_IDM | DBCR0_IAC1) >>> 0], [DBCR1]: [DBCR1_DEFAULT], [MSR]: [0, MSR_DE] }
      : {
          [IAC(0)]: ADDRESSES,
          [IAC(1)]: ADDRESSES,
          [DAC(0)]: ADDRESSES,
          [DBCR0]: [
            0,
            (DBCR0_IDM | DBCR0_IAC1) >>> 0,
            (DBCR0_IDM | DBCR0_IAC1 | DBCR0_IAC2) >>> 0,
            (DBCR0_IDM | DBCR0_DAC1R | DBCR0_DAC1W) >>> 0,
          ],
          [DBCR1]: [DBCR1_DEFAULT, 0],
          [DBCR2]: [DBCR2_DEFAULT, 0],
          [MSR]: [0, MSR_DE],
        };
    const writable = new Int32Array(Object.keys(guestDomain).map(Number));
    return {
      arch: 'ppc-booke',
      config: { cpus: 2, vcpus: 1, ...options, ptrace: adv ? 1 : 0, 'dbcr-reset': dbcrReset },
      registers,
      lifecycle: compileLifecycle(bookeLifecycle),
      memory: { vcpuAreas: ['ctxt', 'dbgReg', 'hostDbg'], hostAreas: ['thread'], vcpuScalars: VCPU_SCALARS },
      view,
      guestReadable: writable,
      guestWritable: writable,
      valueDomain: (reg) => guestDomain[reg] ?? [0],
      // The guest runs with MSR[PR]=1: mfmsr/mtmsr and every debug mtspr/mfspr are privileged and trap to KVM.
      traps: () => true,
      guestAccess,
      events: bookeDebugEvents(domain, adv),
      defaultHooks: commonCode as Hooks<never, never>,
      ghost: { cpu: BOOKE_STATUS_GHOST, vcpu: VMM_GHOST },
      fields: ppcBookeFields(),
      kernelEvents: PPC_BOOKE_KERNEL_EVENTS,
      observe,
      reset(w: World) {
        const R = REGISTER_COUNT;
        for (let c = 0; c < w.shape.cpus; c++) {
          w.hw.set(registers.reset, c * R);
          w.hostIntent.set(registers.reset, c * R);
          w.hostMem.set(registers.reset, c * R);
          if (adv) {
            // current->thread.debug after set_debug_reg_defaults(), and what the host means the hardware to hold.
            for (const mem of [w.hostIntent, w.hostMem]) {
              mem[c * R + DBCR1] = DBCR1_DEFAULT;
              mem[c * R + DBCR2] = DBCR2_DEFAULT;
            }
          }
        }
        // A new vCPU's MSR is 0 (kvmppc_core_vcpu_create) and its vcpu->arch.dbg_reg is zeroed memory.
        for (let v = 0; v < w.shape.vcpus; v++) for (const reg of view.guestVisible) w.guestIntent[v * R + reg] = 0;
      },
      readCost: () => PPC_COSTS.read,
      writeCost: () => PPC_COSTS.write,
    };
  },
};
