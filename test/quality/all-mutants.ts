/**
 * Every planted mutant of the quality suite, with the model options it is explored with: for the
 * audits that must cover all of them (test/state-skip-audit.test.ts).
 */
import type { ModelConfig } from '../../src/engine/model.js';
import type { Policy } from '../../src/engine/policy.js';
import { osLockNotSwitched, vectorCatchNotSwitched } from './armv7-mutants.js';
import { countOffByOne, dirtyClearedBeforeSave, mdccintNotRestored, trapWritesHardware } from './mutants.js';
import {
  breakpointsDropped,
  debugNotQueued,
  guestDbcr0Lost,
  hitsNotToUserspace,
  hostNotRestored,
  impreciseDropped,
  impreciseDroppedAtIoctl,
  impreciseDroppedAtPut,
  spuriousLeftAtPut,
} from './ppc-booke-mutants.js';
import {
  copyBeforeIrqsDisabled,
  hostTrfcrNotRestored,
  noCopyAfterMigration,
  noIrqDisable,
  ttrfDropped,
  vheWritesTrfcrEl1Encoding,
} from './trfcr-mutants.js';
import vhe614Timing, { vhe614 } from './vhe-6.14-timing.policy.js';
import {
  debugAlwaysToUserspace,
  debugctlSnapshotBeforeIrqOff,
  debugctlWriteNotInVmcs,
  dr6LeftToVmexit,
  dr6NotReset,
  dr7NotSavedOnExit,
  guestDebugctlNotLoaded,
  hostDebugctlNotRestored,
  singleStepInjected,
  singleStepTfNotSet,
} from './x86-eager-mutants.js';
import {
  emulatedStepEarly,
  emulatedStepInjected,
  emulatedStepLost,
  emulatedStepWithoutTf,
  exitsNotRearmed,
  fastpathStepIgnored,
  generalDetectNotEmulated,
  hostAddressesNotRestored,
  userspaceBreakpointsNotLoaded,
} from './x86-mutants.js';

const x86 = ['x86-vmx', 'x86-svm'] as const;

export const ALL_MUTANTS: readonly (readonly [Policy, ModelConfig])[] = [
  [mdccintNotRestored, {}],
  [dirtyClearedBeforeSave, {}],
  [countOffByOne, {}],
  [trapWritesHardware, {}],
  [copyBeforeIrqsDisabled, { trbe: 1 }],
  [hostTrfcrNotRestored, { trbe: 1 }],
  [noCopyAfterMigration, { trbe: 1 }],
  [noIrqDisable, { trbe: 1 }],
  [vheWritesTrfcrEl1Encoding, {}],
  [ttrfDropped, { 'guest-trfcr': 1 }],
  [vhe614Timing, {}],
  [vhe614({ restoreMdcrAtPut: false }), {}],
  [breakpointsDropped, {}],
  [hitsNotToUserspace, {}],
  [hostNotRestored, {}],
  [guestDbcr0Lost, {}],
  [debugNotQueued, {}],
  [spuriousLeftAtPut, {}],
  [vectorCatchNotSwitched, { 'vector-catch': 1 }],
  [osLockNotSwitched, { oslock: 1 }],
  [impreciseDropped, {}],
  [impreciseDroppedAtPut, {}],
  [impreciseDroppedAtIoctl, {}],
  [generalDetectNotEmulated, {}],
  [dr6NotReset, {}],
  [dr6LeftToVmexit, { 'vmexit-dr6': 1 }],
  [dr7NotSavedOnExit, {}],
  [debugctlWriteNotInVmcs, {}],
  ...x86.flatMap((id) => [
    [hostAddressesNotRestored(id), {}] as const,
    [exitsNotRearmed(id), {}] as const,
    [userspaceBreakpointsNotLoaded(id), {}] as const,
    [guestDebugctlNotLoaded(id), (id === 'x86-svm' ? { lbrv: 1 } : {}) as ModelConfig] as const,
    [hostDebugctlNotRestored(id), {}] as const,
    [debugctlSnapshotBeforeIrqOff(id), {}] as const,
    [singleStepTfNotSet(id), {}] as const,
    [singleStepInjected(id), {}] as const,
    [debugAlwaysToUserspace(id), {}] as const,
    [emulatedStepLost(id), {}] as const,
    [emulatedStepInjected(id), {}] as const,
    [emulatedStepWithoutTf(id), {}] as const,
    [emulatedStepEarly(id), {}] as const,
    [fastpathStepIgnored(id), {}] as const,
  ]),
];
