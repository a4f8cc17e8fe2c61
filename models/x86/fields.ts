/**
 * The fields of the x86 debug registers, for reports, from registers.ts (uapi/asm/debugreg.h,
 * asm/debugreg.h, kvm_host.h, msr-index.h, vmx.h, svm.h) and KVM's flags (policies/kvm-x86.ts:
 * kvm_host.h enum switch_db_regs, uapi KVM_GUESTDBG_*).
 */

import { type BitField, type FieldTable, flags } from '../../src/engine/register-fields.js';
import { VMM_DEBUG_ENABLE, VMM_DEBUG_HW, VMM_DEBUG_STEP } from '../../src/model-kit/debug-status.js';
import {
  KVM_DEBUGREG_AUTO_SWITCH,
  KVM_DEBUGREG_BP_ENABLED,
  KVM_DEBUGREG_WONT_EXIT,
  KVM_GUESTDBG_ENABLE,
  KVM_GUESTDBG_SINGLESTEP,
  KVM_GUESTDBG_USE_HW_BP,
} from './policies/kvm-x86.js';
import {
  CPU_BASED_MOV_DR_EXITING,
  DEBUGCTLMSR_BTF,
  DEBUGCTLMSR_LBR,
  DR_CONTROL_SHIFT,
  DR_CONTROL_SIZE,
  DR_GLOBAL_ENABLE,
  DR_LOCAL_ENABLE,
  DR_STEP,
  DR_SWITCH,
  DR6_ACTIVE_LOW,
  DR6_BD,
  DR7_FIXED_1,
  DR7_GD,
  drIntercept,
  SLOTS,
} from './registers.js';

/** DR7 (SDM vol. 3 18.2.4): Ln/Gn, LE/GE (debugreg.h DR_LOCAL_SLOWDOWN/DR_GLOBAL_SLOWDOWN), GD, R/Wn and LENn per slot. */
const DR7: readonly BitField[] = [
  ...Array.from({ length: SLOTS }, (_, n) => [
    { name: `L${n}`, mask: DR_LOCAL_ENABLE << (2 * n) },
    { name: `G${n}`, mask: DR_GLOBAL_ENABLE << (2 * n) },
    { name: `RW${n}`, mask: 0b11 << (DR_CONTROL_SHIFT + DR_CONTROL_SIZE * n), values: { 1: 'write', 2: 'io', 3: 'rw' } },
    { name: `LEN${n}`, mask: (0b11 << (DR_CONTROL_SHIFT + DR_CONTROL_SIZE * n + 2)) >>> 0, values: { 1: '2', 2: '8', 3: '4' } },
  ]).flat(),
  { name: 'LE', mask: 0x100 },
  { name: 'GE', mask: 0x200 },
  { name: 'RES1', mask: DR7_FIXED_1, quiet: true },
  { name: 'GD', mask: DR7_GD },
];

/** DR6 (SDM 18.2.3): B0-B3, BD, BS, BT; the active-low and reserved-1 bits (its reset value) say nothing. */
const DR6: readonly BitField[] = [
  ...flags({ B0: 1, B1: 2, B2: 4, B3: 8, BD: DR6_BD, BS: DR_STEP, BT: DR_SWITCH }),
  { name: 'RES1', mask: DR6_ACTIVE_LOW, quiet: true },
];
const DEBUGCTL = flags({ LBR: DEBUGCTLMSR_LBR, BTF: DEBUGCTLMSR_BTF });
/** The DR6 event bits the status ghost words hold. */
const DR6_EVENTS = flags({ B0: 1, B1: 2, B2: 4, B3: 8, BD: DR6_BD, BS: DR_STEP, BT: DR_SWITCH });

/** The x86 field table (VMX and SVM). */
let x86FieldsTable: FieldTable | undefined;
let x86ReloadTable: FieldTable | undefined;

/**
 * Built on first use: the constants it names come from policy modules that import the model (a cycle at
 * load time). `reload`: the era's switch_db_regs bit 2 is KVM_DEBUGREG_RELOAD (until 5.14), not 6.6's
 * AUTO_SWITCH, so a trace of a policy transliterated from 5.7 or 5.10 names the flag its code sets.
 */
export function x86Fields(reload = false): FieldTable {
  if (reload) {
    x86ReloadTable ??= {
      ...x86Fields(),
      switchDbRegs: flags({ BP_ENABLED: KVM_DEBUGREG_BP_ENABLED, WONT_EXIT: KVM_DEBUGREG_WONT_EXIT, RELOAD: KVM_DEBUGREG_AUTO_SWITCH }),
    };
    return x86ReloadTable;
  }
  x86FieldsTable ??= {
    DR6,
    DR7,
    IA32_DEBUGCTL: DEBUGCTL,
    hostDebugctl: DEBUGCTL,
    MOV_DR_EXITING: flags({ MOV_DR_EXITING: CPU_BASED_MOV_DR_EXITING }),
    DR_INTERCEPTS: [0, 1, 2, 3, 6, 7].flatMap((dr) => [
      { name: `DR${dr}_READ`, mask: drIntercept(dr, false) },
      { name: `DR${dr}_WRITE`, mask: drIntercept(dr, true) },
    ]),
    switchDbRegs: flags({ BP_ENABLED: KVM_DEBUGREG_BP_ENABLED, WONT_EXIT: KVM_DEBUGREG_WONT_EXIT, AUTO_SWITCH: KVM_DEBUGREG_AUTO_SWITCH }),
    guestDebug: flags({ ENABLE: KVM_GUESTDBG_ENABLE, SINGLESTEP: KVM_GUESTDBG_SINGLESTEP, USE_HW_BP: KVM_GUESTDBG_USE_HW_BP }),
    guestDebugDr7: DR7,
    vmmDr7: DR7,
    vmmDr6: DR6,
    vmmDebug: flags({ ENABLE: VMM_DEBUG_ENABLE, USE_HW: VMM_DEBUG_HW, SINGLESTEP: VMM_DEBUG_STEP }),
    statusHost: DR6_EVENTS,
    statusGuest: DR6_EVENTS,
    statusSpurious: DR6_EVENTS,
    statusDelivered: DR6_EVENTS,
  };
  return x86FieldsTable;
}

/** x86's events in the kernel. */
export const X86_KERNEL_EVENTS: Readonly<Record<string, string>> = {
  GUEST_ENTER: 'KVM_RUN: vcpu_enter_guest() -> vmx_vcpu_run() / svm_vcpu_run() (VM entry)',
  GUEST_EXIT: 'a VM exit, back to vcpu_enter_guest()',
  GUEST_READ: 'guest MOV from DRn (MOV-DR exiting / DR read intercept: handle_dr(), dr_interception())',
  GUEST_WRITE: 'guest MOV to DRn (MOV-DR exiting / DR write intercept: handle_dr(), dr_interception())',
  HOST_SET_BREAKPOINT: 'perf hw_breakpoint / ptrace: arch_install_hw_breakpoint()',
  HOST_CLEAR_BREAKPOINT: 'arch_uninstall_hw_breakpoint()',
  HOST_SET_DEBUGCTL: 'the host writes IA32_DEBUGCTL: update_debugctlmsr() (perf LBR, BTF)',
  VMM_GET_REG: 'KVM_GET_DEBUGREGS',
  VMM_SET_REG: 'KVM_SET_DEBUGREGS',
  VCPU_RESET: 'INIT: kvm_vcpu_reset()',
  FASTPATH_EXIT:
    "the guest's WRMSR (TSC deadline, x2APIC ICR) completed on the fast path with interrupts off: handle_fastpath_set_msr_irqoff(), re-entering at once (EXIT_FASTPATH_REENTER_GUEST; 5.10 and 5.15: on SVM, and on VMX for the x2APIC ICR (operand msr), through the exit path and handle_exit, then the run loop enters again) or, for a step to report, exiting to userspace (EXIT_FASTPATH_EXIT_USERSPACE, 6.12+)",
  RUN_LOOP_IRQ: "an interrupt in vcpu_enter_guest() before local_irq_disable(): its handler changes the host's breakpoint or DEBUGCTL",
};
