import { defineInvariant } from '../src/engine/invariant.js';
import { CTX_GUEST } from '../src/engine/world.js';

/**
 * While a guest runs under its own single-step control, its step state (arm64 PSTATE.SS) is what the
 * guest made it, whatever the host or userspace did in between (`DebugView.guestStep`).
 */
export default defineInvariant({
  name: 'guest-step-preserved',
  claim: 'while a guest steps its own code, its step state (PSTATE.SS) is what the guest made it, whatever the host or userspace did',
  archs: ['arm64-vhe', 'arm64-nvhe'],
  onlyWith: { 'arm64-nvhe': ['gdb', 'guest-step'] },
  contexts: 1 << CTX_GUEST,
  state(x, cpu) {
    const v = x.world.running[cpu] as number;
    const step = x.model.view.guestStep?.(x, v, cpu);
    if (step === undefined || step.live === step.own) return undefined;
    return {
      message: `vcpu${v} runs on cpu${cpu} with ${step.name} = ${step.live}, but its own step state is ${step.own}: ${step.why ?? (step.live ? 'an instruction it did not step is stepped' : 'the step it armed is lost or taken twice')}`,
      cpu,
      vcpu: v,
      register: step.name,
      expected: step.own,
      actual: step.live,
    };
  },
});
