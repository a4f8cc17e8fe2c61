/**
 * The ARMv7 model (32-bit KVM/arm, 2015): CP14 register file, hardware, lifecycle machine and
 * events, configured with the CPU's breakpoint and watchpoint counts (default 6 + 4, as Cortex-A15)
 * and with whether the guest kernel keeps DBGDSCRext.MDBGen set.
 */
import { compileLifecycle } from '../../src/engine/lifecycle.js';
import { type ArchModel, type DebugView, DOMAIN_SMALL, type ModelConfig, type ModelInstance } from '../../src/engine/model.js';
import type { HookContext, Hooks } from '../../src/engine/policy.js';
import type { World } from '../../src/engine/world.js';
import { osLockEvent } from '../../src/model-kit/os-lock-event.js';
import { resetArmWorld, slotLayout } from '../arm-slots.js';
import { ADDRESSES, armv7DebugEvents, STEP_GHOST } from './debug-events.js';
import { ARMV7_KERNEL_EVENTS, ARMV7_OS_LOCK_EVENTS, armv7Fields } from './fields.js';
import { effectiveSlots, osLockLatch, routesToHyp, trapsToHyp } from './hardware.js';
import { armv7Lifecycle } from './lifecycle.machine.js';
import {
  ARM_BREAKPOINT_LOAD,
  ARM_BREAKPOINT_PRIV,
  ARM_BREAKPOINT_STORE,
  ARM_BREAKPOINT_USER,
  ARM_DSCR_MDBGEN,
  ARMV7_COSTS,
  armv7RegisterFile,
  bcr,
  DBGBCR,
  DBGDIDR,
  DBGDSCRext,
  DBGOSLAR,
  DBGOSLAR_KEY,
  DBGOSLAR_UNLOCK,
  DBGOSLSR,
  DBGVCR,
  DBGVCR_NSI,
  DBGWCR,
  DBGWVR,
  oslsrAfter,
  REGISTER_COUNT,
  wcr,
} from './registers.js';

/** A vCPU's in-memory state, where 32-bit KVM/arm keeps it (struct kvm_vcpu_arch). */
export interface Armv7Vcpu {
  readonly id: number;
  /** vcpu->arch.cp14: the guest's CP14 debug registers. */
  readonly cp14: Float64Array;
  /** vcpu->arch.debug_flags (KVM_ARM_DEBUG_DIRTY). */
  debugFlags: number;
  /** Words for a policy's own state (kept in the world, so it is canonical and replayable). */
  readonly scratch: Float64Array;
}

/** The host's per-CPU state. */
export interface Armv7Host {
  /** kvm_host_cpu_state's cp14: the host's debug registers, saved at entry. */
  readonly cp14: Float64Array;
  /** hw_breakpoint.c's per-CPU bp_on_reg[n] / wp_on_reg[n], as 1 at DBGBCRn / DBGWCRn while slot n is taken. Read-only to KVM. */
  readonly onReg: Float64Array;
  /** KVM's own per-CPU words (e.g. a debug-register owner). */
  readonly percpu: Float64Array;
  /** Policy-private per-CPU words (HOST_SCRATCH_WORDS, 16), for policies that keep per-CPU state of their own. */
  readonly scratch: Float64Array;
}

/** The hook context an ARMv7 policy receives. */
export type Armv7Context = HookContext<Armv7Vcpu, Armv7Host>;
/** The hooks an ARMv7 policy provides. */
export type Armv7Hooks = Hooks<Armv7Vcpu, Armv7Host>;

/**
 * KVM's generic coproc.c paths, used when a policy does not override them. DBGOSLSR, which is no
 * memory word of its own, reads as the status the memory copy's DBGOSLAR gives.
 */
const commonCode: Armv7Hooks = {
  getReg: (k, reg) =>
    reg === DBGDIDR ? k.hw.read(DBGDIDR) : reg === DBGOSLSR ? oslsrAfter(k.vcpu.cp14[DBGOSLAR] as number) : (k.vcpu.cp14[reg] as number),
  setReg: (k, reg, value) => {
    k.vcpu.cp14[reg] = value;
  },
  // kvm_reset_coprocs: the CP14 debug registers reset to 0.
  vcpuReset: (k) => {
    k.vcpu.cp14.fill(0);
  },
  // A host CP14 access trapped to Hyp mode with no handler of the policy's: performed as asked.
  hostTrap: (k, p) => {
    if (p.isWrite) k.hw.write(p.reg, p.regval);
    else p.regval = k.hw.read(p.reg);
  },
};

/** The ARMv7 architecture model. */
export const armv7: ArchModel = {
  id: 'armv7',
  summary: '32-bit KVM/arm (2015): host kernel in SVC mode, world switch in Hyp mode, CP14 debug registers',
  options: [
    { name: 'cpus', describe: 'physical CPUs', default: 2, min: 1, max: 4 },
    { name: 'vcpus', describe: 'vCPUs', default: 1, min: 1, max: 3 },
    { name: 'brps', describe: 'breakpoint register pairs (DBGDIDR.BRPs + 1)', default: 6, min: 2, max: 16 },
    { name: 'wrps', describe: 'watchpoint register pairs (DBGDIDR.WRPs + 1)', default: 4, min: 2, max: 16 },
    {
      name: 'mdbgen',
      describe: 'guest kernel built with CONFIG_HAVE_HW_BREAKPOINT: sets DBGDSCRext.MDBGen at boot and keeps it (0 or 1)',
      default: 0,
      min: 0,
      max: 1,
    },
    {
      name: 'vector-catch',
      describe:
        'the guest writes DBGVCR, the Vector Catch Register (1: 0 or NSI, the Non-secure IRQ vector), or never touches it (0, as Linux guests, which clear it at boot)',
      default: 0,
      min: 0,
      max: 1,
    },
    {
      name: 'oslock',
      describe:
        'the guest locks and unlocks its OS Lock (1: GUEST_OS_LOCK writes DBGOSLAR, trapped by HDCR.TDOSA, and it reads DBGOSLSR), or never touches it (0, as Linux guests, which only unlock it at boot)',
      default: 0,
      min: 0,
      max: 1,
    },
    {
      name: 'one-reg',
      describe:
        'userspace reads and writes the CP14 debug registers with KVM_GET/SET_ONE_REG (1), or cannot, as in 32-bit KVM/arm, whose ONE_REG did cp15 only (0)',
      default: 0,
      min: 0,
      max: 1,
    },
  ],
  smallDomain:
    'guest: the reserved (last) breakpoint and the last watchpoint slot; host: the last usable breakpoint (core_num_brps - 1), the last watchpoint (stepping through the reserved one); one address (0x1000), DBGBCR {off, PL1, PL0}, DBGWCR {off, any}, DBGDSCRext {0, MDBGen}',
  costNote: ARMV7_COSTS.note,
  costCases: [
    {
      name: 'mdbgenAlways',
      describe: 'neither side arms a slot, but the guest kernel keeps MDBGen set (CONFIG_HAVE_HW_BREAKPOINT)',
      config: { mdbgen: 1 },
      host: false,
      guest: false,
    },
  ],
  instantiate(config: ModelConfig): ModelInstance {
    const { domain: domainOption, 'one-reg': oneRegOption, 'vector-catch': vectorCatchOption, oslock: oslockOption, ...options } = config;
    const small = domainOption === DOMAIN_SMALL;
    const brps = options.brps ?? 6;
    const wrps = options.wrps ?? 4;
    const mdbgen = options.mdbgen === 1;
    // arch/arm/kvm/coproc.c index_to_coproc_reg (3.9-5.6): "We only do cp15 for now"; the 2015 series adds no CP14 ONE_REG.
    const oneReg = oneRegOption === 1;
    // --vector-catch 1: the guest's own DBGVCR writes; without it no one writes DBGVCR and it stays 0 everywhere.
    const vectorCatch = vectorCatchOption === 1;
    const vcr = vectorCatch ? [DBGVCR] : [];
    // --oslock 1: the guest's own DBGOSLAR writes (GUEST_OS_LOCK) and DBGOSLSR reads; without it the OS Lock stays clear.
    const oslock = oslockOption === 1;
    const osl = oslock ? [DBGOSLSR] : [];
    const extraConfig: Record<string, number> = { ...(vectorCatch ? { 'vector-catch': 1 } : {}), ...(oslock ? { oslock: 1 } : {}) };
    const registers = armv7RegisterFile({ brps, wrps });
    const { slotRegs, slotNames, bpSlots, wpSlots, generated } = slotLayout(brps, wrps, small);
    const view: DebugView = {
      // HDCR belongs to Hyp mode, not to the host kernel: a TDE left set shows as a host breakpoint that never fires.
      hostState: new Int32Array([...slotRegs, DBGDSCRext, DBGVCR, DBGOSLSR]),
      guestVisible: new Int32Array([...slotRegs, DBGDSCRext, DBGDIDR, DBGVCR, DBGOSLSR]),
      slotRegs,
      slotNames,
      gateRegs: new Int32Array([DBGDSCRext]),
      hostLevels: [0, 1],
      guestLevels: [0, 1],
      effective: (r, o, pl) => effectiveSlots(r, o, pl, brps, wrps),
      deliversToGuest: (r, o) => !routesToHyp(r, o),
    };
    const any = ARM_BREAKPOINT_PRIV | ARM_BREAKPOINT_USER;
    const bcrs = small
      ? [0, bcr(ARM_BREAKPOINT_PRIV), bcr(ARM_BREAKPOINT_USER)]
      : [0, bcr(ARM_BREAKPOINT_PRIV), bcr(ARM_BREAKPOINT_USER), bcr(any)];
    const both = ARM_BREAKPOINT_LOAD | ARM_BREAKPOINT_STORE;
    const wcrs = small ? [0, wcr(any, both)] : [0, wcr(any, both), wcr(ARM_BREAKPOINT_PRIV, ARM_BREAKPOINT_STORE)];
    const dscr = mdbgen ? [ARM_DSCR_MDBGEN] : [0, ARM_DSCR_MDBGEN];
    const addresses = small ? ADDRESSES.slice(0, 1) : ADDRESSES;
    // The host's debug users get bp_on_reg slots 0..core_num_brps-1; the last breakpoint is reserved.
    const hostBpSlots = small ? [brps - 2] : bpSlots.filter((n) => n < brps - 1);
    const debugEvents = armv7DebugEvents(brps, wrps, { addresses, slots: [hostBpSlots, wpSlots] });
    const { endStep } = debugEvents;
    const osLock = {
      oslar: DBGOSLAR,
      oslsr: DBGOSLSR,
      writes: [DBGOSLAR_UNLOCK, DBGOSLAR_KEY],
      status: [oslsrAfter(0), oslsrAfter(DBGOSLAR_KEY)],
    } as const;
    const events = oslock ? [...debugEvents.events, osLockEvent(osLock)] : debugEvents.events;
    const vcpuLoad = compileLifecycle(armv7Lifecycle);
    const loadEvent = vcpuLoad.event('VCPU_LOAD');
    const domain = (reg: number): readonly number[] => {
      if (reg === DBGDSCRext) return dscr;
      if (reg === DBGVCR) return [0, DBGVCR_NSI];
      if (reg >= DBGWCR(0)) return wcrs;
      if (reg >= DBGBCR(0) && reg < DBGWVR(0)) return bcrs;
      return addresses;
    };
    return {
      arch: 'armv7',
      config: { cpus: 2, vcpus: 1, ...options, brps, wrps, mdbgen: mdbgen ? 1 : 0, ...extraConfig, 'one-reg': oneReg ? 1 : 0 },
      registers,
      lifecycle: vcpuLoad,
      memory: { vcpuAreas: ['cp14'], hostAreas: ['cp14', 'onReg', 'percpu'], vcpuScalars: ['debugFlags'] },
      // debug-events.ts hostCp14Write: a host CP14 write HDCR.TDA traps goes to the policy's hostTrap.
      directHooks: ['hostTrap'],
      oneReg,
      view,
      guestReadable: new Int32Array([...generated, DBGDSCRext, DBGDIDR, ...vcr, ...osl]),
      guestWritable: new Int32Array([...generated, DBGDSCRext, ...vcr]),
      valueDomain: domain,
      traps: (hw, o, reg) => trapsToHyp(hw, o, reg),
      events,
      ghost: { cpu: STEP_GHOST, vcpu: [] },
      // A watchpoint step pending on the CPU ends before a vCPU is loaded there: the watched task ran
      // its next user instruction (the mismatch fired) or was scheduled out, either way uninstalling
      // the reserved breakpoint (debug-events.ts).
      // The OS Lock follows the last DBGOSLAR write, whoever made it (a hook, or the guest untrapped).
      observe(x, cpu) {
        if (osLockLatch(x.world.hw, cpu * REGISTER_COUNT)) x.mutations++;
      },
      transition(x, _v, cpu, event) {
        if (event === loadEvent && cpu >= 0) endStep(x, cpu);
      },
      defaultHooks: commonCode as Hooks<never, never>,
      fields: armv7Fields(),
      kernelEvents: oslock ? ARMV7_OS_LOCK_EVENTS : ARMV7_KERNEL_EVENTS,
      reset(w: World) {
        const R = REGISTER_COUNT;
        resetArmWorld(w, registers, view.guestVisible);
        // The vCPU's cp14[] keeps no DBGOSLSR: its status is that of the DBGOSLAR word (commonCode.getReg).
        for (let v = 0; v < w.shape.vcpus; v++) w.vcpuMem[v * w.shape.vcpuAreas * R + DBGOSLSR] = 0;
        // hw_breakpoint.c reset_ctrl_regs() -> enable_monitor_mode() at boot: the host keeps MDBGen set.
        for (let c = 0; c < w.shape.cpus; c++) {
          w.hw[c * R + DBGDSCRext] = ARM_DSCR_MDBGEN;
          w.hostIntent[c * R + DBGDSCRext] = ARM_DSCR_MDBGEN;
        }
        // The guest kernel's own enable_monitor_mode() at boot, trapped and emulated long ago.
        for (let v = 0; mdbgen && v < w.shape.vcpus; v++) {
          w.vcpuMem[v * w.shape.vcpuAreas * R + DBGDSCRext] = ARM_DSCR_MDBGEN;
          w.guestIntent[v * R + DBGDSCRext] = ARM_DSCR_MDBGEN;
        }
      },
      readCost: () => ARMV7_COSTS.read,
      writeCost: () => ARMV7_COSTS.write,
    };
  },
};
