/**
 * Hostile-policy fixtures: the arm64-nvhe eager policy plus a vcpuLoad that throws a value whose
 * description would run policy code: a `toString` that never returns or throws, a `message` getter
 * that throws, an Error subclass whose `message` getter never returns, a `Symbol.toPrimitive` that
 * never returns. One export each; describing the thrown value must run none of it.
 */
import eager from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

/** eager with a vcpuLoad that throws what `thrown()` makes. */
const throwing = (name: string, summary: string, thrown: () => unknown) =>
  definePolicy({
    name,
    arch: 'arm64-nvhe',
    summary: `hostile fixture: a hook that throws ${summary}`,
    hooks: {
      ...eager.hooks,
      vcpuLoad() {
        throw thrown();
      },
    },
  });

export const toStringLoops = throwing('throw-tostring-loops', 'an object whose toString never returns', () => ({
  code: 3,
  toString(): string {
    for (;;) {}
  },
}));

export const toStringThrows = throwing('throw-tostring-throws', 'an object whose toString throws', () => ({
  toString(): string {
    throw new Error('inner');
  },
}));

export const messageThrows = throwing('throw-message-throws', 'an object whose message getter throws', () => ({
  get message(): string {
    throw new Error('inner');
  },
}));

class LoopingError extends Error {
  override get message(): string {
    for (;;) {}
  }
}

export const errorMessageLoops = throwing(
  'throw-error-message-loops',
  'an Error whose message getter never returns',
  () => new LoopingError(),
);

export const toPrimitiveLoops = throwing('throw-toprimitive-loops', 'an object whose Symbol.toPrimitive never returns', () => ({
  [Symbol.toPrimitive](): string {
    for (;;) {}
  },
}));

export const plainError = throwing('throw-plain-error', 'an Error', () => new RangeError('boom'));
