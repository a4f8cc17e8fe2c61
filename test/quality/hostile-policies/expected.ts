/**
 * What each hostile policy file in this directory must get, command by command: the exit code,
 * the JSON verdict and invariant where there is a report, and what the one line on stderr or the
 * finding's message must say. `hostile-policies.test.ts` runs every row through the CLI.
 */
export interface HostileCase {
  /** The policy file in this directory (with `#export` where the row picks one). */
  readonly policy: string;
  readonly command: 'check' | 'explore' | 'cost' | 'replay';
  /** Flags after the policy (replay: after `--policy <file>`, on a saved arm64-nvhe trace). */
  readonly flags: readonly string[];
  readonly exit: number;
  /** The JSON report's verdict (absent: no report, a usage error). */
  readonly verdict?: 'held' | 'violated' | 'held-so-far' | 'diverged';
  readonly invariant?: string;
  /** Must match the finding's message (JSON `violation.message`, or cost's `error`), or the stderr line for exit 2. */
  readonly says: RegExp;
  /**
   * Run the CLI in a process of its own, as users run it: `--max-memory` budgets the whole process's
   * resident memory, which in this test's process has grown with every row before it.
   */
  readonly ownProcess?: boolean;
  /** Must match the JSON counterexample's `rerun` note: the report's re-execution cut off a hook the reported run got past. */
  readonly rerun?: RegExp;
}

/** Rows where each of `commands` reports the policy's fault as a policy-total finding that `says` (cost: in its error). */
function total(policy: string, commands: readonly HostileCase['command'][], says: RegExp): HostileCase[] {
  return commands.map((command) => ({
    policy,
    command,
    flags: command === 'explore' ? ['--depth', '3'] : [],
    exit: 1,
    ...(command === 'cost' ? {} : { verdict: 'violated' as const, invariant: 'policy-total' }),
    says,
  }));
}

export const HOSTILE_CASES: readonly HostileCase[] = [
  // 1. Two same-named exports: refused as a whole, each reachable by its export.
  { policy: 'twins.ts', command: 'check', flags: [], exit: 2, says: /two policies named "twin".*export "default" and export "holds"/ },
  { policy: 'twins.ts', command: 'explore', flags: ['--depth', '2'], exit: 2, says: /export "default" and export "holds"/ },
  { policy: 'twins.ts#holds', command: 'check', flags: ['--runs', '50'], exit: 0, verdict: 'held', says: /^$/ },
  { policy: 'twins.ts#default', command: 'check', flags: ['--runs', '50'], exit: 1, verdict: 'violated', says: /./ },
  { policy: 'twins.ts#default', command: 'explore', flags: ['--depth', '4'], exit: 1, verdict: 'violated', says: /./ },
  // 2. Async hooks.
  ...(['check', 'explore', 'cost', 'replay'] as const).flatMap((command) =>
    ['async-hook.ts', 'async-throw.ts'].map((policy) => ({
      policy,
      command,
      flags: command === 'explore' ? ['--depth', '2'] : command === 'check' ? ['--runs', '200'] : [],
      exit: 1,
      ...(command === 'cost' ? {} : { verdict: 'violated' as const, invariant: 'policy-total' }),
      says: /vcpuLoad returned a Promise \(an async hook\?\): hooks run synchronously/,
    })),
  ),
  // 4. State kept outside k.vcpu/k.host.
  ...(['check', 'explore'] as const).map((command) => ({
    policy: 'global-counter.ts',
    command,
    flags: command === 'explore' ? ['--depth', '6'] : [],
    exit: 1,
    verdict: 'violated' as const,
    invariant: 'policy-total',
    says: /does not reproduce when run again: the policy is nondeterministic\. It keeps state outside k\.vcpu\/k\.host/,
  })),
  // 5. k.hw.write arguments.
  ...['write-string-reg.ts', 'write-negative.ts', 'write-fraction.ts', 'write-huge.ts'].map((policy) => ({
    policy,
    command: 'check' as const,
    flags: ['--runs', '50'],
    exit: 1,
    verdict: 'violated' as const,
    invariant: 'policy-total',
    says: /vcpuLoad calls k\.hw\.write\(("5"|MDSCR_EL1, (-1|1\.5|0x1000000000000000))/,
  })),
  // 5b. vCPU memory written under a key that is no register index: a finding, not a value outside the world.
  ...(['check', 'explore'] as const).map((command) => ({
    policy: 'write-unknown-key.ts',
    command,
    flags: command === 'check' ? ['--runs', '50'] : ['--depth', '2'],
    exit: 1,
    verdict: 'violated' as const,
    invariant: 'policy-total',
    says: /vcpuLoad threw: TypeError: Cannot add property undefined, object is not extensible/,
  })),
  // 7. An unprintable thrown value.
  ...(['check', 'cost'] as const).map((command) => ({
    policy: 'throw-null-proto.ts',
    command,
    flags: [],
    exit: 1,
    ...(command === 'cost' ? {} : { verdict: 'violated' as const, invariant: 'policy-total' }),
    says: /vcpuLoad threw: \{\}$/,
  })),
  // 9. process.exit() in a hook (the binary's behaviour is in test/process-level.test.ts).
  ...(['check', 'explore', 'cost', 'replay'] as const).map((command) => ({
    policy: 'process-exit.ts',
    command,
    flags: command === 'explore' ? ['--depth', '2'] : [],
    exit: 1,
    ...(command === 'cost' ? {} : { verdict: 'violated' as const, invariant: 'policy-total' }),
    says: /vcpuLoad (threw: .*process\.exit|ended the worker thread)/,
  })),
  // 10. Loading never finishes; a hook that never returns, in every command.
  ...(['check', 'explore', 'cost', 'replay'] as const).map((command) => ({
    policy: 'toplevel-loop.ts',
    command,
    flags: ['--hook-timeout', '1', ...(command === 'explore' ? ['--depth', '2'] : [])],
    exit: 2,
    says: /toplevel-loop\.ts did not finish loading within 5 s: its top-level code does not terminate/,
  })),
  ...(['check', 'explore', 'cost', 'replay'] as const).map((command) => ({
    policy: 'spin.ts',
    command,
    flags: ['--hook-timeout', '1', ...(command === 'explore' ? ['--depth', '3'] : [])],
    exit: 1,
    ...(command === 'cost' ? {} : { verdict: 'violated' as const, invariant: 'policy-total' }),
    says: /vcpuLoad did not return within 1 s: it does not terminate/,
  })),
  // A hook that spins only when the report re-executes the trace (a counter kept outside k): cut off there too, and said.
  {
    policy: 'loop-on-rerun.ts',
    command: 'check',
    flags: ['--hook-timeout', '1'],
    ownProcess: true,
    exit: 1,
    verdict: 'violated',
    invariant: 'policy-total',
    says: /vcpuLoad did not return within 1 s: it does not terminate/,
    rerun: /^re-executing the trace for this report stopped at step 1 \(vcpuLoad did not return within 1 s/,
  },
  // The saved arm64-nvhe trace diverges under eager's hooks after its one load; the report's second pass spins at that load.
  {
    policy: 'loop-on-rerun.ts',
    command: 'replay',
    flags: ['--hook-timeout', '1'],
    ownProcess: true,
    exit: 5,
    verdict: 'diverged',
    says: /^$/,
  },
  ...(['check', 'explore'] as const).map((command) => ({
    policy: 'loop-on-rerun.ts',
    command,
    flags: ['--hook-timeout', '1', ...(command === 'explore' ? ['--depth', '3'] : [])],
    exit: 1,
    verdict: 'violated' as const,
    invariant: 'policy-total',
    says: /vcpuLoad did not return within 1 s: it does not terminate/,
  })),
  // 11. Allocation without end: the worker's memory limit makes it a finding.
  {
    policy: 'huge-alloc.ts',
    command: 'check',
    flags: ['--max-memory', '256'],
    ownProcess: true,
    exit: 1,
    verdict: 'violated',
    invariant: 'policy-total',
    says: /vcpuLoad (allocated past --max-memory 256 MiB|ran out of memory)/,
  },
  // 16. Claims to be a policy, has no hooks.
  { policy: 'fake-kind.ts', command: 'check', flags: [], exit: 2, says: /export "default" is not a valid policy: .*has no hooks object/ },
  // 17. An empty export name after '#': said so, not taken for a built-in `<arch>/<name>`.
  ...(['check', 'replay'] as const).map((command) => ({
    policy: 'twins.ts#',
    command,
    flags: [],
    exit: 2,
    says: /twins\.ts#: the export name after '#' is empty/,
  })),
  // 18. Loading throws something unprintable, or reading an export throws: the file and the cause, on one line.
  ...(['check', 'explore', 'cost', 'replay'] as const).flatMap((command) => [
    {
      policy: 'proxy-export.ts',
      command,
      flags: command === 'explore' ? ['--depth', '2'] : [],
      exit: 2,
      says: /^worldswitch: Cannot load policy file \S*proxy-export\.ts: reading its export "default" threw Error: proxy get$/m,
    },
    {
      policy: 'toplevel-throw-null-proto.ts',
      command,
      flags: command === 'explore' ? ['--depth', '2'] : [],
      exit: 2,
      says: /^worldswitch: Cannot load policy file \S*toplevel-throw-null-proto\.ts: its top-level code threw \{\}$/m,
    },
  ]),
  // 19. A thrown Proxy whose traps throw: not even its prototype can be read.
  ...total('throw-proxy.ts', ['check', 'explore', 'cost', 'replay'], /vcpuLoad threw: <unprintable value>/),
  // 20. k.hw.read/write given a Symbol: the finding, and the report of the accesses that shows it.
  ...total('write-symbol-reg.ts', ['check', 'explore', 'replay'], /vcpuLoad calls k\.hw\.write\(Symbol\(r\), …\): a register id is one/),
  ...total('read-symbol-reg.ts', ['check'], /vcpuLoad calls k\.hw\.read\(Symbol\(r\), …\): a register id is one/),
  ...total('write-symbol-value.ts', ['check', 'replay'], /vcpuLoad calls k\.hw\.write\(MDSCR_EL1, Symbol\(v\)\): MDSCR_EL1 is a 32-bit/),
  // 21. A register value a hook returns, or leaves in the trap handler's p.regval, that is no value of the register.
  ...total(
    'getreg-symbol.ts',
    ['check', 'explore'],
    /getReg returned Symbol\(x\) for \w+: \w+ is a (32|64)-bit register; return an integer/,
  ),
  ...total('getreg-valueof-throws.ts', ['check', 'explore'], /getReg returned \{ valueOf: \[Function\] \} for \w+: /),
  ...total('getreg-string.ts', ['check'], /getReg returned "garbage" for \w+: /),
  ...total('hyp-read-reg-symbol.ts', ['check', 'explore'], /hypReadReg returned Symbol\(h\) for \w+: \w+ is a (32|64)-bit register/),
  ...total(
    'trap-misuse.ts#regvalString',
    ['check', 'explore', 'cost', 'replay'],
    /trap left p\.regval = "\d+" after a (read|write) of \w+: \w+ is a (32|64)-bit register; set p\.regval to an integer/,
  ),
  ...total('trap-misuse.ts#regvalBigint', ['check', 'explore', 'replay'], /trap left p\.regval = \d+n after a (read|write) of \w+: /),
  ...total('trap-misuse.ts#regvalSymbol', ['check', 'explore', 'cost'], /trap left p\.regval = Symbol\(rv\) after a read of \w+: /),
  // 22. The trap handler's p misused: a field changed, p frozen (before it handles the access, or after).
  ...total(
    'trap-change-reg.ts',
    ['check', 'explore', 'cost', 'replay'],
    /trap changed p\.reg from \w+ to 99999 while handling a (read|write) of \w+: p describes the trapped access/,
  ),
  ...total(
    'trap-misuse.ts#freezeBefore',
    ['check', 'explore', 'cost'],
    /trap threw: TypeError: Cannot assign to read only property 'regval'/,
  ),
  ...(['check', 'explore', 'replay'] as const).map((command) => ({
    policy: 'trap-misuse.ts#freezeAfter',
    command,
    flags: command === 'explore' ? ['--depth', '3'] : [],
    exit: 0,
    verdict: 'held' as const,
    says: /^$/,
  })),
  // 23. The hook context k frozen or redefined.
  ...['freeze-k.ts', 'redefine-k.ts'].flatMap((policy) =>
    total(policy, ['check', 'explore', 'cost', 'replay'], /vcpuLoad froze or redefined k \(k\.vcpu and k\.host can no longer be set\)/),
  ),
  // 24. A thrown or returned value whose description would run policy code (a toString, a message
  // getter, Symbol.toPrimitive that loops or throws): described from its data properties alone, at
  // once (it was a "did not return" after --hook-timeout, and a hang for a value getReg returned).
  ...total(
    'throw-unprintable.ts#toStringLoops',
    ['check', 'explore', 'cost', 'replay'],
    /vcpuLoad threw: \{ code: 3, toString: \[Function\] \}$/,
  ),
  ...total('throw-unprintable.ts#toStringThrows', ['check'], /vcpuLoad threw: \{ toString: \[Function\] \}$/),
  ...total('throw-unprintable.ts#messageThrows', ['check', 'cost'], /vcpuLoad threw: \{ message: \[getter\] \}$/),
  ...total(
    'throw-unprintable.ts#errorMessageLoops',
    ['check', 'explore', 'cost', 'replay'],
    /vcpuLoad threw: Error \(its message is a getter, not called\)$/,
  ),
  ...total('throw-unprintable.ts#toPrimitiveLoops', ['check', 'explore'], /vcpuLoad threw: \{\}$/),
  ...total('throw-unprintable.ts#plainError', ['check'], /vcpuLoad threw: RangeError: boom$/),
  ...total('getreg-tostring-loops.ts', ['check', 'explore'], /getReg returned \{ toString: \[Function\] \} for \w+: /),
  ...(['check', 'replay'] as const).flatMap((command) => [
    {
      policy: 'toplevel-throw-message-loop.ts',
      command,
      flags: [],
      exit: 2,
      says: /^worldswitch: Cannot load policy file \S*toplevel-throw-message-loop\.ts: its top-level code threw Error \(its message is a getter, not called\)$/m,
    },
    {
      policy: 'toplevel-throw-tostring-loop.ts',
      command,
      flags: [],
      exit: 2,
      says: /^worldswitch: Cannot load policy file \S*toplevel-throw-tostring-loop\.ts: its top-level code threw \{ code: 3, toString: \[Function\] \}$/m,
    },
  ]),
  // 25. A fixed property of k replaced, deleted or redefined (k.hw, k.hw.write, k.bug, k.warn,
  // k.localIrqDisable, k.cpu): the hook throws. Unseen, the k.hw ones hid their accesses and the
  // rest held.
  ...(
    [
      ['replaceHw', "assign to read only property 'hw'"],
      ['mutateHw', "assign to read only property 'write'"],
      ['replaceBug', "assign to read only property 'bug'"],
      ['deleteBug', "delete property 'bug'"],
      ['defineBug', 'redefine property: bug'],
      ['replaceWarn', "assign to read only property 'warn'"],
      ['replaceIrq', "assign to read only property 'localIrqDisable'"],
      ['redefineCpu', 'redefine property: cpu'],
    ] as const
  ).flatMap(([name, what]) =>
    total(
      `replace-k.ts#${name}`,
      name === 'replaceHw' ? ['check', 'explore', 'cost', 'replay'] : ['check', 'explore'],
      new RegExp(
        `guestEnter threw: TypeError: Cannot ${what}.* \\(k\\.hw and its read and write, k\\.cpu, k\\.bug, k\\.warn and k\\.localIrqDisable are the checker's: a hook cannot replace, delete or redefine them\\)$`,
      ),
    ),
  ),
];
