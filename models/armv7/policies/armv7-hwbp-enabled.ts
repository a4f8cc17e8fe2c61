/**
 * Zhichao Huang's follow-up in the 2015 review: instead of reading the host's control registers,
 * ask hw_breakpoint_enabled() (a scan of the per-CPU bp_on_reg[]/wp_on_reg[] slots) whether the
 * host uses debug, and switch everything only when it does or the guest's control registers enable
 * something. Will Deacon: "You miss the reserved breakpoint, I think." The reserved breakpoint is
 * armed only for a stepping watchpoint that keeps its wp_on_reg[] slot, so the scan sees it.
 */
import { definePolicy } from '../../../src/engine/policy.js';
import type { Armv7Context, Armv7Host, Armv7Vcpu } from '../model.js';
import { DBGBCR, DBGWCR } from '../registers.js';
import { switchWhenEnabled } from './hyp.js';

/**
 * The proposed hw_breakpoint_enabled(): any taken slot in bp_on_reg[0..core_num_brps) or
 * wp_on_reg[0..core_num_wrps). Memory only; the reserved breakpoint has no bp_on_reg entry, but
 * the watchpoint it steps over holds a wp_on_reg entry meanwhile.
 */
export function hw_breakpoint_enabled(k: Armv7Context): boolean {
  for (let i = 0; i < 16; i++) {
    if (k.host.onReg[DBGBCR(i)] || k.host.onReg[DBGWCR(i)]) return true;
  }
  return false;
}

export default definePolicy<Armv7Vcpu, Armv7Host>({
  name: 'armv7-hwbp-enabled',
  arch: 'armv7',
  summary:
    'switch when hw_breakpoint_enabled() or the guest BCR/WCR enable something (the reserved slot only steps a wp_on_reg watchpoint)',
  hooks: switchWhenEnabled(hw_breakpoint_enabled),
});
