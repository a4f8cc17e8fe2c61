/**
 * The host's DR6 after #VMEXIT on SVM (--vmexit-dr6). The APM does not say that #VMEXIT gives the host
 * its DR6 back (vol. 2 15.5.1 lists no DR6 among the host state VMRUN saves; 15.6 only disables the
 * host DR7's breakpoints); KVM assumes it does (1ccb6f983a4e, 5.15), and since then writes the physical
 * DR6 on SVM only in hw_breakpoint_restore(), when the host has breakpoints active. The default keeps
 * KVM's reading; `--vmexit-dr6 1` checks the other, where the guest's DR6 stays on the CPU. The planted
 * mutant (eager leaving DR6 to the CPU) is found only there; eager holds under both readings.
 */
import { describe, expect, it } from 'vitest';
import { x86Svm } from '../../models/x86/model.js';
import { x86EagerSvm } from '../../models/x86/policies/eager.js';
import { x86Lazy2014FixedSvm } from '../../models/x86/policies/x86-lazy-2014-fixed.js';
import { invariantsFor } from '../../properties/suites.js';
import { check } from '../../src/searches/check.js';
import { explore } from '../../src/searches/explore.js';
import { cli } from '../cli-harness.js';
import { dr6LeftToVmexit } from './x86-eager-mutants.js';

const all = invariantsFor('x86-svm');
const guestDr6 = { 'vmexit-dr6': 1 };
const HOST_DR6 = /cpu\d runs host code with DR6 = 0x[0-9a-f]+; the host's value is 0xffff0ff0/;

describe('x86-svm --vmexit-dr6: the host DR6 #VMEXIT leaves', () => {
  it('finds an exit that leaves DR6 to the CPU when #VMEXIT keeps the guest DR6', () => {
    const e = explore(dr6LeftToVmexit, { arch: x86Svm, invariants: all, depth: 6, config: guestDr6 });
    expect(e.violation?.invariant).toBe('host-breakpoints-preserved');
    expect(e.violation?.message).toMatch(HOST_DR6);
    const r = check(dr6LeftToVmexit, { arch: x86Svm, invariants: all, seed: 1, runs: 2000, config: guestDr6 });
    expect(r.violation?.invariant).toBe('host-breakpoints-preserved');
    expect(r.violation?.message).toMatch(HOST_DR6);
  });

  it("holds the same mutant under KVM's reading (the default): only the option finds it", () => {
    expect(explore(dr6LeftToVmexit, { arch: x86Svm, invariants: all, depth: 6 }).verdict).toBe('held');
    expect(check(dr6LeftToVmexit, { arch: x86Svm, invariants: all, seed: 1, runs: 2000 }).verdict).toBe('held');
  });

  it('holds eager under both readings: its exit writes DR6_RESERVED whatever the CPU left', () => {
    for (const config of [{}, guestDr6]) {
      expect(explore(x86EagerSvm, { arch: x86Svm, invariants: all, depth: 6, config }).verdict).toBe('held');
      const r = check(x86EagerSvm, { arch: x86Svm, invariants: all, seed: 1, runs: 2000, config });
      expect(r.verdict, r.violation?.message).toBe('held');
    }
  });

  it("finds upstream's exposure: an intercepted #DB(BD) leaves DR6.BD to a host with no breakpoint active", () => {
    const e = explore(x86Lazy2014FixedSvm, { arch: x86Svm, invariants: all, depth: 6, config: guestDr6 });
    expect(e.violation?.invariant).toBe('host-breakpoints-preserved');
    expect(e.violation?.message).toMatch(/DR6 = 0xffff2ff0; the host's value is 0xffff0ff0/);
    expect(e.trace?.map((t) => t.event)).toEqual(['VCPU_LOAD', 'VMM_SET_REG', 'GUEST_ENTER', 'GUEST_READ']);
    // Under KVM's reading the same depth holds (the x86-lazy-2014-fixed rows of the README).
    expect(explore(x86Lazy2014FixedSvm, { arch: x86Svm, invariants: all, depth: 6 }).verdict).toBe('held');
  });

  it('is an x86-svm option with values 0 and 1 (bad input exits 2)', async () => {
    const vmx = await cli('check', 'x86-vmx/eager', '--vmexit-dr6', '1');
    expect(vmx.code).toBe(2);
    expect(vmx.err).toMatch(/vmexit-dr6/);
    const bad = await cli('check', 'x86-svm/eager', '--vmexit-dr6', '2');
    expect(bad.code).toBe(2);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
  });
});
