/**
 * The x86 models through the CLI: `list` shows both architectures and their policies, `check` finds
 * the upstream finding with exit code 1 and a replayable report, `explore` proves the fix on the
 * small domain, and a user policy file written against the x86 API runs.
 */
import { describe, expect, it } from 'vitest';
import { cli } from './cli-harness.js';

describe('worldswitch on x86', () => {
  it('lists x86-vmx and x86-svm with their explore domains and policies', async () => {
    const r = await cli('list');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ {2}x86-vmx /m);
    expect(r.out).toMatch(/^ {2}x86-svm /m);
    for (const name of ['x86-vmx/x86-lazy-2014', 'x86-svm/x86-lazy-2014', 'x86-vmx/eager', 'x86-svm/x86-lazy-2014-fixed']) {
      expect(r.out).toContain(name);
    }
  });

  it('check x86-vmx/x86-lazy-2014 exits 1 with the 7-step counterexample (the re-executed MOV DR runs on the debugger registers) and its replay line', async () => {
    const r = await cli('check', 'x86-vmx/x86-lazy-2014', '--seed', '2', '--runs', '2000');
    expect(r.code, r.err).toBe(1);
    // The debugger owns the slots, so its claim is the one reported (the checking order).
    expect(r.out).toContain('x86-vmx/x86-lazy-2014: violated userspace-debug-honored');
    expect(r.out).toContain('Counterexample: 7 steps');
    expect(r.out).toContain('vcpu0.vmcs.MOV_DR_EXITING: 0x800000 (MOV_DR_EXITING) -> 0x0');
    const left = /ghost\.vcpu0\.retryAccess: 0x0 -> (0x[0-9a-f]+)/.exec(r.out)?.[1]; // handle_dr left the MOV DR to run again
    expect(left).toBeDefined();
    expect(r.out).toContain(`ghost.vcpu0.retryAccess: ${left} -> 0x0`); // ... and it ran at the next entry
    expect(r.out).toContain('Replay: npx worldswitch check x86-vmx/x86-lazy-2014 --seed 2 --runs 2000');
  });

  it('explore proves x86-lazy-2014-fixed on the small domain to depth 5', async () => {
    const r = await cli('explore', 'x86-svm/x86-lazy-2014-fixed', '--depth', '5');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('x86-svm/x86-lazy-2014-fixed: held for every interleaving of at most 5 events');
    expect(r.out).toContain('domain: DR0 on one pCPU slot');
  });

  it('--coverage counts the run-loop interrupts (RUN_LOOP_IRQ) under check and explore, and eager holds with them', async () => {
    const c = await cli('check', 'x86-vmx/eager', '--coverage', '--runs', '200');
    expect(c.code, c.err).toBe(0);
    expect(c.out).toMatch(/RUN_LOOP_IRQ [1-9]\d*/);
    const e = await cli('explore', 'x86-svm/eager', '--depth', '4', '--coverage', '--lbrv', '0');
    expect(e.code, e.err).toBe(0);
    expect(e.out).toMatch(/RUN_LOOP_IRQ [1-9]\d*/);
    expect(e.out).toContain('lbrv=0');
  });

  it('--x86-era 1 runs the 6.13 DEBUGCTL code and finds what 6.14 fixed; --x86-era 2 has no fast path', async () => {
    const r = await cli('check', 'x86-svm/x86-lazy-2014-fixed', '--x86-era', '1');
    expect(r.code, r.err).toBe(1);
    expect(r.out).toContain("runs on cpu0 with IA32_DEBUGCTL = 0x1, the host's value");
    expect(r.out).toContain('Replay: npx worldswitch check x86-svm/x86-lazy-2014-fixed --seed 1 --x86-era 1');
    const old = await cli('check', 'x86-vmx/eager', '--x86-era', '2', '--coverage', '--runs', '100');
    expect(old.code, old.err).toBe(0);
    expect(old.out).not.toMatch(/FASTPATH_EXIT \d/);
    // The era's run loop has no fast path: its transitions are listed as off, not warned about.
    expect(old.out).toContain('not in this configuration (no kernel path): guest --FASTPATH_EXIT--> fastpath');
    expect(old.out).not.toMatch(/warning: (transition .*FASTPATH|state fastpath)/);
    const now = await cli('check', 'x86-vmx/eager', '--coverage', '--runs', '100');
    expect(now.out).toContain('not in this configuration (no kernel path): fastpath --FASTPATH_EXIT_HANDLED--> exiting');
    expect(now.out).not.toMatch(/not in this configuration.*REENTERED/);
  });

  it('checks a policy file written against the x86 API (DR exits never turned off: holds)', async () => {
    const r = await cli('check', 'test/fixtures/x86-always-exit.ts', '--seed', '1', '--runs', '500');
    expect(r.code, r.err + r.out).toBe(0);
    expect(r.out).toContain('x86-vmx/always-exit: held');
  });
});
