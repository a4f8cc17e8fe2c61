/**
 * Linux 6.14 on VHE: kvm_tracing_set_el1_configuration writes TRFCR_EL12 and returns (the
 * protected-mode and preemptible() checks do not apply to a VHE host calling with preemption off).
 */
import { vheTracePolicy } from './trfcr-vhe.js';

export default vheTracePolicy(
  'arm64-trfcr-2025',
  'guest TRFCR written to TRFCR_EL12 by kvm_tracing_set_el1_configuration (Linux 6.14 on VHE), over the 6.17 debug switch',
);
