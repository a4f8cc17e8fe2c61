/**
 * "[PATCH v1] arm64: KVM: Add interface to set guest value for TRFCR register" (Sep 2023) on VHE:
 * kvm_etm_set_guest_trfcr writes TRFCR_EL12 at once; kvm_etm_update_vcpu_events does nothing
 * (`!has_vhe()`), and hyp/vhe switches no trace state. The debug registers are switched as
 * arm64-owner-2025 (6.17) does, not as the 6.6 tree the patch was posted against (arm64-guestdbg-2022's
 * dirty flag): a composition of two eras, whose trace verdict does not depend on the debug switch.
 */
import { vheTracePolicy } from './trfcr-vhe.js';

export default vheTracePolicy('arm64-trfcr-2023', 'guest TRFCR written to TRFCR_EL12 by the trace driver (2023 v1 on VHE)');
