/**
 * The fields of the Book E debug registers, for reports, from the reg_booke.h / reg.h constants
 * in registers.ts; KVM_GUESTDBG_* from uapi linux/kvm.h (policies/ppc-booke-2014.ts).
 */

import { type BitField, type FieldTable, flags } from '../../src/engine/register-fields.js';
import { VMM_DEBUG_ENABLE, VMM_DEBUG_HW, VMM_DEBUG_STEP } from '../../src/model-kit/debug-status.js';
import { KVM_GUESTDBG_ENABLE, KVM_GUESTDBG_USE_HW_BP } from './policies/ppc-booke-2014.js';
import {
  DBCR0_DAC1R,
  DBCR0_DAC1W,
  DBCR0_DAC2R,
  DBCR0_DAC2W,
  DBCR0_IAC1,
  DBCR0_IAC2,
  DBCR0_IAC3,
  DBCR0_IAC4,
  DBCR0_ICMP,
  DBCR0_IDM,
  DBCR0_TDE,
  DBCR1_IAC1US,
  DBCR1_IAC2US,
  DBCR1_IAC3US,
  DBCR1_IAC4US,
  DBCR2_DAC1US,
  DBCR2_DAC2US,
  DBSR_DAC1R,
  DBSR_DAC1W,
  DBSR_DAC2R,
  DBSR_DAC2W,
  DBSR_IAC1,
  DBSR_IAC2,
  DBSR_IAC3,
  DBSR_IAC4,
  DBSR_IC,
  DBSR_IDE,
  DBSR_TIE,
  MSR_DE,
} from './registers.js';

/** DBCR1/DBCR2 Sup/User fields (ISA III-E): 0b10 MSR[PR]=0 only, 0b11 MSR[PR]=1 only, 0b00 any. */
const US = { 2: 'sup', 3: 'user', 1: 'reserved' };
const us = (name: string, mask: number): BitField => ({ name, mask, values: US });

const DBSR = flags({
  DAC2W: DBSR_DAC2W,
  DAC2R: DBSR_DAC2R,
  DAC1W: DBSR_DAC1W,
  DAC1R: DBSR_DAC1R,
  IAC4: DBSR_IAC4,
  IAC3: DBSR_IAC3,
  IAC2: DBSR_IAC2,
  IAC1: DBSR_IAC1,
  TIE: DBSR_TIE,
  IC: DBSR_IC,
  IDE: DBSR_IDE,
});
const MSR = flags({ DE: MSR_DE });

/** The ppc-booke field table. */
let ppcBookeFieldsTable: FieldTable | undefined;

/** Built on first use: the constants it names come from policy modules that import the model (a cycle at load time). */
export function ppcBookeFields(): FieldTable {
  ppcBookeFieldsTable ??= {
    DBCR0: flags({
      DAC2W: DBCR0_DAC2W,
      DAC2R: DBCR0_DAC2R,
      DAC1W: DBCR0_DAC1W,
      DAC1R: DBCR0_DAC1R,
      IAC4: DBCR0_IAC4,
      IAC3: DBCR0_IAC3,
      IAC2: DBCR0_IAC2,
      IAC1: DBCR0_IAC1,
      TDE: DBCR0_TDE,
      ICMP: DBCR0_ICMP,
      IDM: DBCR0_IDM,
    }),
    DBCR1: [us('IAC4US', DBCR1_IAC4US), us('IAC3US', DBCR1_IAC3US), us('IAC2US', DBCR1_IAC2US), us('IAC1US', DBCR1_IAC1US)],
    DBCR2: [us('DAC2US', DBCR2_DAC2US), us('DAC1US', DBCR2_DAC1US)],
    DBSR,
    dbsr: DBSR,
    statusHost: DBSR,
    statusGuest: DBSR,
    statusSpurious: DBSR,
    statusDelivered: DBSR,
    statusVmm: DBSR,
    MSR,
    shadowMsr: MSR,
    hostMsr: MSR,
    guestDebug: flags({ ENABLE: KVM_GUESTDBG_ENABLE, USE_HW_BP: KVM_GUESTDBG_USE_HW_BP }),
    vmmDebug: flags({ ENABLE: VMM_DEBUG_ENABLE, USE_HW: VMM_DEBUG_HW, SINGLESTEP: VMM_DEBUG_STEP }),
  };
  return ppcBookeFieldsTable;
}

/** ppc-booke's events in the kernel. */
export const PPC_BOOKE_KERNEL_EVENTS: Readonly<Record<string, string>> = {
  GUEST_ENTER:
    'KVM_RUN: kvmppc_vcpu_run() -> __kvmppc_vcpu_run (booke_interrupts.S); inside the run loop, the re-entry after an exit handled with RESUME_GUEST',
  RUN_RETURN: 'KVM_RUN returns to userspace: an exit handled with RESUME_HOST, then the out: path of kvmppc_vcpu_run()',
  GUEST_EXIT: 'an interrupt in the guest, to kvmppc_handle_exit()',
  GUEST_READ: 'guest mfmsr / mfspr of a debug SPR (privileged at MSR[PR]=1: emulated, kvmppc_booke_emulate_mfspr())',
  GUEST_WRITE: 'guest mtmsr / mtspr of a debug SPR (privileged at MSR[PR]=1: emulated, kvmppc_set_msr() / kvmppc_booke_emulate_mtspr())',
  HOST_SET_BREAKPOINT: 'ptrace PPC_PTRACE_SETHWDEBUG of the current thread (ptrace-adv.c) into thread.debug',
  HOST_CLEAR_BREAKPOINT: 'ptrace PPC_PTRACE_DELHWDEBUG',
  VMM_GET_REG: 'KVM_GET_ONE_REG',
  VMM_SET_REG: 'KVM_SET_ONE_REG',
};
