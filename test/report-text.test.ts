/**
 * The text report a reviewer reads in one pass, one seeded bug per architecture, locked by
 * snapshots: values decoded with the model's fields, each event's kernel name once, the failing
 * step's hook accesses numbered as observation points count writes, and the live gate registers.
 */
import { describe, expect, it } from 'vitest';
import { cli } from './cli-harness.js';

const SEEDED: [policy: string, decoded: string[], inside: RegExp][] = [
  [
    'arm64-nvhe/arm64-dirty-2015-v2',
    [
      'GUEST_WRITE { vcpu: 0, reg: MDSCR_EL1, value: 0x8000 (MDE) }',
      'DBGWCR3_EL1: 0x0 -> 0x1ffd (E, PAC=EL0, LSC=load|store, BAS=0xff)',
      'debugFlags: 0x0 -> 0x1 (DEBUG_DIRTY)',
      'cpu0.MDSCR_EL1 = 0x8000: MDE set; SS, KDE clear',
    ],
    /Inside step 7[^\n]*\n {2}guestEnter on cpu0:\n {8}read {2}MDSCR_EL1 -> 0x8000 \(MDE\)\n {4}#1 {2}write MDCR_EL2 = 0xe60 \(TPMCR\|TPM\|TDA\|TDOSA\|TDRA\)\n {4}#2 {2}write MDSCR_EL1 = 0x8000 \(MDE\)/,
  ],
  [
    'arm64-vhe/arm64-vhe-deferred-2017-v2',
    ['cpu0.HCR_EL2: 0x408000000 (TGE|E2H) -> 0x4000000 (TVM)'],
    /Inside step 3[^\n]*\n {2}guestEnter on cpu0:\n(.*\n)* {4}#2 {2}write HCR_EL2 = 0x4000000 \(TVM\)/,
  ],
  [
    'armv7/armv7-dirty-2015',
    [
      'cpu0.DBGBCR3: 0x0 -> 0x1e3 (E, PMC=PL1, BAS=0xf)',
      'cpu0.DBGDSCRext = 0x8000: MDBGen set; HDBGen clear',
      'host0.onReg.DBGBCR3: 0x0 -> 0x1\n',
    ],
    /Inside step 3[^\n]*\n {2}guestEnter on cpu0:\n {8}read {2}HDCR -> 0x0\n {4}#1 {2}write HDCR = 0xe60/,
  ],
  [
    'ppc-booke/ppc-booke-gdb-2008',
    [
      'GUEST_WRITE { vcpu: 0, reg: DBCR0, value: 0x40800000 (IAC1|IDM) }',
      'DBCR0: expected 0x40800000 (IAC1|IDM) since step 3, actual 0x0',
      'vcpu0.shadowMsr: 0x0 -> 0x200 (DE)',
      // The live gate registers: a CPU no prime_debug_regs() has written yet (--dbcr-reset 0).
      'cpu0.DBCR1 = 0x0\n  cpu0.DBCR2 = 0x0\n',
    ],
    // The entry's only access: lightweight_exit's DBSR clear (the 2008 asm had it too).
    /Inside step 4[^\n]*\n {2}guestEnter on cpu0:\n {4}#1 {2}write DBSR = 0xffffffff /,
  ],
  [
    'x86-vmx/x86-lazy-2014',
    [
      'vcpu0.guestDebug: 0x0 -> 0x20003 (ENABLE|SINGLESTEP|USE_HW_BP)',
      'vcpu0.vmcs.DR7: 0x400 -> 0x60a (G0|G1|GE)',
      'vcpu0.switchDbRegs: 0x2 (WONT_EXIT) -> 0x3 (BP_ENABLED|WONT_EXIT)',
      // The MOV DR7 handle_dr left to run again runs at this entry, on the debugger's DR7.
      'ghost.vcpu0.retryAccess: 0x6 -> 0x0',
    ],
    /Inside step 7[^\n]*\n {2}guestEnter on cpu0:\n {4}#1 {2}write DR7 = 0x400\n {4}#2 {2}write DR0 = 0x1000\n/,
  ],
  [
    'x86-svm/x86-lazy-2014',
    [
      // SVM's VMCB, by its own name (the code VMX and SVM share calls it k.vcpu.vmcs).
      'vcpu0.vmcb.DR7: 0x400 -> 0x602 (G0|GE)',
      'vcpu0.vmcb.DR_INTERCEPTS: 0xcf00cf (DR0_READ|DR1_READ|DR2_READ|DR3_READ|DR6_READ|DR7_READ|DR0_WRITE|',
      'vcpu0.guestDebug: 0x0 -> 0x20001 (ENABLE|USE_HW_BP)',
    ],
    /Inside step 7[^\n]*\n {2}guestEnter on cpu0:\n {4}#1 {2}write DR7 = 0x400\n(.*\n)* {8}read {2}IA32_DEBUGCTL -> 0x0\n/,
  ],
];

describe('the text report of one seeded bug per architecture', () => {
  it.each(SEEDED)('%s: decoded fields, kernel names, the failing hook accesses', async (policy, decoded, inside) => {
    const r = await cli('check', policy, '--seed', '1');
    expect(r.code).toBe(1);
    for (const text of decoded) expect(r.out).toContain(text);
    expect(r.out).toMatch(inside);
    expect(r.out).toMatch(/Events, as the kernel knows them:\n {2}\S+ +\S/);
    // Each event of the trace named once (x86-svm's seed-1 trace enters by RUN_LOOP_IRQ, never GUEST_ENTER).
    const legend = [...r.out.matchAll(/^ {2}([A-Z_]+) {2,}\S/gm)].map((m) => m[1]);
    expect(legend.filter((e) => e === 'GUEST_ENTER' || e === 'RUN_LOOP_IRQ').length).toBeGreaterThan(0);
    expect(new Set(legend).size).toBe(legend.length);
    expect(r.out).not.toContain('path:');
    expect(r.out).toMatchSnapshot();
  });

  it('marks the access a violation inside a hook stopped at (arm64-trfcr-2023: the UNDEFINED read)', async () => {
    const r = await cli('check', 'arm64-nvhe/arm64-trfcr-2023', '--seed', '1');
    expect(r.code).toBe(1);
    expect(r.out).toContain('broke here (in guestEnter, after hardware write #3 (SPSR_EL2 = 0x0))');
    expect(r.out).toMatch(
      / {4}#3 {2}write SPSR_EL2 = 0x0\n(.*\n)* {8}read {2}TRBLIMITR_EL1: faulted, no value {3}<== policy-total broke here\n/,
    );
  });

  it('--full-state prints every register of every CPU at the failing point, decoded', async () => {
    const r = await cli('check', 'arm64-nvhe/arm64-dirty-2015-v2', '--seed', '1', '--full-state');
    expect(r.out).toContain('Full state at the failing point (step 7, after the event):');
    expect(r.out).toMatch(/ {2}cpu0 hardware \(guest, vcpu0 loaded\):\n {4}DBGBVR0_EL1 0x0\n/);
    expect(r.out).toContain('    DBGWCR3_EL1 0x1ffd (E, PAC=EL0, LSC=load|store, BAS=0xff)');
    expect(r.out).toContain('  cpu1 hardware (host):');
    const without = await cli('check', 'arm64-nvhe/arm64-dirty-2015-v2', '--seed', '1');
    expect(without.out).not.toContain('Full state');
  });

  it('--json carries the same decoded counterexample', async () => {
    const r = await cli('check', 'arm64-nvhe/arm64-dirty-2015-v2', '--seed', '1', '--json');
    const json = JSON.parse(r.out) as {
      counterexample: {
        kernelNames: Record<string, string>;
        steps: { event: string }[];
        failingHook: { write: string | null; text: string }[];
        actual: string;
        gates: string[];
      };
    };
    expect(json.counterexample.kernelNames.VCPU_LOAD).toContain('kvm_arch_vcpu_load');
    expect(json.counterexample.steps[3]?.event).toBe('GUEST_WRITE { vcpu: 0, reg: MDSCR_EL1, value: 0x8000 (MDE) }');
    expect(json.counterexample.failingHook.filter((a) => a.write !== null).map((a) => a.write)).toEqual(['#1', '#2', '#3']);
    expect(json.counterexample.actual).toBe('0x1ffd (E, PAC=EL0, LSC=load|store, BAS=0xff)');
    expect(json.counterexample.gates).toContain('cpu0.MDSCR_EL1 = 0x8000: MDE set; SS, KDE clear');
  });
});
