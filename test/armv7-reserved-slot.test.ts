/**
 * The host's reserved breakpoint on ARMv7, as arch/arm/kernel/hw_breakpoint.c uses it: armed only by
 * arch_install_hw_breakpoint() as the mismatch breakpoint of a stepping watchpoint, which keeps its
 * wp_on_reg[] slot meanwhile, and never while a vCPU is loaded on the CPU.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACCESS_PC, ON_REG_AREA } from '../models/armv7/debug-events.js';
import { armv7 } from '../models/armv7/model.js';
import eager from '../models/armv7/policies/eager.js';
import { ARM_BREAKPOINT_USER, bcr, CTRL_E, DBGBCR, DBGBVR, DBGWCR, DBGWVR, REGISTER_COUNT } from '../models/armv7/registers.js';
import type { Executor } from '../src/engine/execute.js';
import { makeExecutor } from '../src/searches/check.js';

const RESERVED = 5; // Cortex-A15: 6 breakpoints, core_num_brps = 5
const AREAS = 3; // cp14, onReg, percpu

const onReg = (x: Executor, cpu: number, reg: number): boolean => x.world.hostMem[(cpu * AREAS + ON_REG_AREA) * REGISTER_COUNT + reg] === 1;
const event = (x: Executor, type: string, ...operands: number[]): Float64Array => {
  const ev = new Float64Array(6);
  ev[0] = x.kinds.findIndex((k) => k.type === type);
  ev.set(operands, 1);
  return ev;
};

describe('the reserved breakpoint steps over a host watchpoint', () => {
  it('is armed by a user watchpoint hit as a mismatch breakpoint at the trigger, while the watchpoint keeps its wp_on_reg slot', () => {
    const x = makeExecutor(eager, armv7, []);
    x.apply(event(x, 'HOST_SET_BREAKPOINT', 0, 1, 3, 0, 0x1000)); // wp3, el0
    x.apply(event(x, 'HOST_ACCESS', 0, 0x1000, 1, 0)); // a user store hits it
    expect(x.world.hw[DBGBCR(RESERVED)]).toBe(bcr(ARM_BREAKPOINT_USER, true));
    expect(x.world.hw[DBGBVR(RESERVED)]).toBe(ACCESS_PC);
    expect(x.world.hw[DBGWCR(3)]).toBe(0);
    // arch_install_hw_breakpoint takes the first free wp_on_reg slot: the stepping watchpoint now holds slot 0.
    expect([0, 1, 2, 3].map((n) => onReg(x, 0, DBGWCR(n)))).toEqual([true, false, false, false]);
    expect(onReg(x, 0, DBGBCR(RESERVED))).toBe(false);
    // The next user instruction elsewhere fires the mismatch: disable_single_step puts the watchpoint back.
    x.apply(event(x, 'HOST_EXECUTE', 0, 0x1000, 0));
    expect(x.world.hw[DBGBCR(RESERVED)]).toBe(0);
    expect(x.world.hw[DBGWVR(0)]).toBe(0x1000);
    expect((x.world.hw[DBGWCR(0)] as number) & CTRL_E).toBe(CTRL_E);
    expect(x.violation).toBeUndefined();
  });

  it('is disarmed before a vCPU is loaded on the CPU', () => {
    const x = makeExecutor(eager, armv7, []);
    x.apply(event(x, 'HOST_SET_BREAKPOINT', 0, 1, 3, 0, 0x1000));
    x.apply(event(x, 'HOST_ACCESS', 0, 0x1000, 0, 0));
    expect((x.world.hw[DBGBCR(RESERVED)] as number) & CTRL_E).toBe(CTRL_E);
    x.load(0, 0);
    expect(x.world.hw[DBGBCR(RESERVED)]).toBe(0);
    expect((x.world.hw[DBGWCR(0)] as number) & CTRL_E).toBe(CTRL_E);
  });

  it('is not armed by a kernel watchpoint (no stepping for kernel addresses)', () => {
    const x = makeExecutor(eager, armv7, []);
    x.apply(event(x, 'HOST_SET_BREAKPOINT', 0, 1, 3, 1, 0x1000)); // el1
    x.apply(event(x, 'HOST_ACCESS', 0, 0x1000, 1, 1));
    expect(x.world.hw[DBGBCR(RESERVED)]).toBe(0);
  });
});

describe('the host never arms the reserved slot without its watchpoint', () => {
  it('holds after every event of 3000 random interleavings (two CPU sizes), and the slot is armed in some of them', () => {
    let armedSeen = 0;
    for (const config of [
      { brps: 6, wrps: 4 },
      { brps: 4, wrps: 2 },
    ]) {
      const x = makeExecutor(eager, armv7, [], config);
      const reserved = config.brps - 1;
      const wrps = config.wrps;
      const ev = new Float64Array(6);
      fc.assert(
        fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 30 }), (choices) => {
          x.reset();
          for (const c of choices) {
            if (!x.decode(c, ev)) break;
            x.apply(ev);
            for (let cpu = 0; cpu < 2; cpu++) {
              const armed = ((x.world.hostIntent[cpu * REGISTER_COUNT + DBGBCR(reserved)] as number) & CTRL_E) !== 0;
              if (!armed) continue;
              armedSeen++;
              let watchpoints = 0;
              for (let n = 0; n < wrps; n++) if (onReg(x, cpu, DBGWCR(n))) watchpoints++;
              expect(watchpoints).toBeGreaterThan(0);
              expect(onReg(x, cpu, DBGBCR(reserved))).toBe(false);
              expect(x.world.running[cpu]).toBe(-1);
            }
          }
        }),
        { seed: 7, numRuns: 1500 },
      );
    }
    expect(armedSeen).toBeGreaterThan(0);
  });
});
