import type { Executor } from '../engine/execute.js';
import type { Alphabet } from './expand-state.js';

/** The alphabet of a counterexample: its own events, each also with every CPU and vCPU operand value. */
export function traceAlphabet(x: Executor, trace: readonly Float64Array[]): Alphabet {
  const { cpus, vcpus } = x.world.shape;
  const variants = new Map<string, Float64Array>();
  for (const ev of trace) {
    let list = [ev.slice()];
    const kind = x.kinds[ev[0] as number];
    kind?.operands.forEach(([, k], i) => {
      const n = k === 'cpu' ? cpus : k === 'vcpu' ? vcpus : 0;
      if (n === 0) return;
      list = list.flatMap((e) =>
        Array.from({ length: n }, (_, value) => {
          const copy = e.slice();
          copy[i + 1] = value;
          return copy;
        }),
      );
    });
    for (const e of list) variants.set(e.join(','), e);
  }
  const all = [...variants.values()];
  return (xx, emit) => {
    for (const ev of all) if (xx.kinds[ev[0] as number]?.accepts(xx, ev)) emit(ev);
  };
}
