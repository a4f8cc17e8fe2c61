/**
 * What the executor takes back from a hook, trusting none of it: a register value a hook returns
 * (getReg, hypReadReg). A value that is not one of the register's (a Symbol, string, BigInt,
 * fraction) is a policy-total finding, never a value the invariants compare or a report prints.
 */
import { describeValue } from './executor-types.js';
import { isRegisterValue, type RegisterFile, registerValueRule } from './register-file.js';

/** What is wrong with `value`, which hook `hook` returned for `reg` (undefined: nothing). */
export function returnedValueFault(file: RegisterFile, hook: string, reg: number, value: unknown): string | undefined {
  if (isRegisterValue(file, reg, value)) return undefined;
  return `${hook} returned ${describeValue(value)} for ${file.names[reg]}: ${registerValueRule(file, reg, 'return')}`;
}
