/**
 * The ppc-booke model through the CLI: `check` with one invariant finds the 2008 posting's bugs
 * with exit code 1, `explore` runs on the small Book E domain (the 2008 posting and its reviewed fix
 * are violated, the fixed upstream design holds), and `list` shows the policies.
 */
import { describe, expect, it } from 'vitest';
import { cli } from './cli-harness.js';

describe('worldswitch on ppc-booke', () => {
  it.each(['debug-status-consumed', 'host-breakpoints-preserved'])(
    'check ppc-booke-gdb-2008 --invariant %s exits 1 with a shrunk counterexample',
    async (invariant) => {
      const r = await cli('check', 'ppc-booke-gdb-2008', '--invariant', invariant, '--seed', '1', '--runs', '1000');
      expect(r.code, r.err).toBe(1);
      expect(r.out).toContain(`ppc-booke/ppc-booke-gdb-2008: violated ${invariant}`);
      expect(r.out).toMatch(/Shrunk \d+ time\(s\)/);
    },
  );

  it('explore finds the switch-code event of the 2008 posting in 3 steps and proves the fixed upstream design to depth 5', async () => {
    const bad = await cli('explore', 'ppc-booke-gdb-2008', '--depth', '5', '--invariant', 'debug-status-consumed');
    expect(bad.code, bad.err).toBe(1);
    expect(bad.out).toContain('violated debug-status-consumed');
    expect(bad.out).toContain('Shortest counterexample: 3 steps');
    expect(bad.out).toContain('VMM_SET_GUEST_DEBUG { vcpu: 0, enable: on, useHw: on, bps: 0x2000 }');
    expect(bad.out).not.toContain('HOST_SET_BREAKPOINT');
    const good = await cli('explore', 'ppc-booke-2014-fixed', '--depth', '5');
    expect(good.code, good.err).toBe(0);
    expect(good.out).toContain('held for every interleaving of at most 5 events');
  });

  it('explore finds a host comparator armed in the guest under the reviewed 2008 fix in 3 steps', async () => {
    const r = await cli('explore', 'ppc-booke-gdb-2008-fixed', '--depth', '5');
    expect(r.code, r.err).toBe(1);
    expect(r.out).toContain('violated host-breakpoints-quiet-in-guest');
    expect(r.out).toContain('Shortest counterexample: 3 steps');
    expect(r.out).toContain('HOST_SET_BREAKPOINT');
    expect(r.out).not.toContain('VMM_SET_GUEST_DEBUG');
  });

  it('lists the Book E policies', async () => {
    const r = await cli('list');
    expect(r.code).toBe(0);
    for (const name of ['ppc-booke-gdb-2008', 'ppc-booke-gdb-2008-fixed', 'ppc-booke-2014', 'ppc-booke-2014-fixed'])
      expect(r.out).toContain(name);
    expect(r.out).toContain('ppc-booke');
  });
});
