/**
 * What the executor takes back from a hook, trusting none of it: a register value a hook returns
 * (getReg, hypReadReg), and the `p` a trap hook gets (trap, hostTrap: the kernel's struct
 * sys_reg_params). A value that is not one of the register's (a Symbol, string, BigInt, fraction)
 * is a policy-total finding, never a value the invariants compare or a report prints.
 *
 * `p` is one object per executor, reused, sealed: a hook may change its values, never turn a field
 * into a getter (policy code the executor would run) or delete one. A hook that froze it, or made a
 * field read-only, leaves it to be replaced at the next trap. After the hook `reg` and `isWrite`
 * must be as they were set, and `regval` a value of `reg`.
 */
import { describeValue } from './executor-types.js';
import type { TrapParams } from './policy.js';
import { isRegisterValue, type RegisterFile, registerValueRule } from './register-file.js';

/** What is wrong with `value`, which hook `hook` returned for `reg` (undefined: nothing). */
export function returnedValueFault(file: RegisterFile, hook: string, reg: number, value: unknown): string | undefined {
  if (isRegisterValue(file, reg, value)) return undefined;
  return `${hook} returned ${describeValue(value)} for ${file.names[reg]}: ${registerValueRule(file, reg, 'return')}`;
}

/** A new, sealed `p`. */
export function newTrapParams(): TrapParams {
  return Object.seal({ reg: 0, isWrite: false, regval: 0, retry: false });
}

/** `p` set for an access to `reg`, or a new object when a hook froze `p` or made one of its fields read-only. */
export function setTrapParams(p: TrapParams, reg: number, isWrite: boolean, regval: number): TrapParams {
  try {
    p.reg = reg;
    p.isWrite = isWrite;
    p.regval = regval;
    p.retry = false;
    return p;
  } catch {
    return setTrapParams(newTrapParams(), reg, isWrite, regval);
  }
}

/** What hook `hook` left wrong in `p` after it handled the access to `reg` (undefined: nothing, three compares). */
export function trapParamsFault(file: RegisterFile, hook: string, p: TrapParams, reg: number, isWrite: boolean): string | undefined {
  if (p.reg === reg && p.isWrite === isWrite && isRegisterValue(file, reg, p.regval)) return undefined;
  const name = file.names[reg];
  const access = `${isWrite ? 'a write' : 'a read'} of ${name}`;
  const only = 'p describes the trapped access; a handler sets p.regval (on a read) and p.retry, nothing else';
  if (p.reg !== reg) {
    const to = (typeof p.reg === 'number' && file.names[p.reg]) || describeValue(p.reg);
    return `${hook} changed p.reg from ${name} to ${to} while handling ${access}: ${only}`;
  }
  if (p.isWrite !== isWrite) return `${hook} changed p.isWrite to ${describeValue(p.isWrite)} while handling ${access}: ${only}`;
  return `${hook} left p.regval = ${describeValue(p.regval)} after ${access}: ${registerValueRule(file, reg, 'set p.regval to')}`;
}
