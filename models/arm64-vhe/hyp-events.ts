/**
 * The hypervisor's own accesses to a loaded vCPU's registers: an exit handler reads a guest register
 * for itself (kvm_vcpu_is_be reading SCTLR_EL1 for MMIO, the debug code reading MDSCR_EL1) or writes
 * a VM register (ESR_EL1/FAR_EL1 when injecting an abort). The model passes exactly the registers
 * such paths touch, over the eras (model.ts's HYP_READABLE / HYP_WRITABLE). With the EL1
 * registers deferred to vcpu_put, such a reader must know where the value lives.
 */

import type { EventKind } from '../../src/engine/model.js';
import { vcpuEvent } from '../../src/model-kit/events.js';

/** HYP_READ_REG {vcpu, reg} over `readable` and HYP_WRITE_REG {vcpu, reg, value} over `writable`. */
export function hypAccessEvents(readable: Int32Array, writable: Int32Array, valueDomain: (reg: number) => readonly number[]): EventKind[] {
  const eachValue = (ev: Float64Array, emit: (ev: Float64Array) => void): void => {
    for (const reg of writable) {
      ev[2] = reg;
      for (const value of valueDomain(reg)) {
        ev[3] = value;
        emit(ev);
      }
    }
  };
  return [
    vcpuEvent('HYP_READ_REG', 'HYP_READ_REG', 1, {
      operands: [['reg', 'reg']],
      decode(_x, r, ev) {
        ev[2] = readable[r % readable.length] as number;
      },
      accepts: (_x, ev) => readable.includes(ev[2] as number),
      each(_x, ev, emit) {
        for (const reg of readable) {
          ev[2] = reg;
          emit(ev);
        }
      },
      apply(x, ev) {
        const v = ev[1] as number;
        const reg = ev[2] as number;
        x.hookRead('hypReadReg', 'hyp', v, reg, x.fire(v, x.lifecycleEvent('HYP_READ_REG'), reg));
      },
    }),
    vcpuEvent('HYP_WRITE_REG', 'HYP_WRITE_REG', 1, {
      operands: [
        ['reg', 'reg'],
        ['value', 'value'],
      ],
      decode(_x, r, ev) {
        const reg = writable[r % writable.length] as number;
        const values = valueDomain(reg);
        ev[2] = reg;
        ev[3] = values[Math.floor(r / writable.length) % values.length] ?? 0;
      },
      accepts: (_x, ev) => writable.includes(ev[2] as number),
      each: (_x, ev, emit) => eachValue(ev, emit),
      apply(x, ev) {
        const v = ev[1] as number;
        x.setGuestIntent(v, ev[2] as number, ev[3] as number);
        x.fireAndSettle(v, x.lifecycleEvent('HYP_WRITE_REG'), ev[2] as number, ev[3] as number);
      },
    }),
  ];
}
