/** The registry of architectures and the policies that ship for each (DESIGN §8). Data, not re-exports. */
import type { ArchModel } from '../src/engine/model.js';
import { markBuiltIn, type Policy } from '../src/engine/policy.js';
import { arm64Nvhe } from './arm64-nvhe/model.js';
import arm64Dirty2015 from './arm64-nvhe/policies/arm64-dirty-2015.js';
import arm64Dirty2015V2 from './arm64-nvhe/policies/arm64-dirty-2015-v2.js';
import arm64NvheOwner2025 from './arm64-nvhe/policies/arm64-owner-2025.js';
import arm64Trfcr2023 from './arm64-nvhe/policies/arm64-trfcr-2023.js';
import arm64Trfcr2025 from './arm64-nvhe/policies/arm64-trfcr-2025.js';
import arm64NvheEager from './arm64-nvhe/policies/eager.js';
import { arm64Vhe } from './arm64-vhe/model.js';
import arm64VheGuestdbg2022 from './arm64-vhe/policies/arm64-guestdbg-2022.js';
import arm64VheOwner2025 from './arm64-vhe/policies/arm64-owner-2025.js';
import arm64VheOwner2025614 from './arm64-vhe/policies/arm64-owner-2025-6.14.js';
import arm64VheTrfcr2023 from './arm64-vhe/policies/arm64-trfcr-2023.js';
import arm64VheTrfcr2025 from './arm64-vhe/policies/arm64-trfcr-2025.js';
import arm64VheDeferred2017 from './arm64-vhe/policies/arm64-vhe-deferred-2017.js';
import arm64VheDeferred2017V2 from './arm64-vhe/policies/arm64-vhe-deferred-2017-v2.js';
import arm64VheDeferred2017Warn from './arm64-vhe/policies/arm64-vhe-deferred-2017-warn.js';
import arm64VheEager from './arm64-vhe/policies/eager.js';
import { armv7 } from './armv7/model.js';
import armv7CtrlCheck from './armv7/policies/armv7-ctrl-check.js';
import armv7Dirty2015 from './armv7/policies/armv7-dirty-2015.js';
import armv7HwbpEnabled from './armv7/policies/armv7-hwbp-enabled.js';
import armv7None from './armv7/policies/armv7-none.js';
import armv7OwnerTrap from './armv7/policies/armv7-owner-trap.js';
import armv7Eager from './armv7/policies/eager.js';
import { ppcBooke } from './ppc-booke/model.js';
import ppcBookeEager from './ppc-booke/policies/eager.js';
import ppcBooke2014 from './ppc-booke/policies/ppc-booke-2014.js';
import ppcBooke2014Fixed from './ppc-booke/policies/ppc-booke-2014-fixed.js';
import ppcBookeGdb2008 from './ppc-booke/policies/ppc-booke-gdb-2008.js';
import ppcBookeGdb2008Fixed from './ppc-booke/policies/ppc-booke-gdb-2008-fixed.js';
import { x86Svm, x86Vmx } from './x86/model.js';
import { x86EagerSvm, x86EagerVmx } from './x86/policies/eager.js';
import { x86Lazy2014Svm, x86Lazy2014Vmx } from './x86/policies/x86-lazy-2014.js';
import { x86Lazy2014FixedSvm, x86Lazy2014FixedVmx } from './x86/policies/x86-lazy-2014-fixed.js';

/** Every built-in architecture, by id. */
export const architectures: readonly ArchModel[] = [arm64Nvhe, arm64Vhe, armv7, ppcBooke, x86Vmx, x86Svm];

/** Every built-in policy; each names its architecture. */
export const policies: readonly Policy[] = [
  arm64NvheEager,
  arm64Dirty2015V2,
  arm64Dirty2015,
  arm64NvheOwner2025,
  arm64Trfcr2023,
  arm64Trfcr2025,
  arm64VheEager,
  arm64VheDeferred2017V2,
  arm64VheDeferred2017,
  arm64VheDeferred2017Warn,
  arm64VheGuestdbg2022,
  arm64VheOwner2025614,
  arm64VheOwner2025,
  arm64VheTrfcr2023,
  arm64VheTrfcr2025,
  armv7Eager,
  armv7None,
  armv7Dirty2015,
  armv7CtrlCheck,
  armv7OwnerTrap,
  armv7HwbpEnabled,
  ppcBookeEager,
  ppcBookeGdb2008,
  ppcBookeGdb2008Fixed,
  ppcBooke2014,
  ppcBooke2014Fixed,
  x86EagerVmx,
  x86EagerSvm,
  x86Lazy2014Vmx,
  x86Lazy2014Svm,
  x86Lazy2014FixedVmx,
  x86Lazy2014FixedSvm,
] as readonly Policy[];
markBuiltIn(policies);
