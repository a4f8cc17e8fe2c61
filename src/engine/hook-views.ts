/**
 * What a hook sees as `k.vcpu` and `k.host`: views onto the world's typed arrays, laid out as the
 * model names the kernel's fields, with the policy's scratch words. Built once per executor.
 *
 * Their accessors (and `k.cpu`) are functions shared by every view (they find their world and word
 * through the view's hidden symbol-keyed properties), never closures made per view: V8 gives an
 * object whose accessor differs from the one an object of the same shape got before a dictionary
 * map (and an object literal with a getter one at once), so per-executor closures left the views of
 * every executor after the first, and every `k`, in dictionary mode, and the policy code reading
 * them megamorphic.
 */
import { errorMessage } from './describe-thrown.js';
import { HOST_SCRATCH_WORDS, SCRATCH_WORDS } from './executor-types.js';
import type { ModelInstance } from './model.js';
import type { Hw } from './policy.js';
import type { World } from './world.js';

/** Hidden properties of a view: its world and the index of its first scalar word. */
const WORLD = Symbol('world');
const BASE = Symbol('base');
/** Hook contexts and host views: what reading `cpu` calls (CPU symmetry must know a policy asked). */
const READ_CPU = Symbol('readCpu');

interface ViewState {
  [WORLD]: World;
  [BASE]: number;
}

interface Accessor {
  get(this: ViewState): number;
  set(this: ViewState, value: number): void;
}

/** The accessors of scalar word `s` of vCPU views ([0]) and host views ([1]), made once, shared by every view. */
const scalarAccessors: Accessor[][] = [[], []];
function scalarAccessor(host: boolean, s: number): PropertyDescriptor {
  const list = scalarAccessors[host ? 1 : 0] as Accessor[];
  let a = list[s];
  if (a === undefined) {
    a = host
      ? {
          get(this: ViewState) {
            return this[WORLD].hostScalar[this[BASE] + s] as number;
          },
          set(this: ViewState, value: number) {
            this[WORLD].hostScalar[this[BASE] + s] = value;
          },
        }
      : {
          get(this: ViewState) {
            return this[WORLD].vcpuScalar[this[BASE] + s] as number;
          },
          set(this: ViewState, value: number) {
            this[WORLD].vcpuScalar[this[BASE] + s] = value;
          },
        };
    list[s] = a;
  }
  return { get: a.get, set: a.set, enumerable: true };
}

/**
 * Words `base`…`base + n - 1` of `words` as a hook's memory area; `closed`: closed to new properties,
 * so a write under a key that is no index (`ctxt[undefined]`, an import that does not exist) throws,
 * a policy-total finding, instead of keeping a value outside the world that no state holds. A write
 * past the end (`ctxt[99999]`) is dropped, as JavaScript drops it (README, "Abstractions"). V8's
 * indexed access to a closed typed array is slower (5% of a VHE search), so the built-in policies,
 * tested code, get open areas (`isBuiltIn`); every other policy, closed ones.
 */
function area(words: Float64Array, base: number, n: number, closed: boolean): Float64Array {
  const a = words.subarray(base, base + n);
  return closed ? Object.preventExtensions(a) : a;
}

/** Hidden, read-only, non-enumerable. */
function hide(view: object, key: symbol, value: unknown): void {
  Object.defineProperty(view, key, { value });
}

/** The `cpu` getter of every hook context and host view. */
function getCpu(this: { [READ_CPU]: () => number }): number {
  return this[READ_CPU]();
}

/** What `makeHookContext` makes. */
export type HookContextObject<M> = { readonly hw: Hw; vcpu: unknown; host: unknown; readonly cpu: number } & M;

/** The properties of `k` that are the checker's own: fixed, so a hook cannot replace them. */
const FIXED = ['hw', 'cpu', 'bug', 'warn', 'localIrqDisable'];

/**
 * The hook context `k` of an executor: `hw`, the `vcpu` and `host` views of the running hook (set
 * per hook), `cpu` (through `readCpu`), then `methods` (bug, warn, localIrqDisable). Every property
 * but `vcpu` and `host` is non-writable and non-configurable, and `hw` is frozen: a hook that
 * replaces, deletes or redefines one (`k.hw = fake`, `k.bug = () => {}`, `k.hw.write = …`) throws,
 * a policy-total finding (`fixedPropertyHint` says why), instead of hiding its hardware accesses
 * or a BUG() from the checker, or its CPU number from CPU symmetry. Properties defined once, in one
 * order, as an object literal's would be: `k` keeps fast properties.
 */
export function makeHookContext<M extends object>(hw: Hw, readCpu: () => number, methods: M): HookContextObject<M> {
  const k: Record<string, unknown> = {};
  Object.defineProperty(k, 'hw', { value: Object.freeze(hw), enumerable: true });
  k.vcpu = undefined;
  k.host = undefined;
  Object.defineProperty(k, 'cpu', { get: getCpu, enumerable: true });
  for (const [name, value] of Object.entries(methods)) Object.defineProperty(k, name, { value, enumerable: true });
  hide(k, READ_CPU, readCpu);
  return k as HookContextObject<M>;
}

/**
 * What a hook's throw says when it came from replacing, deleting or redefining a fixed property of
 * `k` (V8's TypeError names the property): why that is refused. Empty for any other throw.
 */
export function fixedPropertyHint(e: unknown): string {
  const m = errorMessage(e);
  const p =
    m === undefined
      ? undefined
      : /^Cannot (?:assign to read only property '(\w+)'|delete property '(\w+)'|redefine property: (\w+)|set property (\w+) of .* which has only a getter)/.exec(
          m,
        );
  const name = p?.slice(1).find((n) => n !== undefined);
  if (name === undefined || !(FIXED.includes(name) || name === 'read' || name === 'write')) return '';
  return ` (k.hw and its read and write, k.cpu, k.bug, k.warn and k.localIrqDisable are the checker's: a hook cannot replace, delete or redefine them)`;
}

/** What a hook did that `releaseHookContext` found, for its policy-total finding. */
export const BROKEN_CONTEXT =
  "froze or redefined k (k.vcpu and k.host can no longer be set): k is the checker's hook context, the same object for every hook; keep state in k.vcpu and k.host";

/**
 * After a hook: points `k` at no views (the next hook's are then set without a check). False when
 * the hook froze `k` or redefined `vcpu`/`host` (a getter, a read-only property) so that they can
 * no longer be set, or no longer read back what was set.
 */
export function releaseHookContext(k: { vcpu: unknown; host: unknown }): boolean {
  try {
    k.vcpu = undefined;
    k.host = undefined;
    return k.vcpu === undefined && k.host === undefined;
  } catch {
    return false;
  }
}

/** The `k.vcpu` view of each vCPU and the `k.host` view of each CPU of `w` (`closed`: see `area`; `onCpuRead`: see makeHostView). */
export function makeViews(model: ModelInstance, w: World, closed: boolean, onCpuRead: () => void): [vcpu: unknown[], host: unknown[]] {
  return [
    Array.from({ length: w.shape.vcpus }, (_, v) => makeVcpuView(model, w, v, closed)),
    Array.from({ length: w.shape.cpus }, (_, c) => makeHostView(model, w, c, onCpuRead, closed)),
  ];
}

/** vCPU `v`'s memory as its hooks see it (`k.vcpu`): each area a register-indexed array, each scalar a property. */
export function makeVcpuView(model: ModelInstance, w: World, v: number, closed = true): unknown {
  const { memory } = model;
  const regs = model.registers.count;
  const view: Record<string, unknown> = { id: v };
  const words = memory.vcpuScalars.length + SCRATCH_WORDS;
  hide(view, WORLD, w);
  hide(view, BASE, v * words);
  memory.vcpuAreas.forEach((name, a) => {
    const base = (v * memory.vcpuAreas.length + a) * regs;
    view[name] = area(w.vcpuMem, base, regs, closed);
  });
  for (const [alias, target] of Object.entries(memory.vcpuAreaAliases ?? {})) {
    Object.defineProperty(view, alias, { value: view[target], enumerable: false });
  }
  memory.vcpuScalars.forEach((name, s) => {
    Object.defineProperty(view, name, scalarAccessor(false, s));
  });
  const base = v * words + memory.vcpuScalars.length;
  view.scratch = area(w.vcpuScalar, base, SCRATCH_WORDS, closed);
  return Object.seal(view);
}

/** CPU `cpu`'s per-CPU host data as its hooks see it (`k.host`); reading `cpu` calls `onCpuRead` (CPU symmetry must know). */
export function makeHostView(model: ModelInstance, w: World, cpu: number, onCpuRead: () => void, closed = true): unknown {
  const { memory } = model;
  const regs = model.registers.count;
  const view: Record<string, unknown> = {};
  const scalars = memory.hostScalars ?? [];
  const words = scalars.length + HOST_SCRATCH_WORDS;
  hide(view, READ_CPU, () => {
    onCpuRead();
    return cpu;
  });
  hide(view, WORLD, w);
  hide(view, BASE, cpu * words);
  Object.defineProperty(view, 'cpu', { get: getCpu, enumerable: true });
  memory.hostAreas.forEach((name, a) => {
    const base = (cpu * memory.hostAreas.length + a) * regs;
    view[name] = area(w.hostMem, base, regs, closed);
  });
  scalars.forEach((name, s) => {
    Object.defineProperty(view, name, scalarAccessor(true, s));
  });
  const base = cpu * words + scalars.length;
  view.scratch = area(w.hostScalar, base, HOST_SCRATCH_WORDS, closed);
  return Object.freeze(view);
}
