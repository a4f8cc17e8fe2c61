/**
 * The upstream design (Linux 3.15+) against the same checks. It holds every invariant except one
 * narrow case the engine finds on its own: prime_debug_regs() writes the IACs first and DBCR0/DBCR1
 * last, so a comparator the host armed for supervisor code is retargeted while still armed. When a
 * gdb breakpoint on the switch code's own address lands in that slot, the switch code latches an
 * event that reaches userspace. (Upstream Book E kernels program no supervisor-mode IACs.)
 */
import { describe, expect, it } from 'vitest';
import { ppcBooke } from '../../models/ppc-booke/model.js';
import upstream from '../../models/ppc-booke/policies/ppc-booke-2014.js';
import { invariantsFor } from '../../properties/suites.js';
import { check } from '../../src/check.js';

const all = invariantsFor('ppc-booke');

describe('ppc-booke-2014 (upstream)', () => {
  it('holds every invariant but debug-status-consumed on 2000 interleavings (seed 1)', () => {
    const r = check(upstream, { arch: ppcBooke, invariants: all.filter((i) => i.name !== 'debug-status-consumed'), seed: 1, runs: 2000 });
    expect(r.violation).toBeUndefined();
    expect(r.verdict).toBe('held');
  });

  it('leaks a switch-code event only when a host supervisor IAC shares the slot of a gdb breakpoint on the switch code', () => {
    const r = check(upstream, { arch: ppcBooke, invariants: all, seed: 1, runs: 2000 });
    expect(r.violation?.invariant).toBe('debug-status-consumed');
    const host = r.trace.find((e) => e.event === 'HOST_SET_BREAKPOINT');
    const vmm = r.trace.find((e) => e.event === 'VMM_SET_GUEST_DEBUG');
    expect(host?.kind).toBe('iac');
    expect(String(vmm?.bps)).toContain('0x2000');
  });
});
