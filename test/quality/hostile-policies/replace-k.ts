/**
 * Hostile-policy fixtures: the arm64-nvhe eager policy (it holds) with a guestEnter that first
 * replaces, deletes or redefines a property of the hook context k the checker relies on, one export
 * each: `k.hw` by hardware that does nothing, or `k.hw.write` by a function that does nothing (the
 * accesses would be hidden from the checker); `k.bug` replaced by a function that returns, deleted,
 * or redefined (a BUG() would go unseen); `k.warn` and `k.localIrqDisable` replaced; `k.cpu`
 * redefined as a plain number (CPU symmetry would not know the policy asks for its CPU). Unseen,
 * all but the k.hw exports held.
 */
import base from '../../../models/arm64-nvhe/policies/eager.js';
import { definePolicy } from '../../../src/engine/policy.js';

type K = Parameters<NonNullable<typeof base.hooks.guestEnter>>[0];
const enter = base.hooks.guestEnter as (k: K) => void;
const exit = base.hooks.guestExit as (k: K, reason: string) => void;

/** eager with a guestEnter that runs `misuse(k)` first, and a guestExit that reaches BUG() when `bugs`. */
const misusing = (name: string, summary: string, misuse: (k: Record<string, unknown>) => void, bugs = false) =>
  definePolicy({
    name,
    arch: 'arm64-nvhe',
    summary: `hostile fixture: a guestEnter that ${summary}`,
    hooks: {
      ...base.hooks,
      guestEnter(k) {
        misuse(k as unknown as Record<string, unknown>);
        enter(k);
      },
      ...(bugs
        ? {
            guestExit(k: K, reason: string) {
              k.bug('guestExit reached');
              exit(k, reason);
            },
          }
        : {}),
    },
  });

export const replaceHw = misusing('replace-k-hw', 'replaces k.hw by hardware that does nothing', (k) => {
  k.hw = { read: () => 0, write: () => {} };
});

export const mutateHw = misusing('mutate-k-hw', 'replaces k.hw.write by a function that does nothing', (k) => {
  (k.hw as { write: unknown }).write = () => {};
});

export const replaceBug = misusing(
  'replace-k-bug',
  'replaces k.bug by a function that returns',
  (k) => {
    k.bug = () => {};
  },
  true,
);

export const deleteBug = misusing(
  'delete-k-bug',
  'deletes k.bug',
  (k) => {
    delete k.bug;
  },
  true,
);

export const defineBug = misusing(
  'define-k-bug',
  'redefines k.bug with Object.defineProperty',
  (k) => {
    Object.defineProperty(k, 'bug', { value: () => {} });
  },
  true,
);

export const replaceWarn = misusing('replace-k-warn', 'replaces k.warn', (k) => {
  k.warn = () => {};
});

export const replaceIrq = misusing('replace-k-irq', 'replaces k.localIrqDisable', (k) => {
  k.localIrqDisable = () => {};
});

export const redefineCpu = misusing('redefine-k-cpu', 'redefines k.cpu as a number', (k) => {
  Object.defineProperty(k, 'cpu', { value: 0 });
});
