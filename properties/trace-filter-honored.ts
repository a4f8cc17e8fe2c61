import { hex } from '../src/engine/hex.js';
import { defineInvariant } from '../src/engine/invariant.js';
import { TRACE_EXCLUDE_GUEST, TRACE_EXCLUDE_HOST } from '../src/engine/trace-session.js';
import { CTX_GUEST, CTX_HOST } from '../src/engine/world.js';

/** Bitmask (bit `1 << level`) of `levels`. */
function maskOf(levels: readonly number[]): number {
  let m = 0;
  for (let i = 0; i < levels.length; i++) m |= 1 << (levels[i] as number);
  return m;
}

/** Names the levels of a level mask as exception levels, level 1 being `kernelEl`: `EL0, EL1`. */
const levelNames = (mask: number, kernelEl: number): string =>
  [0, 1]
    .filter((l) => mask & (1 << l))
    .map((l) => `EL${l === 1 ? kernelEl : l}`)
    .join(', ');

/**
 * Whenever host or guest code runs, the trace unit traces it at every one of its levels exactly
 * when the CPU's host trace session includes that world (nothing while no session runs).
 */
export default defineInvariant({
  name: 'trace-filter-honored',
  claim: "trace and profiling obey the host's exclude-guest / exclude-host choice on every CPU, including after migration",
  archs: ['arm64-nvhe', 'arm64-vhe'],
  contexts: (1 << CTX_HOST) | (1 << CTX_GUEST),
  // Reads the CPU's hardware, context and ghost trace session: never memory.
  memoryBlind: true,
  state(x, cpu) {
    const view = x.model.view;
    const trace = view.trace;
    if (trace === undefined) return undefined;
    const w = x.world;
    const guest = w.cpuContext[cpu] === CTX_GUEST;
    const session = w.cpuGhost[cpu * (x.model.ghost?.cpu.length ?? 0) + trace.sessionGhost] as number;
    const excluded = (session & (guest ? TRACE_EXCLUDE_GUEST : TRACE_EXCLUDE_HOST)) !== 0;
    const all = maskOf(guest ? view.guestLevels : view.hostLevels);
    const actual = trace.traced(w.hw, cpu * x.regs, guest) & all;
    const expected = excluded ? 0 : all;
    if (actual === expected) return undefined;
    const reg = guest ? trace.guestFilterReg : trace.hostFilterReg;
    const register = x.model.registers.names[reg] ?? String(reg);
    const value = w.hw[cpu * x.regs + reg] as number;
    const who = guest ? `guest code of vcpu${w.running[cpu]}` : 'host code';
    const setAt = w.hostIntentAt[cpu * x.regs + trace.hostFilterReg] as number;
    const sessionAt = `the trace session set at step ${setAt}`;
    const kernelEl = guest ? 1 : trace.hostKernelEl;
    const problem =
      actual & ~expected
        ? `is traced at ${levelNames(actual & ~expected, kernelEl)}, but ${setAt === 0 ? 'no trace session runs' : `${sessionAt} excludes it`}`
        : `is not traced at ${levelNames(expected & ~actual, kernelEl)}, but ${sessionAt} includes it`;
    return { message: `cpu${cpu} runs ${who}, which ${problem} (${register} = ${hex(value)})`, cpu, register, actual: value, setAt };
  },
});
