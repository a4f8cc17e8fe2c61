/**
 * Which of 4.17's accesses go through vcpu_read_sys_reg / vcpu_write_sys_reg, pinned on the
 * accessor-based 2017 policies. In 4.17 the accessor takes an index into sys_regs[] (enum
 * vcpu_sysreg): of the model's registers the VM registers, MDSCR_EL1 and MDCCINT_EL1. So
 * trap_debug_regs (MDSCR_EL1, MDCCINT_EL1) and kvm_arm_setup_debug's KDE/MDE check use it, while an
 * ID register (read_id_reg), a breakpoint register (vcpu_debug_state through debug_ptr) and
 * OSLSR_EL1 (a constant in trap_oslsr_el1; in sys_regs[] from 5.18) never do. The WARN+RAZ/WI
 * variant of the review is where the difference shows: each trace below is a path 4.17 takes, but
 * for the refused reads (no 4.17 path makes them).
 */
import { describe, expect, it } from 'vitest';
import { arm64Vhe } from '../../models/arm64-vhe/model.js';
import merged from '../../models/arm64-vhe/policies/arm64-vhe-deferred-2017.js';
import warn from '../../models/arm64-vhe/policies/arm64-vhe-deferred-2017-warn.js';
import { invariantsFor } from '../../properties/suites.js';
import type { Policy } from '../../src/engine/policy.js';
import type { TraceEvent } from '../../src/engine/trace.js';
import { check } from '../../src/searches/check.js';
import { makeExecutor } from '../../src/searches/make-executor.js';
import { replay } from '../../src/searches/replay.js';

const invariants = invariantsFor('arm64-vhe');
const run = (policy: Policy<never, never>, trace: TraceEvent[]) => replay(makeExecutor(policy as never, arm64Vhe, invariants), trace);

// A Linux guest's first MDSCR_EL1 write traps (MDCR_EL2.TDA: its debug state is not dirty yet);
// the next entry restores MDSCR_EL1 from memory and no longer traps, so the guest reads it back there.
const trappedMdscr: TraceEvent[] = [
  { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
  { event: 'GUEST_ENTER', vcpu: 0 },
  { event: 'GUEST_WRITE', vcpu: 0, reg: 'MDSCR_EL1', value: 0x8000 },
  { event: 'GUEST_ENTER', vcpu: 0 },
  { event: 'GUEST_READ', vcpu: 0, reg: 'MDSCR_EL1' },
];

// The hypervisor reading, while loaded, registers 4.17 never passes to vcpu_read_sys_reg: an ID
// register and OSLSR_EL1 as they are at reset, a breakpoint register the guest has set (trapped).
// No kernel path makes these reads, so the model's HYP_READ_REG does not offer them (since
// 2026-12-03; arm64-vhe-hyp-alphabet.test.ts): a saved trace with one is refused, never judged.
const notInSysRegs: [string, TraceEvent[]][] = [
  ['ID_AA64DFR0_EL1', []],
  ['OSLSR_EL1', []],
  [
    'DBGBCR5_EL1',
    [
      { event: 'GUEST_ENTER', vcpu: 0 },
      { event: 'GUEST_WRITE', vcpu: 0, reg: 'DBGBCR5_EL1', value: 0x1e5 },
    ],
  ],
].map(([reg, before]) => [
  reg as string,
  [{ event: 'VCPU_LOAD', vcpu: 0, cpu: 0 }, ...(before as TraceEvent[]), { event: 'HYP_READ_REG', vcpu: 0, reg: reg as string }],
]);

describe('4.17 trap_debug_regs goes through vcpu_read_sys_reg / vcpu_write_sys_reg', () => {
  it('the WARN+RAZ/WI accessor loses the trapped MDSCR_EL1 write: the guest reads 0 back', () => {
    const r = run(warn, trappedMdscr);
    expect(r.violation?.invariant, r.violation?.message).toBe('no-stale-read');
    expect(r.violation?.message).toContain('MDSCR_EL1');
    // Found at the next entry, which restores the memory copy the write never reached.
    expect(r.violation?.step).toBe(4);
  });

  it('as merged (unlisted registers in memory) the same trace holds', () => {
    expect(run(merged, trappedMdscr).violation).toBeUndefined();
  });
});

describe('4.17 never passes an ID, breakpoint or OS Lock register to vcpu_read_sys_reg', () => {
  it.each(notInSysRegs)('a hypervisor read of %s is refused as outside the model, even under WARN+RAZ', (reg, trace) => {
    for (const policy of [warn, merged]) {
      expect(() => run(policy, trace)).toThrow(
        new RegExp(`HYP_READ_REG \\{ vcpu: 0, reg: ${reg} \\} is not enabled in this state or not in the model's alphabet`),
      );
    }
  });

  it('WARN+RAZ is still found, through accesses 4.17 makes with the accessor (MDSCR_EL1, MDCCINT_EL1), never an ID register', () => {
    const r = check(warn, { arch: arm64Vhe, invariants, seed: 1, runs: 2000 });
    expect(r.verdict).toBe('violated');
    expect(r.warnings.length).toBeGreaterThan(0);
    for (const w of r.warnings) expect(w.message).toMatch(/: (MDSCR_EL1|MDCCINT_EL1) is not deferred/);
    expect(r.trace.some((e) => e.reg === 'ID_AA64DFR0_EL1')).toBe(false);
  });
});

describe('4.17 kvm_arm_setup_debug reads MDSCR_EL1 through vcpu_read_sys_reg for the KDE/MDE check', () => {
  // The guest's MDE reaches MDSCR_EL1 untrapped once its debug state is dirty; at the next entry the
  // check must see it, or the guest's breakpoints are not switched in while MDE is on.
  const mdeThenReenter: TraceEvent[] = [
    { event: 'VCPU_LOAD', vcpu: 0, cpu: 0 },
    { event: 'GUEST_ENTER', vcpu: 0 },
    { event: 'GUEST_WRITE', vcpu: 0, reg: 'DBGBCR5_EL1', value: 0x1e5 },
    { event: 'GUEST_ENTER', vcpu: 0 },
    { event: 'GUEST_WRITE', vcpu: 0, reg: 'MDSCR_EL1', value: 0x8000 },
    { event: 'GUEST_EXIT', vcpu: 0, reason: 'irq' },
    { event: 'GUEST_ENTER', vcpu: 0 },
  ];

  it('under WARN+RAZ the check reads 0 and the guest runs with MDE on and its breakpoint not loaded', () => {
    const r = run(warn, mdeThenReenter);
    expect(r.violation?.invariant, r.violation?.message).toBe('guest-breakpoints-effective');
    expect(r.violation?.step).toBe(7);
  });

  it('as merged it holds', () => {
    expect(run(merged, mdeThenReenter).violation).toBeUndefined();
  });
});
