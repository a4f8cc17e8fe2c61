/**
 * x86 events outside the vCPU lifecycle: perf hw_breakpoint users arming and disarming breakpoints
 * and changing IA32_DEBUGCTL on a CPU from interrupt context (arch/x86/kernel/hw_breakpoint.c
 * arch_install_hw_breakpoint: DRn, cpu_debugreg[n], cpu_dr7 |= encode_dr7(), DR7), userspace's
 * KVM_SET_GUEST_DEBUG as QEMU fills it (kvm_arch_update_guest_debug: debugreg[7] = 0x600 | Gn and
 * R/W, LEN per breakpoint), guest code executing and accessing data, and the guest's WRMSR that the
 * fast path completes (FASTPATH_EXIT): it re-enters inside vcpu_enter_guest's loop
 * (EXIT_FASTPATH_REENTER_GUEST; in 5.10, on SVM, which had no such loop, and for the x2APIC ICR on VMX,
 * through the exit path and handle_exit instead) or, when the policy's fastpath hook returns an exit reason, exits to userspace
 * (EXIT_FASTPATH_EXIT_USERSPACE, 6.12+); while userspace single-steps it owes its step.
 */

import type { Executor } from '../../src/engine/execute.js';
import type { HitObservation } from '../../src/engine/invariant.js';
import type { EventKind } from '../../src/engine/model.js';
import type { GuestDebug } from '../../src/engine/policy.js';
import { CTX_HOST } from '../../src/engine/world.js';
import { VMM_DEBUG, VMM_DEBUG_ENABLE, VMM_DEBUG_HW, VMM_DEBUG_STEP } from '../../src/model-kit/debug-status.js';
import { cpusWhere, guestCodeEvents, hostCpus, hostProgram, operandEvent, vcpusIn } from '../../src/model-kit/operand-event.js';
import { type EraFastPath, FAST_PATH_MSR_INDEX, FAST_PATH_MSRS } from './eras.js';
import { EXECUTE, matchingSlots, STORE, trapBits } from './hardware.js';
import { HOST_AREAS, VCPU_GHOST } from './layout.js';
import {
  DEBUGCTL,
  DEBUGCTLMSR_LBR,
  DR,
  DR_LEN_4,
  DR_RW_EXECUTE,
  DR_RW_WRITE,
  DR6,
  DR6_ACTIVE_LOW,
  DR7,
  DR7_FIXED_1,
  dr7Slot,
  RFLAGS,
  SLOTS,
  X86_EFLAGS_TF,
} from './registers.js';
import { fastpathStep, oweStep, userspaceSteps } from './single-step.js';
import { archDr6, debugExit, slotIntent, userspaceHw } from './vm-switch.js';

/** Operand domains of the x86 events (the full or the small exploration domain). */
export interface X86Domain {
  readonly addresses: readonly number[];
  readonly hostAddresses: readonly number[];
  readonly hostSlots: readonly number[];
  /** Host breakpoint kinds, as indices into KINDS. */
  readonly hostKinds: readonly number[];
  readonly debugctl: readonly number[];
  /** Userspace breakpoint lists, as indices into BP_LISTS. */
  readonly bpLists: readonly number[];
  readonly singleStep: readonly number[];
  /** Host changes an interrupt makes in the run loop before local_irq_disable(), as indices into IRQ_CHANGES. */
  readonly irqChanges: readonly number[];
}

/** arch_install_hw_breakpoint of slot `n` on `cpu`: DRn, then cpu_dr7 |= encode_dr7() and DR7. */
function armHostSlot(x: Executor, cpu: number, n: number, kind: number, addr: number): void {
  const [rw, len] = KIND_BITS[kind] ?? KIND_BITS[0];
  // encode_dr7 also sets GE (bit 9), which P6 and later ignore (SDM 18.2.4): left out.
  hostProgram(x, cpu, DR(n), addr);
  const cleared = hostDr7(x, cpu) & ~(dr7Slot(n, 3, 0xc, true) | dr7Slot(n, 0, 0, false));
  hostProgram(x, cpu, DR7, (cleared | dr7Slot(n, rw, len, true)) >>> 0);
}

/** arch_uninstall_hw_breakpoint: cpu_dr7 &= ~__encode_dr7(n, len, type); DR7 = cpu_dr7. DRn keeps its value. */
function disarmHostSlot(x: Executor, cpu: number, n: number): void {
  hostProgram(x, cpu, DR7, (hostDr7(x, cpu) & ~(dr7Slot(n, 3, 0xc, true) | dr7Slot(n, 0, 0, false))) >>> 0);
}

/** hw_breakpoint.c's per-CPU cpu_dr7 of `cpu`. */
const hostDr7 = (x: Executor, cpu: number): number => x.world.hostMem[cpu * HOST_AREAS.length * x.regs + DR7] as number;

/**
 * What an interrupt taken in the run loop's interrupts-enabled window can change on its CPU: perf
 * arming or disarming a breakpoint (an SMP function call installing a per-CPU event) or changing
 * IA32_DEBUGCTL (perf LBR/BTS, update_debugctlmsr from an IPI).
 */
export const IRQ_CHANGES: readonly (readonly [name: string, apply: (x: Executor, cpu: number) => void])[] = [
  ['bp0-execute-0x1000', (x, cpu) => armHostSlot(x, cpu, 0, 0, 0x1000)],
  ['bp0-off', (x, cpu) => disarmHostSlot(x, cpu, 0)],
  ['debugctl-0', (x, cpu) => hostProgram(x, cpu, DEBUGCTL, 0)],
  ['debugctl-LBR', (x, cpu) => hostProgram(x, cpu, DEBUGCTL, DEBUGCTLMSR_LBR)],
];
/** The run-loop interrupt changes of the full and the small domain (indices into IRQ_CHANGES): all of them. */
export const IRQ_CHANGES_FULL = [0, 1, 2, 3];
export const IRQ_CHANGES_SMALL = [0, 1, 2, 3];
const IRQ_CHANGE_NAMES = IRQ_CHANGES.map(([name]) => name);

/** The execution breakpoints userspace passes, packed from DR0. */
export const BP_LISTS: readonly (readonly number[])[] = [[], [0x1000], [0x2000], [0x1000, 0x2000]];
const BP_NAMES = BP_LISTS.map((l) => (l.length === 0 ? 'none' : l.map((a) => `0x${a.toString(16)}`).join('+')));
/** Host breakpoint kinds: [R/W, LEN] as hw_breakpoint.c encodes X86_BREAKPOINT_EXECUTE / WRITE with LEN_X / LEN_4. */
const KINDS = ['execute', 'write'] as const;
const KIND_BITS = [
  [DR_RW_EXECUTE, 0],
  [DR_RW_WRITE, DR_LEN_4],
] as const;
const OFF_ON = ['off', 'on'] as const;
/** Operand domains of VMM_SET_GUEST_DEBUG's switches, made once (never changed). */
const BOTH: readonly number[] = [0, 1];
const ONLY_0: readonly number[] = [0];

/** QEMU's struct kvm_guest_debug_arch for execution breakpoints `bps`: debugreg[0..3], [6] unused, [7]. */
function guestDebugArch(bps: readonly number[]): number[] {
  const debugreg = [0, 0, 0, 0, 0, 0, 0, 0x600];
  bps.forEach((addr, n) => {
    debugreg[n] = addr;
    debugreg[7] = ((debugreg[7] as number) | dr7Slot(n, DR_RW_EXECUTE, 0, true)) >>> 0;
  });
  return debugreg;
}

/**
 * Builds the x86 debug events over `domain`; `vmx` selects how a #DB reaches KVM; `fastPath` how the
 * era's run loop goes on from a fast-path exit (EraFastPath: re-entered in the loop, Linux 5.8+; through
 * the exit path and handle_exit, 5.10 and 5.15 SVM; by the MSR, 5.10 and 5.15 VMX; or no FASTPATH_EXIT).
 */
export function x86DebugEvents(domain: X86Domain, vmx: boolean, fastPath: EraFastPath): EventKind[] {
  const cpuDr7 = hostDr7;
  const armed = (x: Executor, c: number): boolean => x.world.cpuContext[c] === CTX_HOST && (cpuDr7(x, c) & 0xff) !== 0;
  const armedHostCpus = cpusWhere(armed);
  const armedSlots = (x: Executor, ev: Float64Array): number[] =>
    domain.hostSlots.filter((n) => ((cpuDr7(x, ev[1] as number) >>> (2 * n)) & 3) !== 0);
  const hit: HitObservation = { cpu: 0, vcpu: 0, level: 0, what: 'execute', addr: 0, hw: 0, intended: 0, toGuest: true };

  /** Guest code touches `addr`: enabled breakpoints that match raise a #DB, which KVM intercepts. */
  const guestRuns = (x: Executor, v: number, what: HitObservation['what'], addr: number): void => {
    // x86 guest code has no privilege level in this model (single-step does not depend on CPL): level 0.
    if (x.model.instruction?.before(x, v, 0) || x.violation) return;
    const cpu = x.world.loadedOn[v] as number;
    const kind = what === 'execute' ? EXECUTE : what === 'store' ? STORE : 1;
    const hwHits = matchingSlots(x.world.hw, cpu * x.regs, addr, kind);
    const intent = slotIntent(x, v);
    const intended = matchingSlots(intent.r, intent.o, addr, kind);
    hit.cpu = cpu;
    hit.vcpu = v;
    hit.what = what;
    hit.addr = addr;
    hit.hw = hwHits;
    hit.intended = intended;
    x.observeHit(hit);
    if (x.violation) return;
    if (hwHits === 0) {
      x.settle(cpu);
      if (!x.violation) x.model.instruction?.after(x, v, false, 0);
      return;
    }
    // The #DB exit reaches userspace or the guest; no step is owed for this instruction on top of it.
    oweStep(x, v, 0);
    const owed = trapBits(hwHits & intended);
    debugExit(x, v, cpu, trapBits(hwHits), owed, userspaceHw(x, v) ? 0 : owed, vmx);
  };

  let setGuestDebugEvent = -1;
  // 5.10 and 5.15 VMX: which MSR the fast path completed decides how the run loop goes on (eras.ts FAST_PATH_MSRS).
  const byMsr = fastPath === 'by-msr';
  const msrOperand: Parameters<typeof operandEvent>[4] = byMsr ? [['msr', FAST_PATH_MSRS, () => [0, 1]]] : [];
  const fastPathEvents =
    fastPath !== 'none'
      ? [
          operandEvent('FASTPATH_EXIT', 2, ['vcpu', 'vcpu'], vcpusIn('FASTPATH_EXIT'), msrOperand, (x, ev) => {
            const v = ev[1] as number;
            // The guest's WRMSR of IA32_TSC_DEADLINE (or x2APIC ICR) that handle_fastpath_set_msr_irqoff completes
            // with interrupts off: an instruction, so a step owed from the previous one is noticed first.
            if (x.model.instruction?.before(x, v, 0) || x.violation) return;
            const cpu = x.world.loadedOn[v] as number;
            const dr6 = archDr6(x, v);
            const tf = ((x.world.hw[cpu * x.regs + RFLAGS] as number) & X86_EFLAGS_TF) !== 0; // as the guest ran it
            // The hook receives the MSR index where the era tells the MSRs apart (kvm_rcx_read).
            const msr = byMsr ? FAST_PATH_MSR_INDEX[ev[2] as number] : undefined;
            const handleExit = fastPath === 'handle-exit' || (byMsr && ev[2] === 1);
            const exit = x.fire(v, x.lifecycleEvent('FASTPATH_EXIT'), msr);
            if (x.violation) return;
            if (typeof exit === 'number') {
              // EXIT_FASTPATH_EXIT_USERSPACE (6.12+): out of the loop through the exit path, KVM_RUN returns 0.
              x.fire(v, x.lifecycleEvent('FASTPATH_EXIT_USERSPACE'), 'fastpath');
              if (x.violation) return;
              x.fire(v, x.lifecycleEvent('EXITED'));
            } else if (handleExit) {
              // 5.10 and 5.15 (EXIT_FASTPATH_EXIT_HANDLED: every fast path on SVM, the x2APIC ICR on VMX): svm_vcpu_run or
              // vmx_vcpu_run returns to vcpu_enter_guest, whose exit path runs, then handle_exit returns 1 for any
              // fast-path exit (`if (exit_fastpath != EXIT_FASTPATH_NONE) return 1;`): vcpu_run goes round and
              // enters through a full vcpu_enter_guest.
              x.fire(v, x.lifecycleEvent('FASTPATH_EXIT_HANDLED'), 'fastpath');
              if (x.violation) return;
              x.fire(v, x.lifecycleEvent('FASTPATH_HANDLED'));
            } else x.fire(v, x.lifecycleEvent('REENTERED'));
            if (x.violation) return;
            fastpathStep(x, v, userspaceSteps(x, v), exit, dr6, tf, handleExit);
            if (!x.violation) x.settle(cpu);
          }),
        ]
      : [];
  return [
    operandEvent(
      'HOST_SET_BREAKPOINT',
      3,
      ['cpu', 'cpu'],
      hostCpus,
      [
        ['slot', 'slot', () => domain.hostSlots],
        ['kind', KINDS, () => domain.hostKinds],
        ['addr', 'value', () => domain.hostAddresses],
      ],
      (x, ev) => {
        const cpu = ev[1] as number;
        armHostSlot(x, cpu, ev[2] as number, ev[3] as number, ev[4] as number);
        x.settle(cpu);
      },
    ),
    operandEvent('HOST_CLEAR_BREAKPOINT', 1, ['cpu', 'cpu'], armedHostCpus, [['slot', 'slot', armedSlots]], (x, ev) => {
      const cpu = ev[1] as number;
      disarmHostSlot(x, cpu, ev[2] as number);
      x.settle(cpu);
    }),
    operandEvent('HOST_SET_DEBUGCTL', 1, ['cpu', 'cpu'], hostCpus, [['value', 'value', () => domain.debugctl]], (x, ev) => {
      // perf (LBR, BTS) updates IA32_DEBUGCTL on its CPU, e.g. from an SMP function call.
      hostProgram(x, ev[1] as number, DEBUGCTL, ev[2] as number);
      x.settle(ev[1] as number);
    }),
    operandEvent(
      'VMM_SET_GUEST_DEBUG',
      2,
      ['vcpu', 'vcpu'],
      vcpusIn('VMM_SET_GUEST_DEBUG'),
      [
        ['enable', OFF_ON, () => BOTH],
        ['useHw', OFF_ON, (_x, ev) => (ev[2] === 1 ? BOTH : ONLY_0)],
        ['singleStep', OFF_ON, (_x, ev) => (ev[2] === 1 ? domain.singleStep : ONLY_0)],
        ['bps', BP_NAMES, (_x, ev) => (ev[2] === 1 && ev[3] === 1 ? domain.bpLists : ONLY_0)],
      ],
      (x, ev) => {
        const v = ev[1] as number;
        const enable = ev[2] === 1;
        const useHw = enable && ev[3] === 1;
        const bps = useHw ? (BP_LISTS[ev[5] as number] ?? []) : [];
        const debugreg = guestDebugArch(bps);
        const g = v * VCPU_GHOST.length;
        const singleStep = enable && ev[4] === 1;
        x.world.vcpuGhost[g + VMM_DEBUG] = (enable ? VMM_DEBUG_ENABLE : 0) | (useHw ? VMM_DEBUG_HW : 0) | (singleStep ? VMM_DEBUG_STEP : 0);
        if (!singleStep) oweStep(x, v, 0);
        for (let n = 0; n < SLOTS; n++) x.world.vcpuGhost[g + 1 + DR(n)] = debugreg[n] as number;
        x.world.vcpuGhost[g + 1 + DR6] = DR6_ACTIVE_LOW;
        x.world.vcpuGhost[g + 1 + DR7] = ((debugreg[7] as number) | DR7_FIXED_1) >>> 0;
        x.mutations++;
        if (setGuestDebugEvent < 0) setGuestDebugEvent = x.lifecycleEvent('VMM_SET_GUEST_DEBUG');
        const dbg: GuestDebug = { enable, useHw, singleStep, bps, arch: debugreg };
        x.fire(v, setGuestDebugEvent, dbg);
        if (x.violation) return;
        x.settle(x.world.loadedOn[v] as number);
      },
    ),
    operandEvent(
      'RUN_LOOP_IRQ',
      2,
      ['vcpu', 'vcpu'],
      vcpusIn('GUEST_ENTER'),
      [['change', IRQ_CHANGE_NAMES, () => domain.irqChanges]],
      (x, ev) => {
        const v = ev[1] as number;
        const cpu = x.world.loadedOn[v] as number;
        const change = IRQ_CHANGES[ev[2] as number]?.[1];
        if (change === undefined) return;
        // KVM_RUN, with the interrupt taken where the policy's guestEnter calls k.localIrqDisable().
        x.interruptRunLoop(v, (y) => change(y, cpu));
      },
    ),
    ...guestCodeEvents(domain.addresses, guestRuns),
    ...fastPathEvents,
  ];
}
