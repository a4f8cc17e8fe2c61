/**
 * arm64-owner-2025 as Linux 6.14-6.16 have it on VHE: kvm_vcpu_load_debug computes the vCPU's
 * MDCR_EL2 and writes it at once (kvm_arm_setup_mdcr_el2: "Write MDCR_EL2 directly if we're already
 * at EL2"); kvm_vcpu_load_vhe then runs __activate_traps_common, which reads MDCR_EL2 into
 * host_data->host_debug_state.mdcr_el2 and writes the vCPU's; kvm_vcpu_put_vhe's
 * __deactivate_traps_common writes host_debug_state's value back. 6.17 moved the save into
 * kvm_vcpu_load_debug, before the write, and the restore into kvm_vcpu_put_debug (arm64-owner-2025).
 */
import { definePolicy } from '../../../src/engine/policy.js';
import type { Arm64VheHost, Arm64VheVcpu } from '../model.js';
import { vheOwnerHooks } from './arm64-owner-2025.js';

export default definePolicy<Arm64VheVcpu, Arm64VheHost>({
  name: 'arm64-owner-2025-6.14',
  arch: 'arm64-vhe',
  summary:
    "upstream debug owner as 6.14-6.16 have it: MDCR_EL2 written in kvm_vcpu_load_debug, then saved and written by kvm_vcpu_load_vhe's __activate_traps_common, restored by kvm_vcpu_put_vhe's",
  hooks: vheOwnerHooks(undefined, '6.14'),
});
