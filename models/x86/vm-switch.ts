/**
 * What the CPU itself does when it enters and leaves a guest, and the debug exceptions a guest
 * raises. VMX (SDM vol. 3 27.3.2.1, 28.3.1, 28.5.1): VM entry loads DR7 and IA32_DEBUGCTL from the
 * VMCS guest-state area ("load debug controls"); VM exit saves them there ("save debug controls") and
 * sets DR7 to 0x400 and IA32_DEBUGCTL to 0; DR0-DR3 and DR6 are not switched; a #DB that causes a VM
 * exit leaves DR6 and DR7 unchanged and reports its bits in the exit qualification. SVM (APM vol. 2
 * 15.5, 15.6): VMRUN loads DR6 and DR7 from the VMCB save area and #VMEXIT saves them there, the
 * host's DR6 comes back (commit 375e28ffc0cf: "SVM always uses the DR6 value from the VMCB"), DR7 then
 * reads 0x400 (x86.c vcpu_enter_guest: "at least dr7 will be disabled while returning to the host");
 * DR0-DR3 and DEBUGCTL (without LBR virtualisation) are not switched; a #DB updates DR6 before its
 * intercept (db_interception reads vmcb->save.dr6). Both vendors: KVM intercepts every #DB.
 */

import { type Executor, SCRATCH_WORDS } from '../../src/engine/execute.js';
import type { DeliveryObservation } from '../../src/engine/invariant.js';
import { VMM_DEBUG, VMM_DEBUG_ENABLE, VMM_DEBUG_HW, VMM_DEBUG_STEP, VMM_GHOST } from '../../src/model-kit/debug-status.js';
import { latchDr6 } from './hardware.js';
import { VCPU_AREAS, VCPU_GHOST, VCPU_SCALARS } from './layout.js';
import { RETRY, reexecute } from './reexecute.js';
import {
  DEBUGCTL,
  DR_CONTROLS,
  DR_STEP,
  DR6,
  DR6_BD,
  DR7,
  DR7_FIXED_1,
  DR7_GD,
  describeDr6,
  EXIT_QUAL,
  HSAVE_DEBUGCTL,
  HSAVE_DR6,
  LBR_CTL_ENABLE_MASK,
  RFLAGS,
  VM_ENTRY_LOAD_DEBUG_CONTROLS,
  VM_EXIT_SAVE_DEBUG_CONTROLS,
  X86_EFLAGS_FIXED,
  X86_EFLAGS_TF,
} from './registers.js';

/** run->exit_reason KVM_EXIT_DEBUG (uapi/linux/kvm.h): what guestExit returns for a #DB that goes to userspace. */
export const KVM_EXIT_DEBUG = 4;

const VMCS = VCPU_AREAS.indexOf('vmcs');
const STEP_OWED = VCPU_GHOST.indexOf('stepOwed');
const VMM_REGS = VMM_GHOST.length;
const DEBUG_HW = VMM_DEBUG_ENABLE | VMM_DEBUG_HW;
/** Whether userspace debugs vCPU `v` with hardware breakpoints (its DR7 is then in force, not the guest's). */
export function userspaceHw(x: Executor, v: number): boolean {
  return ((x.world.vcpuGhost[v * VCPU_GHOST.length + VMM_DEBUG] as number) & DEBUG_HW) === DEBUG_HW;
}

/** `slotIntent`'s answer, reused by every call (DebugView.slotIntent: read before asking again). */
const intent: { r: Float64Array; o: number } = { r: new Float64Array(0), o: 0 };

/** The register-indexed intent the vCPU's breakpoint slots must match while it runs. */
export function slotIntent(x: Executor, v: number): { readonly r: Float64Array; readonly o: number } {
  if (userspaceHw(x, v)) {
    intent.r = x.world.vcpuGhost;
    intent.o = v * VCPU_GHOST.length + VMM_REGS;
  } else {
    intent.r = x.world.guestIntent;
    intent.o = v * x.regs;
  }
  return intent;
}

const vmcsBase = (x: Executor, v: number): number => (v * VCPU_AREAS.length + VMCS) * x.regs;

/** A vCPU scalar word (index into VCPU_SCALARS, an X86Vcpu field) of vCPU `v`. */
function scalar(x: Executor, v: number, word: number): number {
  return x.world.vcpuScalar[v * (VCPU_SCALARS.length + SCRATCH_WORDS) + word] as number;
}
const ENTRY_CONTROLS = VCPU_SCALARS.indexOf('vmEntryControls');
const EXIT_CONTROLS = VCPU_SCALARS.indexOf('vmExitControls');
const VIRT_EXT = VCPU_SCALARS.indexOf('virtExt');

/** The CPU's VM entry on `cpu` for vCPU `v`. */
function vmEntry(x: Executor, v: number, cpu: number, vmx: boolean): void {
  const { hw, vcpuMem } = x.world;
  const o = cpu * x.regs;
  const b = vmcsBase(x, v);
  hw[o + DR_CONTROLS] = vcpuMem[b + DR_CONTROLS] as number;
  hw[o + RFLAGS] = vcpuMem[b + RFLAGS] as number; // GUEST_RFLAGS / save.rflags
  if (vmx) {
    // SDM 27.3.2.1: DR7 and IA32_DEBUGCTL are loaded only with the "load debug controls" entry control.
    if (scalar(x, v, ENTRY_CONTROLS) & VM_ENTRY_LOAD_DEBUG_CONTROLS) {
      hw[o + DR7] = ((vcpuMem[b + DR7] as number) | DR7_FIXED_1) >>> 0;
      hw[o + DEBUGCTL] = vcpuMem[b + DEBUGCTL] as number;
    }
  } else {
    hw[o + DR7] = ((vcpuMem[b + DR7] as number) | DR7_FIXED_1) >>> 0;
    hw[o + HSAVE_DR6] = hw[o + DR6] as number;
    hw[o + DR6] = vcpuMem[b + DR6] as number;
    // APM 15.23: with LBR virtualisation VMRUN saves the host's DEBUGCTL and loads the VMCB's.
    if (scalar(x, v, VIRT_EXT) & LBR_CTL_ENABLE_MASK) {
      hw[o + HSAVE_DEBUGCTL] = hw[o + DEBUGCTL] as number;
      hw[o + DEBUGCTL] = vcpuMem[b + DEBUGCTL] as number;
    }
  }
  x.mutations++;
}

/**
 * The CPU's VM exit on `cpu` from vCPU `v`. `leavesGuestDr6` (SVM, `--vmexit-dr6 1`): #VMEXIT does not
 * give the host its DR6 back.
 */
function vmExit(x: Executor, v: number, cpu: number, vmx: boolean, leavesGuestDr6: boolean): void {
  const { hw, vcpuMem } = x.world;
  const o = cpu * x.regs;
  const b = vmcsBase(x, v);
  if (vmx) {
    // SDM 28.3.1 saves DR7 and DEBUGCTL with "save debug controls"; 28.5.1 then sets DR7 to 0x400 and clears DEBUGCTL regardless.
    if (scalar(x, v, EXIT_CONTROLS) & VM_EXIT_SAVE_DEBUG_CONTROLS) {
      vcpuMem[b + DR7] = hw[o + DR7] as number;
      vcpuMem[b + DEBUGCTL] = hw[o + DEBUGCTL] as number;
    }
    hw[o + DEBUGCTL] = 0;
  } else {
    vcpuMem[b + DR7] = hw[o + DR7] as number;
    vcpuMem[b + DR6] = hw[o + DR6] as number;
    if (!leavesGuestDr6) hw[o + DR6] = hw[o + HSAVE_DR6] as number;
    // APM 15.23: #VMEXIT saves the guest's DEBUGCTL into the VMCB and reloads the host's.
    if (scalar(x, v, VIRT_EXT) & LBR_CTL_ENABLE_MASK) {
      vcpuMem[b + DEBUGCTL] = hw[o + DEBUGCTL] as number;
      hw[o + DEBUGCTL] = hw[o + HSAVE_DEBUGCTL] as number;
    }
  }
  hw[o + DR7] = DR7_FIXED_1;
  hw[o + DR_CONTROLS] = 0;
  vcpuMem[b + RFLAGS] = hw[o + RFLAGS] as number;
  hw[o + RFLAGS] = X86_EFLAGS_FIXED; // the host's (SDM 28.5.3: VM exit clears RFLAGS but bit 1)
  x.mutations++;
}

const ARCH = VCPU_AREAS.indexOf('arch');
/** vcpu->arch.dr6 of vCPU `v`. */
export const archDr6 = (x: Executor, v: number): number => x.world.vcpuMem[(v * VCPU_AREAS.length + ARCH) * x.regs + DR6] as number;
/** vcpu->arch.dr6 of the vCPU whose exit handler runs, as it was when the handler started (TRAPPED). */
let dr6AtTrap = 0;
/** Whether the guest ran the trapped instruction with RFLAGS.TF (GUEST_RFLAGS / save.rflags at TRAPPED). */
let tfAtTrap = false;
/** Whether the guest ran the instruction whose exit handler runs with RFLAGS.TF: what kvm_skip_emulated_instruction tests. */
export const trapRanWithTf = (): boolean => tfAtTrap;
/**
 * Whether the exit handler that just ran for vCPU `v` set DR6.BS in vcpu->arch.dr6: the payload of a
 * #DB(BS) it queued for the guest (kvm_queue_exception_p(vcpu, DB_VECTOR, DR6_BS), applied at once here).
 * `before` is what vcpu->arch.dr6 held without it: as the handler started, or for an emulated MOV to DR6
 * the value the guest wrote (kvm_set_dr stores its BS as written).
 */
export function handlerQueuedStep(x: Executor, v: number, before = dr6AtTrap): boolean {
  return (archDr6(x, v) & ~before & DR_STEP) !== 0;
}

/**
 * ModelInstance.transition: VM entry on ENTERED/REENTERED, VM exit on GUEST_EXIT/TRAP/FASTPATH_EXIT
 * (FASTPATH_EXIT_USERSPACE, leaving the loop after a fast path, has no VM exit of its own: it happened at FASTPATH_EXIT).
 * After a full entry (ENTERED) the guest first re-executes a MOV DR its exit handler left pending; an
 * INIT (VCPU_RESET) drops it, as RIP then points elsewhere.
 */
export function vmTransitions(vmx: boolean, leavesGuestDr6 = false): (x: Executor, v: number, cpu: number, event: number) => void {
  let entries = 0;
  let exits = 0;
  let entered = -1;
  let reset = -1;
  let trapped = -1;
  return (x, v, cpu, event) => {
    if (entries === 0) {
      entered = x.lifecycleEvent('ENTERED');
      reset = x.lifecycleEvent('VCPU_RESET');
      trapped = x.lifecycleEvent('TRAPPED');
      entries = (1 << entered) | (1 << x.lifecycleEvent('REENTERED'));
      exits = (1 << x.lifecycleEvent('GUEST_EXIT')) | (1 << x.lifecycleEvent('TRAP')) | (1 << x.lifecycleEvent('FASTPATH_EXIT'));
    }
    if (event === reset) {
      // INIT moves RIP: the pending MOV is gone, and so is the instruction userspace asked to step
      // (__kvm_set_rflags only keeps TF at singlestep_rip).
      const g = v * VCPU_GHOST.length;
      x.world.vcpuGhost[g + RETRY] = 0;
      x.world.vcpuGhost[g + VMM_DEBUG] = (x.world.vcpuGhost[g + VMM_DEBUG] as number) & ~VMM_DEBUG_STEP;
      x.world.vcpuGhost[g + STEP_OWED] = 0;
    }
    if (event === trapped) {
      dr6AtTrap = archDr6(x, v);
      tfAtTrap = ((x.world.vcpuMem[vmcsBase(x, v) + RFLAGS] as number) & X86_EFLAGS_TF) !== 0;
    }
    if (cpu < 0) return;
    if (entries & (1 << event)) {
      vmEntry(x, v, cpu, vmx);
      if (event === entered) reexecute(x, v);
    } else if (exits & (1 << event)) vmExit(x, v, cpu, vmx, leavesGuestDr6);
  };
}

const delivery: DeliveryObservation = {
  cpu: 0,
  vcpu: 0,
  to: 'guest',
  status: 0,
  host: 0,
  guest: 0,
  spurious: 0,
  again: 0,
  vmm: 0,
  describe: describeDr6,
};

/**
 * A #DB in guest code reporting DR6 bits `bits`, of which `owed` belong to the guest's world (the
 * guest, or userspace debugging it): KVM intercepts it, and the exit handler injects it into the guest
 * or returns KVM_EXIT_DEBUG. The guest's own bits (`own`) reach its DR6 only when it is injected; a
 * #DB handed to userspace leaves the guest's state alone (userspace re-injecting it is not modelled).
 */
export function debugExit(x: Executor, v: number, cpu: number, bits: number, owed: number, own: number, vmx: boolean): void {
  const o = cpu * x.regs;
  if (vmx) x.world.hw[o + EXIT_QUAL] = bits;
  else x.world.hw[o + DR6] = latchDr6(x.world.hw[o + DR6] as number, bits);
  x.mutations++;
  const reason = x.fire(v, x.lifecycleEvent('GUEST_EXIT'), 'debug');
  if (x.violation) return;
  x.fire(v, x.lifecycleEvent('EXITED'));
  if (x.violation) return;
  if (own !== 0 && reason !== KVM_EXIT_DEBUG) guestTakesDebug(x, v, own);
  delivery.cpu = cpu;
  delivery.vcpu = v;
  delivery.to = reason === KVM_EXIT_DEBUG ? 'vmm' : 'guest';
  delivery.status = bits;
  delivery.guest = bits & owed;
  // What the guest's world is owed and the guest itself is not: userspace's (its step, its breakpoints).
  delivery.vmm = bits & owed & ~own;
  delivery.spurious = bits & ~owed;
  x.observeDelivery(delivery);
  if (x.violation) return;
  x.settle(cpu);
}

/** The guest's architectural DR6 after a #DB with `bits` is delivered to it. */
export function guestTakesDebug(x: Executor, v: number, bits: number): void {
  const io = v * x.regs;
  x.setGuestIntent(v, DR6, latchDr6(x.world.guestIntent[io + DR6] as number, bits));
  const dr7 = x.world.guestIntent[io + DR7] as number;
  // SDM 18.2.4: the processor clears GD when it enters the #DB handler.
  if (dr7 & DR7_GD) x.setGuestIntent(v, DR7, (dr7 & ~DR7_GD) >>> 0);
}

/**
 * ModelInstance.guestAccess: MOV to or from a debug register while DR7.GD is set raises #DB(BD)
 * before the instruction executes (SDM 18.2.4). On VMX a MOV-DR exit takes priority over it
 * (vmx.c handle_dr: "the vm-exit takes precedence over the debug trap"), so KVM must emulate it; on
 * SVM the #DB comes before the DR intercept, as KVM assumes (dr_interception has no GD emulation). The guest's own GD is in force unless userspace
 * debugs it with hardware breakpoints (its DR7 is then userspace's).
 */
export function generalDetect(vmx: boolean, traps: (hw: Float64Array, o: number, reg: number, isWrite: boolean) => boolean) {
  return (x: Executor, v: number, reg: number, isWrite: boolean, value: number): boolean => {
    // DR7.GD faults MOV DR only; RDMSR/WRMSR of IA32_DEBUGCTL go on normally.
    if (reg === DEBUGCTL) return false;
    const { hw, guestIntent } = x.world;
    const cpu = x.world.loadedOn[v] as number;
    const o = cpu * x.regs;
    const architectural = ((guestIntent[v * x.regs + DR7] as number) & DR7_GD) !== 0 && !userspaceHw(x, v);
    const live = ((hw[o + DR7] as number) & DR7_GD) !== 0;
    if (!architectural && !live) return false;
    const trapped = traps(hw, o, reg, isWrite);
    if (trapped && (vmx || !live)) {
      const i = v * x.regs + reg;
      const before = guestIntent[i] as number;
      if (architectural) guestTakesDebug(x, v, DR6_BD);
      else if (isWrite) x.setGuestIntent(v, reg, value);
      const read = x.trapAccess(v, reg, isWrite, value);
      if (x.violation) return true;
      if (x.retried(v, reg, isWrite, value)) {
        if (!architectural && isWrite) x.setGuestIntent(v, reg, before);
      } else if (!architectural && !isWrite) x.observeRead('trap', v, cpu, reg, read);
      if (!x.violation) x.settle(cpu);
      return true;
    }
    x.fire(v, x.lifecycleEvent(isWrite ? 'GUEST_WRITE' : 'GUEST_READ'));
    if (live) {
      const own = architectural ? DR6_BD : 0;
      debugExit(x, v, cpu, DR6_BD, own, own, vmx);
      return true;
    }
    // The hardware does not see the GD the guest set: the access executes.
    guestTakesDebug(x, v, DR6_BD);
    if (isWrite) hw[o + reg] = reg === DR7 ? (value | DR7_FIXED_1) >>> 0 : value;
    else x.observeRead('guest', v, cpu, reg, hw[o + reg] as number);
    if (!x.violation) x.settle(cpu);
    return true;
  };
}
