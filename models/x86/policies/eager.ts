/**
 * Eager switching for x86: unless userspace debugs the vCPU, DR accesses never exit and the guest
 * owns DR0-DR3 and DR6 (VMX; the VMCB switches DR6 on SVM) while it runs. Every entry disables DR7,
 * loads the vCPU's DR0-DR3 and DR6; every exit saves the guest's values and restores all of the
 * host's from hw_breakpoint's per-CPU copy. IA32_DEBUGCTL is switched as upstream does (VMCS on VMX,
 * LBR virtualisation or KVM's switch by hand on SVM). The correctness baseline and the cost ceiling
 * (DESIGN §8).
 */
import type { TrapParams } from '../../../src/engine/policy.js';
import { fastPathReenters } from '../eras.js';
import type { X86Context, X86Hooks } from '../model.js';
import { DEBUGCTL, DR, DR6, DR6_ACTIVE_LOW, DR7, DR7_FIXED_1, SLOTS } from '../registers.js';
import {
  handle_fastpath_set_msr_irqoff,
  hw_breakpoint_restore,
  type KvmX86Ops,
  kvm_emulate_msr,
  kvm_update_dr7,
  kvm_update_dr0123,
  snapshot_host_debugctl,
} from './kvm-x86.js';
import { x86Policies } from './vendors.js';
import { lazyHooks } from './x86-lazy-2014.js';

const guestOwns = (k: X86Context): boolean => k.vcpu.guestDebug === 0;

/**
 * The eager hooks over vendor `ops` (`vmx` selects where DR6 lives while the guest runs); every exit
 * gives the host its debug registers back with `restoreHost`.
 */
export function eagerHooks(ops: KvmX86Ops, vmx: boolean, restoreHost = hw_breakpoint_restore): X86Hooks {
  const upstream = lazyHooks(ops);
  const msr: TrapParams = { reg: DEBUGCTL, isWrite: false, regval: 0 };
  const debugctl = (k: X86Context, isWrite: boolean, value: number): number => {
    msr.isWrite = isWrite;
    msr.regval = value;
    ops.handle_debugctl(k, msr);
    return msr.regval;
  };
  return {
    ...upstream,
    // DEBUGCTL as the newest era handles it, whatever --x86-era says: eager is the baseline.
    vcpuLoad() {},
    trap: (k, p) => (p.reg === DEBUGCTL ? kvm_emulate_msr(k, ops, p, ops.handle_debugctl) : ops.handle_dr(k, p)),
    getReg: (k, reg) => (reg === DEBUGCTL ? debugctl(k, false, 0) : (upstream.getReg?.(k, reg) ?? 0)),
    setReg: (k, reg, value) => (reg === DEBUGCTL ? void debugctl(k, true, value) : upstream.setReg?.(k, reg, value)),
    guestEnter(k: X86Context) {
      k.localIrqDisable();
      const run_flags = snapshot_host_debugctl(k, ops);
      k.hw.write(DR7, DR7_FIXED_1);
      for (let i = 0; i < SLOTS; i++) k.hw.write(DR(i), k.vcpu.effDb[DR(i)] as number);
      const dr6 = guestOwns(k) ? (k.vcpu.arch[DR6] as number) : DR6_ACTIVE_LOW;
      if (vmx) k.hw.write(DR6, dr6);
      else k.vcpu.vmcs[DR6] = dr6;
      ops.dr_exits(k, !guestOwns(k));
      kvm_update_dr7(k, ops);
      ops.debugctl_enter(k, run_flags);
    },
    guestExit(k: X86Context, reason: string) {
      if (reason !== 'fastpath') ops.debugctl_exit(k); // after a fast path exiting to userspace, done there
      if (guestOwns(k)) {
        for (let i = 0; i < SLOTS; i++) k.vcpu.arch[DR(i)] = k.hw.read(DR(i));
        k.vcpu.arch[DR6] = vmx ? k.hw.read(DR6) : (k.vcpu.vmcs[DR6] as number);
        k.vcpu.arch[DR7] = k.vcpu.vmcs[DR7] as number;
        kvm_update_dr0123(k);
      }
      restoreHost(k);
      return reason === 'debug' ? ops.handle_db(k) : undefined;
    },
    fastpath(k: X86Context, msr?: number) {
      ops.debugctl_exit(k);
      // handle_fastpath_set_msr_irqoff as upstream (6.12+): its single-step exits to userspace.
      const exit = handle_fastpath_set_msr_irqoff(k, ops);
      if (exit !== undefined) return exit;
      // 5.10's run loop re-enters only on VMX after the TSC deadline; else its exit path and handle_exit follow (eras.ts).
      if (!fastPathReenters(k.host.era, vmx, msr)) return undefined;
      ops.debugctl_enter(k, 0);
      return undefined;
    },
  };
}

/** eager on VMX and on SVM. */
export const [x86EagerVmx, x86EagerSvm] = x86Policies(
  'eager',
  'always switch: DR accesses never exit, every entry loads DR0-3/DR6/DR7, every exit saves them and restores the host (baseline)',
  eagerHooks,
);
