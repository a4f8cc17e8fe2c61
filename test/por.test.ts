/**
 * Partial-order reduction (`explore --por`, src/searches/sleep-sets.ts) prunes transitions, never states:
 * for every built-in policy and every planted mutant the quality suite explores, the verdict, the
 * state count at every depth and the length of the shortest counterexample are those of the full
 * search. The POR searches here run in audit mode: every pruned transition is executed anyway and
 * must lead to a state the search stored and break nothing it did not report, and every event must
 * write only inside its declared footprint.
 */
import { describe, expect, it } from 'vitest';
import { architectures, policies } from '../models/catalog.js';
import { invariantsFor } from '../properties/suites.js';
import { Executor } from '../src/engine/execute.js';
import { type ArchModel, DOMAIN_SMALL, type EventKind, type ModelConfig } from '../src/engine/model.js';
import type { Policy } from '../src/engine/policy.js';
import { lifecycleEvents } from '../src/model-kit/events.js';
import { bfs } from '../src/searches/bfs.js';
import { explore, fullAlphabet } from '../src/searches/explore.js';
import { ALL_MUTANTS } from './quality/all-mutants.js';
import { hostAddressesNotRestored } from './quality/x86-mutants.js';

const archOf = (id: string): ArchModel => architectures.find((a) => a.id === id) as ArchModel;

/** What must not change under POR: verdict, invariant, counterexample length, states per depth. */
function outcome(policy: Policy, depth: number, config: ModelConfig, symmetry: boolean, por: boolean) {
  const arch = archOf(policy.arch);
  const levels: number[] = [];
  const r = explore(policy, {
    arch,
    invariants: invariantsFor(arch.id),
    depth,
    config,
    symmetry,
    por,
    porAudit: por,
    onLevel: (_d, states) => void levels.push(states),
  });
  expect(r.error).toBeUndefined();
  return {
    same: { verdict: r.verdict, invariant: r.violation?.invariant, steps: r.trace.length, states: r.states, levels },
    transitions: r.transitions,
    pruned: r.pruned ?? 0,
  };
}

/** Explores with and without POR (audited) and expects the same outcome; returns the states and the POR run's transitions saved. */
function expectSameWithPor(policy: Policy, depth: number, config: ModelConfig = {}, symmetry = true): { states: number; saved: number } {
  const full = outcome(policy, depth, config, symmetry, false);
  const reduced = outcome(policy, depth, config, symmetry, true);
  expect(reduced.same).toEqual(full.same);
  expect(reduced.transitions + reduced.pruned).toBeLessThanOrEqual(full.transitions);
  return { states: full.same.states, saved: reduced.pruned };
}

describe('explore --por finds what the full search finds (audited)', () => {
  it.each(policies.map((p) => [`${p.arch}/${p.name}`, p] as const))(
    '%s: same verdict, states per depth and shortest counterexample at depth 4',
    (_n, policy) => {
      expectSameWithPor(policy, 4);
    },
  );

  it.each(policies.filter((p) => p.arch !== 'arm64-vhe').map((p) => [`${p.arch}/${p.name}`, p] as const))(
    '%s: the same without symmetry at depth 4',
    (_n, policy) => {
      expectSameWithPor(policy, 4, {}, false);
    },
  );

  it.each(ALL_MUTANTS.map(([p, c]) => [`${p.arch}/${p.name}`, p.arch === 'arm64-vhe' ? 4 : 5, p, c] as const))(
    'mutant %s: same outcome at depth %i',
    (_n, depth, policy, config) => {
      expectSameWithPor(policy, depth, config);
    },
  );

  it('with --continue and --per-point, finds a counterexample of the same length for every invariant and point', () => {
    const found = (por: boolean, perPoint: boolean) => {
      const arch = archOf('x86-vmx');
      const policy = hostAddressesNotRestored('x86-vmx');
      const r = explore(policy, { arch, invariants: invariantsFor(arch.id), depth: 5, continue: true, perPoint, por, porAudit: por });
      return [r.states, ...(r.counterexamples ?? []).map((c) => [c.invariant, c.trace.length])];
    };
    for (const perPoint of [false, true]) {
      const full = found(false, perPoint);
      expect(full.length).toBeGreaterThan(perPoint ? 2 : 1);
      expect(found(true, perPoint)).toEqual(full);
    }
  });

  it('saves a quarter of the transitions on arm64-dirty-2015 without symmetry at depth 6, the 40,051 states kept', () => {
    const { states, saved } = expectSameWithPor(policies.find((p) => p.name === 'arm64-dirty-2015') as Policy, 6, {}, false);
    expect(states).toBe(40_051);
    expect(saved).toBe(92_498);
  });

  it.each(['arm64-nvhe/arm64-dirty-2015', 'ppc-booke/ppc-booke-2014-fixed', 'x86-svm/x86-lazy-2014'])(
    '%s with three CPUs: sleep sets renumbered under every CPU order keep the same outcome',
    (name) => {
      const policy = policies.find((p) => `${p.arch}/${p.name}` === name) as Policy;
      expect(expectSameWithPor(policy, 4, { cpus: 3 }).saved).toBeGreaterThan(0);
    },
  );

  it('with two vCPUs, the events of vCPUs loaded on different CPUs commute too', () => {
    const { saved } = expectSameWithPor(policies.find((p) => p.name === 'eager' && p.arch === 'x86-vmx') as Policy, 4, { vcpus: 2 }, false);
    expect(saved).toBe(4_345);
  });
});

/** An event on CPU c that also writes a register of the other CPU: its footprint ({c}) is declared too small. */
function rogueEvent(): EventKind {
  return {
    type: 'ROGUE_CROSS_CPU_WRITE',
    weight: 1,
    operands: [['cpu', 'cpu']],
    enabled: () => true,
    decode: (_x, r, ev) => {
      ev[1] = r % 2;
    },
    accepts: () => true,
    enumerate(_x, emit) {
      const ev = new Float64Array(6);
      for (let c = 0; c < 2; c++) {
        ev[1] = c;
        emit(ev);
      }
    },
    apply(x, ev) {
      const other = 1 - (ev[1] as number);
      const reg = x.model.view.slotRegs[0] as number;
      x.world.hw[other * x.regs + reg] = ((x.world.hw[other * x.regs + reg] as number) + 4) % 16;
      x.mutations++;
    },
  };
}

describe('footprints are checked at run time', () => {
  const policy = policies.find((p) => p.name === 'arm64-dirty-2015') as Policy;
  const rogueExecutor = (): Executor => {
    const m = archOf('arm64-nvhe').instantiate({ domain: DOMAIN_SMALL });
    return new Executor(m, policy, invariantsFor('arm64-nvhe'), [...lifecycleEvents(m), rogueEvent()]);
  };

  it('in audit mode, an event writing outside its declared footprint is an error naming its kind', () => {
    expect(() => bfs(rogueExecutor(), { depth: 3, alphabet: fullAlphabet(), por: true, porAudit: true })).toThrow(
      /ROGUE_CROSS_CPU_WRITE wrote outside its declared footprint/,
    );
  });

  it('otherwise such an event counts as dependent on everything, and the search finds every state', () => {
    const levels = (por: boolean): number[] => {
      const out: number[] = [];
      bfs(rogueExecutor(), { depth: 4, alphabet: fullAlphabet(), por, onLevel: (_d, s) => void out.push(s) });
      return out;
    };
    expect(levels(true)).toEqual(levels(false));
  });
});
