/** One x86 policy for each vendor: the same common code over VMX's and SVM's kvm_x86_ops. */
import { definePolicy, type Policy, type PolicyDefinition } from '../../../src/engine/policy.js';
import type { X86Hooks, X86Host, X86Vcpu } from '../model.js';
import type { KvmX86Ops } from './kvm-x86.js';
import { svmOps } from './svm.js';
import { vmxOps } from './vmx.js';

/** The policy `name` on x86-vmx and on x86-svm, its hooks built by `hooks` from each vendor's ops; `era` its scope. */
export function x86Policies(
  name: string,
  summary: string,
  hooks: (ops: KvmX86Ops, vmx: boolean) => X86Hooks,
  era: Pick<PolicyDefinition, 'scope'> = {},
): readonly [vmx: Policy<X86Vcpu, X86Host>, svm: Policy<X86Vcpu, X86Host>] {
  const make = (arch: string, ops: KvmX86Ops, vmx: boolean) =>
    definePolicy<X86Vcpu, X86Host>({ name, arch, summary, hooks: hooks(ops, vmx), ...era });
  return [make('x86-vmx', vmxOps, true), make('x86-svm', svmOps, false)];
}
