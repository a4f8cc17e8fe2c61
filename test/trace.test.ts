/**
 * The trace-filter model: TRFCR bits and what they trace (Arm ARM D19.2, arch/arm64/tools/sysreg),
 * ID_AA64DFR0_EL1's TraceFilt/TraceBuffer fields, the per-CPU host data in packed worlds, and the
 * executor's interrupt window: a trace driver's call into KVM taken inside the entry hook.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arm64Nvhe } from '../models/arm64-nvhe/model.js';
import arm64Trfcr2023 from '../models/arm64-nvhe/policies/arm64-trfcr-2023.js';
import arm64Trfcr2025 from '../models/arm64-nvhe/policies/arm64-trfcr-2025.js';
import { ID_AA64DFR0_EL1, idAa64dfr0, REGISTER_COUNT, TRBLIMITR_EL1, TRFCR_EL1, TRFCR_EL2 } from '../models/arm64-nvhe/registers.js';
import { NVHE_DRIVER, nvheTrace, traceBufferOf, traceFiltOf } from '../models/arm64-nvhe/trace.js';
import { arm64Vhe } from '../models/arm64-vhe/model.js';
import { invariantsFor } from '../properties/suites.js';
import { definePolicy } from '../src/engine/policy.js';
import { UsageError } from '../src/persistence/usage-error.js';
import { check, makeExecutor } from '../src/searches/check.js';
import { interleavings } from '../src/searches/interleave.js';
import { WorldCodec } from '../src/searches/world-codec.js';

const cpu = (trfcrEl1: number): Float64Array => {
  const r = new Float64Array(REGISTER_COUNT);
  r[TRFCR_EL1] = trfcrEl1;
  return r;
};

describe('TRFCR filtering on nVHE', () => {
  it.each([
    [0x0, 0b00],
    [0x20, 0b00], // TS only: timestamps chosen, nothing traced
    [0x21, 0b01], // E0TRE: EL0
    [0x22, 0b10], // E1TRE: EL1
    [0x23, 0b11],
  ])('TRFCR_EL1 = %s traces levels %s for host and guest alike', (value, levels) => {
    expect(nvheTrace.traced(cpu(value), 0, false)).toBe(levels);
    expect(nvheTrace.traced(cpu(value), 0, true)).toBe(levels);
  });

  it("ignores TRFCR_EL2: it filters EL2, the world switch, which neither world's code runs at", () => {
    const r = cpu(0);
    r[TRFCR_EL2] = 0x23;
    expect(nvheTrace.traced(r, 0, false)).toBe(0);
  });

  it("programs the ETM driver's value: virtual timestamps, EL1 and EL0 (cpu_detect_trace_filtering)", () => {
    expect(NVHE_DRIVER.trfcr).toBe(0x23);
  });
});

describe('ID_AA64DFR0_EL1 trace fields', () => {
  it('keeps Cortex-A57 below bit 32 and puts TraceFilt at [43:40], TraceBuffer at [47:44]', () => {
    const v = idAa64dfr0({ brps: 6, wrps: 4, traceFilt: 1, traceBuffer: 1 });
    expect(v % 2 ** 32).toBe(0x10305106);
    expect(v).toBe(0x10305106 + 2 ** 40 + 2 ** 44);
    expect([traceFiltOf(v), traceBufferOf(v)]).toEqual([1, 1]);
    expect((v >> 12) & 0xf).toBe(5); // the 32-bit field reads policies do still see BRPs
  });

  it('implements TRBLIMITR_EL1 only with --trbe 1, and TRFCR_EL1/EL2 only with --trf 1', () => {
    const x = (config: Record<string, number>) => arm64Nvhe.instantiate(config).registers.implemented;
    expect([x({})[TRFCR_EL1], x({})[TRFCR_EL2], x({})[TRBLIMITR_EL1]]).toEqual([1, 1, 0]);
    expect(x({ trbe: 1 })[TRBLIMITR_EL1]).toBe(1);
    expect([x({ trf: 0 })[TRFCR_EL1], x({ trf: 0 })[TRFCR_EL2]]).toEqual([0, 0]);
    expect(traceFiltOf(arm64Nvhe.instantiate({ trf: 0 }).registers.reset[ID_AA64DFR0_EL1] as number)).toBe(0);
  });

  it('refuses TRBE without TRF (FEAT_TRBE mandates FEAT_TRF): no finding against a CPU that cannot exist', () => {
    for (const arch of [arm64Nvhe, arm64Vhe]) {
      expect(() => arch.instantiate({ trf: 0, trbe: 1 })).toThrow(UsageError);
      expect(() => arch.instantiate({ trf: 0, trbe: 1 })).toThrow(/--trbe 1 needs --trf 1/);
      expect(traceBufferOf(arch.instantiate({ trf: 1, trbe: 1 }).registers.reset[ID_AA64DFR0_EL1] as number)).toBe(1);
    }
    // Unfixed, v1's TRFCR_EL1 read was reported as a 2-step policy-total finding on that CPU.
    expect(() =>
      check(arm64Trfcr2023, { arch: arm64Nvhe, invariants: invariantsFor('arm64-nvhe'), seed: 1, runs: 10, config: { trf: 0, trbe: 1 } }),
    ).toThrow(UsageError);
  });
});

describe('per-CPU host data in packed worlds', () => {
  it('survives encode/decode, and tells worlds apart that differ only there', () => {
    const x = makeExecutor(arm64Trfcr2025, arm64Nvhe, invariantsFor('arm64-nvhe'));
    const codec = new WorldCodec(x.model, x.world.shape);
    const worlds = fc.sample(interleavings(30), { seed: 3, numRuns: 200 }).map((choices) => {
      x.runChoices(choices);
      return x.world.clone();
    });
    const changed = worlds.filter((w) => w.hostScalar.some((v) => v !== 0));
    expect(changed.length).toBeGreaterThan(0);
    const buf = new Float64Array(codec.width);
    for (const w of changed) {
      codec.encode(w, buf, 0);
      const back = w.clone();
      back.hostScalar.fill(-1);
      codec.decode(buf, 0, back);
      expect(Array.from(back.hostScalar)).toEqual(Array.from(w.hostScalar));
    }
    const a = changed[0]?.clone();
    if (!a) throw new Error('no world changed host data');
    const b = a.clone();
    b.hostScalar[0] = (b.hostScalar[0] as number) + 1;
    const fa = new Uint32Array(2);
    const fb = new Uint32Array(2);
    codec.encode(a, buf, 0, 0, fa);
    codec.encode(b, buf, 0, 0, fb);
    expect(Array.from(fa)).not.toEqual(Array.from(fb));
  });
});

describe('an interrupt in the run loop', () => {
  it("runs the trace driver's call into KVM where guestEnter disables interrupts, then resumes the hook", () => {
    const seen: string[] = [];
    const policy = definePolicy({
      name: 'irq-window-probe',
      arch: 'arm64-nvhe',
      hooks: {
        setGuestTrace(k, value) {
          seen.push(`setGuestTrace(${value.toString(16)}) on cpu${k.cpu} with vcpu ${(k.vcpu as { id: number } | undefined)?.id}`);
        },
        guestEnter(k) {
          seen.push('before');
          k.localIrqDisable();
          seen.push(`after: TRFCR_EL1 = ${k.hw.read(TRFCR_EL1).toString(16)}`);
        },
      },
    });
    const x = makeExecutor(policy, arm64Nvhe, []);
    const kind = (type: string): number => x.kinds.findIndex((k) => k.type === type);
    x.apply(Float64Array.of(kind('VCPU_LOAD'), 0, 1, 0, 0, 0));
    // RUN_LOOP_TRACE { vcpu: 0, excludeGuest: yes, excludeHost: no }
    x.apply(Float64Array.of(kind('RUN_LOOP_TRACE'), 0, 1, 0, 0, 0));
    expect(x.violation).toBeUndefined();
    expect(seen).toEqual(['before', 'setGuestTrace(20) on cpu1 with vcpu 0', 'after: TRFCR_EL1 = 23']);
    expect(x.world.hostIntent[1 * x.regs + TRFCR_EL1]).toBe(0x23);
  });
});
