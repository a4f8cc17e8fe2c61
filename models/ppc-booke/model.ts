/**
 * The Book E (PowerPC 440/e500v2, BookE-PR) model: the debug register file, the hardware's event
 * latching and debug interrupts, the lifecycle machine, and the events: host (ptrace, user-only)
 * breakpoints, KVM_SET_GUEST_DEBUG, guest code running into comparators, and the guest's emulated mfmsr/mtmsr.
 */
import { STATUS_GHOST, VMM_GHOST } from '../../src/debug-status.js';
import { compileLifecycle } from '../../src/lifecycle.js';
import { type ArchModel, type DebugView, DOMAIN_SMALL, type ModelConfig, type ModelInstance } from '../../src/model.js';
import type { HookContext, Hooks } from '../../src/policy.js';
import type { World } from '../../src/world.js';
import { type BookeDomain, bookeDebugEvents } from './debug-events.js';
import { ADDRESSES, observe, SWITCH_CODE, VCPU_SCALARS } from './debug-interrupt.js';
import { effectiveSlots, USER } from './hardware.js';
import { bookeLifecycle } from './lifecycle.machine.js';
import {
  bookeRegisterFile,
  DAC,
  DBCR0,
  DBCR1,
  DBCR2,
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

/** KVM's common paths: mfmsr/mtmsr emulation (kvmppc_emulate_instruction), ONE_REG, reset. */
const commonCode: BookeHooks = {
  trap(k, p) {
    if (p.reg !== MSR) return k.bug(`no emulation for ${p.reg}`);
    if (p.isWrite)
      k.vcpu.ctxt[MSR] = p.regval; // kvmppc_set_msr
    else p.regval = k.vcpu.ctxt[MSR] as number;
  },
  getReg: (k, reg) => k.vcpu.ctxt[reg] as number,
  setReg(k, reg, value) {
    k.vcpu.ctxt[reg] = value;
  },
  vcpuReset(k) {
    k.vcpu.ctxt[MSR] = 0; // kvmppc_core_vcpu_create: kvmppc_set_msr(vcpu, 0)
  },
};

/** Cycle costs of mfspr/mtspr of a debug SPR: an ESTIMATE (no published figure is used). */
const PPC_COSTS = { read: 4, write: 4, note: 'ESTIMATE: mfspr 4 cycles, mtspr 4 cycles (no published figure)' };

/** The Book E architecture model. */
export const ppcBooke: ArchModel = {
  id: 'ppc-booke',
  summary: 'PowerPC Book E without hypervisor mode (440/e500v2 KVM BookE-PR): IAC1-4, DAC1-2, DBCR0-2, DBSR (w1c), MSR[DE]',
  options: [
    { name: 'cpus', describe: 'physical CPUs', default: 2, min: 1, max: 4 },
    { name: 'vcpus', describe: 'vCPUs', default: 1, min: 1, max: 3 },
  ],
  smallDomain:
    'host IAC1 and DAC1 at 0x1000, guest code at 0x1000 and the switch code 0x2000, gdb breakpoint lists {none, [0x2000]}, guest MSR {0, DE}',
  costNote: PPC_COSTS.note,
  instantiate(config: ModelConfig): ModelInstance {
    const { domain: domainOption, ...options } = config;
    const small = domainOption === DOMAIN_SMALL;
    const registers = bookeRegisterFile();
    const slotRegs = new Int32Array([0, 1, 2, 3].flatMap((n) => [IAC(n), DBCR0]).concat([0, 1].flatMap((n) => [DAC(n), DBCR0])));
    const view: DebugView = {
      hostState: new Int32Array([IAC(0), IAC(1), IAC(2), IAC(3), DAC(0), DAC(1), DBCR0, DBCR1, DBCR2, MSR]),
      guestVisible: new Int32Array([MSR]),
      slotRegs,
      slotNames: ['IAC1', 'IAC2', 'IAC3', 'IAC4', 'DAC1', 'DAC2'],
      gateRegs: new Int32Array([DBCR1, DBCR2]),
      hostLevels: [1],
      guestLevels: [USER],
      effective: effectiveSlots,
      // Every guest interrupt exits to KVM, which routes the event to the guest or to userspace.
      deliversToGuest: () => true,
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
    return {
      arch: 'ppc-booke',
      config: { cpus: 2, vcpus: 1, ...options },
      registers,
      lifecycle: compileLifecycle(bookeLifecycle),
      memory: { vcpuAreas: ['ctxt', 'dbgReg', 'hostDbg'], hostAreas: ['thread'], vcpuScalars: VCPU_SCALARS },
      view,
      guestReadable: new Int32Array([MSR]),
      guestWritable: new Int32Array([MSR]),
      valueDomain: () => [0, MSR_DE],
      // The guest runs with MSR[PR]=1: mfmsr/mtmsr are privileged and always trap to KVM.
      traps: (_hw, _o, reg) => reg === MSR,
      events: bookeDebugEvents(domain),
      defaultHooks: commonCode as Hooks<never, never>,
      ghost: { cpu: STATUS_GHOST, vcpu: VMM_GHOST },
      observe,
      reset(w: World) {
        const R = REGISTER_COUNT;
        for (let c = 0; c < w.shape.cpus; c++) {
          w.hw.set(registers.reset, c * R);
          w.hostIntent.set(registers.reset, c * R);
          w.hostMem.set(registers.reset, c * R); // current->thread.debug after set_debug_reg_defaults
        }
        for (let v = 0; v < w.shape.vcpus; v++) {
          for (const reg of view.guestVisible) w.guestIntent[v * R + reg] = registers.reset[reg] as number;
        }
      },
      readCost: () => PPC_COSTS.read,
      writeCost: () => PPC_COSTS.write,
    };
  },
};
