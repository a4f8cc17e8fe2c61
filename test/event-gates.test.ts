/**
 * The gates decode reads instead of calling `enabled()` (EventKind.gate, hostGate, needsHook) say
 * exactly what each kind's `enabled()` says, for every built-in policy along random walks, with
 * one and with two vCPUs: a kind whose gate is wrong would be drawn where it is disabled or never
 * drawn where it is enabled, and change every check's interleavings. And the gated weights decode
 * keeps while the lifecycle states and contexts stay as they were draw what weighing every kind
 * again at each event draws.
 */
import { describe, expect, it } from 'vitest';
import { architectures, policies } from '../models/catalog.js';
import { invariantsFor } from '../properties/suites.js';
import { decodeCache, EVENT_WIDTH, type Executor } from '../src/engine/execute.js';
import type { HookName } from '../src/engine/lifecycle.js';
import type { EventKind } from '../src/engine/model.js';
import { makeExecutor } from '../src/searches/check.js';

/** What the gate of `kind` says in the current decode step, or undefined for a kind without one. */
function gated(x: Executor, kind: EventKind): boolean | undefined {
  if (kind.needsHook !== undefined && !x.hasHook(kind.needsHook as HookName)) return false;
  if (kind.hostGate) return x.hostCpuCount() > 0;
  if (kind.gate !== undefined) return x.vcpusEnabling(x.lifecycleEvent(kind.gate)) > 0;
  return undefined;
}

/** Walks `steps` events from the initial state with a fixed pseudo-random choice sequence; returns the gated kinds compared. */
function walk(x: Executor, steps: number, seed: number): number {
  const ev = new Float64Array(EVENT_WIDTH);
  let s = seed;
  let compared = 0;
  x.reset();
  for (let i = 0; i < steps; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    if (!x.decode(s & 0x7fffffff, ev)) break;
    for (const kind of x.kinds) {
      const g = gated(x, kind);
      if (g === undefined) continue;
      expect({ type: kind.type, enabled: g }).toEqual({ type: kind.type, enabled: kind.enabled(x) });
      compared++;
    }
    x.apply(ev);
    if (x.violation) x.reset();
  }
  return compared;
}

describe('event gates', () => {
  for (const vcpus of [1, 2]) {
    it(`agree with enabled() for every built-in policy along random walks (${vcpus} vCPU)`, () => {
      let compared = 0;
      for (const policy of policies) {
        const arch = architectures.find((a) => a.id === policy.arch);
        if (arch === undefined) throw new Error(`no arch ${policy.arch}`);
        const x = makeExecutor(policy, arch, invariantsFor(arch.id), { vcpus });
        for (let seed = 1; seed <= 5; seed++) compared += walk(x, 40, seed);
      }
      expect(compared).toBeGreaterThan(1000);
    });
  }
});

describe('event gates under model options', () => {
  // Option events read more than the lifecycle (GUEST_TRFCR and GUEST_ERET are not generated while
  // userspace debugs the vCPU): a gate on them would draw them where they are disabled.
  const variants: Record<string, number>[] = [
    { gdb: 1, 'guest-trfcr': 1 },
    { gdb: 1, 'guest-step': 1 },
    { 'guest-trfcr': 1, 'guest-step': 1, oslock: 1 },
  ];
  it('agree with enabled() for every arm64 built-in policy along random walks, with the options that add events', () => {
    let compared = 0;
    for (const policy of policies) {
      const arch = architectures.find((a) => a.id === policy.arch);
      if (arch === undefined || !arch.id.startsWith('arm64')) continue;
      for (const config of variants) {
        let x: Executor;
        try {
          x = makeExecutor(policy, arch, invariantsFor(arch.id), config);
        } catch {
          continue; // a policy that does not model the option (its scope) refuses it
        }
        for (let seed = 1; seed <= 5; seed++) compared += walk(x, 40, seed);
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });
});

describe('decode keeping the gated weights', () => {
  it('draws, for every built-in policy along random walks, the events a fresh weighing at each event draws', () => {
    let drawn = 0;
    for (const vcpus of [1, 2]) {
      for (const policy of policies) {
        const arch = architectures.find((a) => a.id === policy.arch);
        if (arch === undefined) throw new Error(`no arch ${policy.arch}`);
        const kept = makeExecutor(policy, arch, invariantsFor(arch.id), { vcpus });
        decodeCache.on = false;
        let fresh: Executor;
        try {
          fresh = makeExecutor(policy, arch, invariantsFor(arch.id), { vcpus });
        } finally {
          decodeCache.on = true;
        }
        const a = new Float64Array(EVENT_WIDTH);
        const b = new Float64Array(EVENT_WIDTH);
        for (let seed = 1; seed <= 5; seed++) {
          kept.reset();
          fresh.reset();
          let s = seed;
          for (let i = 0; i < 60; i++) {
            s = (Math.imul(s, 1103515245) + 12345) >>> 0;
            const c = s & 0x7fffffff;
            const on = kept.decode(c, a);
            expect(fresh.decode(c, b)).toBe(on);
            if (!on) break;
            expect(Array.from(a)).toEqual(Array.from(b));
            drawn++;
            kept.apply(a);
            fresh.apply(b);
            expect(kept.violation?.invariant).toBe(fresh.violation?.invariant);
            if (kept.violation) {
              kept.reset();
              fresh.reset();
            }
          }
        }
      }
    }
    expect(drawn).toBeGreaterThan(5000);
  });
});
