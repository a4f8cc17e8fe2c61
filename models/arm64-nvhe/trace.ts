/**
 * arm64 self-hosted trace filtering (FEAT_TRF): the TRFCR bits, which exception levels the trace
 * unit traces under them, and the host's trace sessions (perf through the CoreSight ETM driver,
 * drivers/hwtracing/coresight/coresight-etm4x-core.c etm4x_allow_trace) as events: `HOST_TRACE`
 * wherever the host runs with interrupts enabled, and `RUN_LOOP_TRACE`, the same change taken in
 * KVM_RUN's loop before it disables interrupts to enter the guest.
 */

import type { Executor } from '../../src/engine/execute.js';
import type { EventKind } from '../../src/engine/model.js';
import { TRACE_EXCLUDE_GUEST, TRACE_EXCLUDE_HOST, type TraceView } from '../../src/engine/trace-session.js';
import { hostWrite, isHostCpu, pickHostCpu } from '../../src/model-kit/breakpoint-events.js';
import { pickVcpu } from '../../src/model-kit/events.js';
import { UsageError } from '../../src/persistence/usage-error.js';
import { TRFCR_EL1 } from './registers.js';

// arch/arm64/tools/sysreg TRFCR_ELx and TRFCR_EL2; Arm ARM D19.2 (TRFCR_EL1, TRFCR_EL2).
/** TRFCR_EL1.E0TRE (bit 0): trace EL0; the same bit of TRFCR_EL2 is E0HTRE (EL0 of the host when HCR_EL2.TGE is 1). */
export const TRFCR_E0TRE = 1 << 0;
/** TRFCR_EL1.E1TRE (bit 1, the kernel's ExTRE): trace EL1; the same bit of TRFCR_EL2 is E2TRE (trace EL2). */
export const TRFCR_E1TRE = 1 << 1;
/** TRFCR_EL2.CX (bit 3): trace CONTEXTIDR_EL2. TRFCR_EL1 has no CX. */
export const TRFCR_EL2_CX = 1 << 3;
/** TRFCR_ELx.TS [6:5] = 0b01: virtual timestamps (TRFCR_ELx_TS_VIRTUAL). */
export const TRFCR_TS_VIRTUAL = 1 << 5;
/** The two trace-enable bits of a TRFCR. */
export const TRFCR_ENABLES = TRFCR_E0TRE | TRFCR_E1TRE;

/** Ghost words per CPU of a model with trace: the host's trace session (TRACE_* bits of trace-session.ts). */
export const TRACE_GHOST = ['traceSession'] as const;

/**
 * nVHE: host and guest kernels both run at EL1 and their EL0 with HCR_EL2.TGE = 0, so TRFCR_EL1
 * filters whichever world runs (EL0 by E0TRE, EL1 by E1TRE); the world switch at EL2 is filtered
 * by TRFCR_EL2.E2TRE, and the host's trace driver never sets it.
 */
export const nvheTrace: TraceView = {
  sessionGhost: 0,
  hostFilterReg: TRFCR_EL1,
  guestFilterReg: TRFCR_EL1,
  hostKernelEl: 1,
  traced: (r, o) => (r[o + TRFCR_EL1] as number) & TRFCR_ENABLES,
};

/**
 * How the host's ETM driver programs trace on its own CPU: `trfcr` is drvdata->trfcr
 * (cpu_detect_trace_filtering: TS_VIRTUAL | ExTRE | E0TRE, plus CX when the kernel runs at EL2),
 * written to `hostReg` by write_trfcr (TRFCR_EL1, which VHE redirects to TRFCR_EL2).
 */
export interface TraceDriver {
  readonly trfcr: number;
  readonly hostReg: number;
}

/** The nVHE host's ETM driver: the kernel at EL1 writes TRFCR_EL1 and has no CX. */
export const NVHE_DRIVER: TraceDriver = { trfcr: TRFCR_TS_VIRTUAL | TRFCR_E1TRE | TRFCR_E0TRE, hostReg: TRFCR_EL1 };

const EXCLUDE = ['no', 'yes'] as const;

/**
 * A trace session on `cpu` starts or changes (etm4x_allow_trace, Linux 6.14): the host's filter is
 * written first, then the guests' value is handed to KVM through the policy's `setGuestTrace`.
 * A session that excludes both worlds is what etm4x_prohibit_trace leaves when it stops.
 */
export function changeTraceSession(x: Executor, driver: TraceDriver, cpu: number, excludeGuest: boolean, excludeHost: boolean): void {
  hostWrite(x, cpu, driver.hostReg, excludeHost ? driver.trfcr & ~TRFCR_ENABLES : driver.trfcr);
  const ghost = x.world.cpuGhost;
  ghost[cpu * TRACE_GHOST.length] = (excludeGuest ? TRACE_EXCLUDE_GUEST : 0) | (excludeHost ? TRACE_EXCLUDE_HOST : 0);
  x.mutations++;
  // TRFCR_EL1 has no CX, so the driver masks it out of the guests' value.
  const guest = (excludeGuest ? driver.trfcr & ~TRFCR_ENABLES : driver.trfcr) & ~TRFCR_EL2_CX;
  x.hostHook('setGuestTrace', cpu, guest);
}

/** Writes the two exclusion choices of raw choice `r` into ev[at], ev[at + 1]. */
function decodeExcludes(r: number, ev: Float64Array, at: number): void {
  ev[at] = r % 2;
  ev[at + 1] = Math.floor(r / 2) % 2;
}

/** Emits `ev` once per exclusion choice, in ev[at], ev[at + 1]. */
function eachExclude(ev: Float64Array, at: number, emit: (ev: Float64Array) => void): void {
  for (let g = 0; g < 2; g++) {
    for (let h = 0; h < 2; h++) {
      ev[at] = g;
      ev[at + 1] = h;
      emit(ev);
    }
  }
}

/**
 * The trace events of an arm64 model whose host's ETM driver is `driver`. Both are generated only
 * for policies with a `setGuestTrace` hook, the interface through which 6.14's driver hands KVM the
 * guests' filter (kvm_tracing_set_el1_configuration). A policy without it gets no host trace session,
 * so `trace-filter-honored` only checks that nothing is traced: right for kernels before the driver
 * filtered by TRFCR, but for those whose ETM driver wrote the host's TRFCR and passed KVM nothing
 * (coresight-self-hosted-trace.h, 2021, up to 6.13: "Currently the userspace and kernel filters for
 * guests are never set, so no trace will be generated for them", aaf69eff6cdb, 6.14), the sessions and
 * their guest side are not modelled.
 */
export function arm64TraceEvents(driver: TraceDriver): EventKind[] {
  const buffer = new Float64Array(6);
  let enter = -1;
  const enterEvent = (x: Executor): number => (enter >= 0 ? enter : (enter = x.lifecycleEvent('GUEST_ENTER')));
  const operands = [
    ['excludeGuest', EXCLUDE],
    ['excludeHost', EXCLUDE],
  ] as const;
  return [
    {
      type: 'HOST_TRACE',
      weight: 2,
      operands: [['cpu', 'cpu'], ...operands],
      enabled: (x) => x.hostCpuCount() > 0 && x.hasHook('setGuestTrace'),
      hostGate: true,
      needsHook: 'setGuestTrace',
      decode: (x, r, ev) => decodeExcludes(pickHostCpu(x, r, ev), ev, 2),
      accepts: (x, ev) => isHostCpu(x, ev[1] as number) && x.hasHook('setGuestTrace'),
      enumerate(x, emit) {
        if (!x.hasHook('setGuestTrace')) return;
        for (let c = 0; c < x.world.cpuContext.length; c++) {
          if (!isHostCpu(x, c)) continue;
          buffer.fill(0);
          buffer[1] = c;
          eachExclude(buffer, 2, emit);
        }
      },
      apply(x, ev) {
        const cpu = ev[1] as number;
        changeTraceSession(x, driver, cpu, ev[2] === 1, ev[3] === 1);
        x.settle(cpu);
      },
    },
    {
      type: 'RUN_LOOP_TRACE',
      weight: 2,
      operands: [['vcpu', 'vcpu'], ...operands],
      enabled: (x) => x.vcpusEnabling(enterEvent(x)) > 0 && x.hasHook('setGuestTrace'),
      gate: 'GUEST_ENTER',
      needsHook: 'setGuestTrace',
      decode: (x, r, ev) => decodeExcludes(pickVcpu(x, enterEvent(x), r, ev), ev, 2),
      accepts: (x, ev) => x.can(ev[1] as number, enterEvent(x)) && x.hasHook('setGuestTrace'),
      enumerate(x, emit) {
        if (!x.hasHook('setGuestTrace')) return;
        for (let v = 0; v < x.world.vcpuState.length; v++) {
          if (!x.can(v, enterEvent(x))) continue;
          buffer.fill(0);
          buffer[1] = v;
          eachExclude(buffer, 2, emit);
        }
      },
      apply(x, ev) {
        const v = ev[1] as number;
        const cpu = x.world.loadedOn[v] as number;
        const excludeGuest = ev[2] === 1;
        const excludeHost = ev[3] === 1;
        x.interruptRunLoop(v, (y) => changeTraceSession(y, driver, cpu, excludeGuest, excludeHost));
      },
    },
  ];
}

/** ID_AA64DFR0_EL1.TraceFilt [43:40] (cpuid_feature_extract_unsigned_field(dfr0, ID_AA64DFR0_EL1_TraceFilt_SHIFT)). */
export const traceFiltOf = (dfr0: number): number => Math.floor(dfr0 / 2 ** 40) & 0xf;
/** ID_AA64DFR0_EL1.TraceBuffer [47:44]. */
export const traceBufferOf = (dfr0: number): number => Math.floor(dfr0 / 2 ** 44) & 0xf;
/** TRBLIMITR_EL1.E (bit 0): the trace buffer unit is enabled. */
export const TRBLIMITR_EL1_E = 1 << 0;

/**
 * The FEAT_TRF and FEAT_TRBE model options of `config`, with their defaults (a v8.4 CPU: TRF, no
 * TRBE). TRBE without TRF describes no CPU: "FEAT_TRBE mandates FEAT_TRF" (Arm ARM DDI 0487J.a
 * A3.1, as Suzuki K Poulose's review of the 2023 series cites it; 6.14's kvm_init_host_debug_data
 * looks for TRBE only under TraceFilt), and on such a CPU a policy's TRFCR_EL1 access would be
 * reported UNDEFINED, a finding against hardware that cannot exist.
 */
export function traceOptions(config: Readonly<Record<string, number>>): { trf: number; trbe: number } {
  const trf = config.trf ?? 1;
  const trbe = config.trbe ?? 0;
  if (trbe !== 0 && trf === 0)
    throw new UsageError(
      '--trbe 1 needs --trf 1: FEAT_TRBE mandates FEAT_TRF (Arm ARM A3.1), so no CPU has a trace buffer without TRFCR. Drop --trf 0 or --trbe 1.',
    );
  return { trf, trbe };
}
