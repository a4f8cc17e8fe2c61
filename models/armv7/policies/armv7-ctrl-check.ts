/**
 * Christoffer Dall's alternative in the 2015 review: look at the breakpoint and watchpoint control
 * registers, the host's on the hardware and the guest's in memory; if either side enables
 * anything, switch everything and stop trapping, otherwise trap and leave the registers alone.
 */
import { definePolicy } from '../../../src/engine/policy.js';
import type { Armv7Host, Armv7Vcpu } from '../model.js';
import { host_ctrl_enabled, switchWhenEnabled } from './hyp.js';

export default definePolicy<Armv7Vcpu, Armv7Host>({
  name: 'armv7-ctrl-check',
  arch: 'armv7',
  summary: "the review's control-register check: switch only when the host's or guest's BCR/WCR enable something",
  hooks: switchWhenEnabled(host_ctrl_enabled),
});
