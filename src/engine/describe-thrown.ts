/**
 * A value a policy threw, returned or passed, as text, without running any of the policy's code:
 * describing it happens after its hook has returned, outside the watchdog that ends a hook that
 * never returns, so a `toString`, a `message` getter, a `Symbol.toPrimitive` or a Proxy trap that
 * loops would hang the checker, and one that throws would crash it. Only own data properties are
 * read (`Object.getOwnPropertyDescriptor`, never a getter), a Proxy is never looked into, and the
 * built-ins used are the ones this module found when it loaded, before any policy could replace them.
 */
import { types } from 'node:util';

const { isProxy, isNativeError } = types;
const { getOwnPropertyDescriptor, getPrototypeOf, keys } = Object;
const { isArray } = Array;
const toJson = JSON.stringify;
const ERROR_PROTOTYPE: object = Error.prototype;

/** Own data properties of objects and arrays a description shows; the rest is `…`. */
const SHOWN = 6;
/** How far up the prototype chain a name is looked for (a longer chain is no real class hierarchy). */
const CHAIN = 32;

/** The value of `o`'s own data property `key`, never a getter's (undefined when it is one, or absent). */
function own(o: object, key: PropertyKey): unknown {
  const d = getOwnPropertyDescriptor(o, key);
  return d !== undefined && 'value' in d ? d.value : undefined;
}

/** Where on `o`'s prototype chain `key` is first defined: its data value, or `getter` when a getter defines it. */
function lookup(o: object, key: PropertyKey): { value?: unknown; getter?: true } {
  let at: object | null = o;
  for (let i = 0; at !== null && i < CHAIN && !isProxy(at); i++, at = getPrototypeOf(at) as object | null) {
    const d = getOwnPropertyDescriptor(at, key);
    if (d !== undefined) return 'value' in d ? { value: d.value } : { getter: true };
  }
  return {};
}

/** Whether `o` has `proto` on its prototype chain, looking into no Proxy (`instanceof` without a `Symbol.hasInstance` a policy could replace). */
export function inherits(o: object, proto: object): boolean {
  if (isProxy(o)) return false;
  let at: object | null = getPrototypeOf(o) as object | null;
  for (let i = 0; at !== null && i < CHAIN && !isProxy(at); i++, at = getPrototypeOf(at) as object | null) if (at === proto) return true;
  return false;
}

/** The name of the class `o` was made by (its prototype chain's first `constructor` with a plain string `name`). */
function className(o: object): string | undefined {
  const ctor = lookup(o, 'constructor').value;
  if (typeof ctor !== 'function' || isProxy(ctor)) return undefined;
  const name = own(ctor, 'name');
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/** A primitive as a description shows it inside an object: strings quoted, BigInts with their `n`. */
function primitive(v: unknown, quote: boolean): string {
  if (typeof v === 'string') return quote ? toJson(v) : v;
  if (typeof v === 'bigint') return `${v}n`;
  return String(v);
}

/** One property value inside an object's description: primitives in full, objects by kind only. */
function shallow(v: unknown): string {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return primitive(v, true);
  if (isProxy(v)) return '<unprintable value>';
  if (typeof v === 'function') return '[Function]';
  return isArray(v) ? '[…]' : '{…}';
}

/** The message of a genuine Error `e` (a data property, never a getter's); undefined for anything else. */
export function errorMessage(e: unknown): string | undefined {
  try {
    if (typeof e !== 'object' || e === null || isProxy(e) || !(isNativeError(e) || inherits(e, ERROR_PROTOTYPE))) return undefined;
    const m = lookup(e, 'message').value;
    return typeof m === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}

/** An Error: `RangeError: boom`, from data properties only; a message behind a getter is said to be one. */
function describeErrorObject(e: object): string {
  const n = lookup(e, 'name').value;
  const name = typeof n === 'string' && n !== '' ? n : (className(e) ?? 'Error');
  const m = lookup(e, 'message');
  if (m.getter) return `${name} (its message is a getter, not called)`;
  return typeof m.value === 'string' && m.value !== '' ? `${name}: ${m.value}` : name;
}

/** An object or array: `{ code: 3 }`, `Foo { code: 3 }`, `[1, 2]`, its first own enumerable data properties. */
function describeObject(o: object): string {
  const array = isArray(o);
  const length = array ? (own(o, 'length') as number) : 0;
  // An array's first elements by index (listing every key of a huge array would take a while).
  const shown = array ? Array.from({ length: Math.min(length, SHOWN) }, (_, i) => String(i)) : keys(o);
  const parts: string[] = [];
  for (const key of shown.slice(0, SHOWN)) {
    const d = getOwnPropertyDescriptor(o, key);
    const value = d === undefined ? (array ? '' : 'undefined') : 'value' in d ? shallow(d.value) : '[getter]';
    parts.push(array ? value : `${/^[A-Za-z_$][\w$]*$/.test(key) ? key : toJson(key)}: ${value}`);
  }
  if ((array ? length : shown.length) > SHOWN) parts.push('…');
  if (array) return `[${parts.join(', ')}]`;
  const name = className(o);
  const body = parts.length > 0 ? `{ ${parts.join(', ')} }` : '{}';
  return name === undefined || name === 'Object' ? body : `${name} ${body}`;
}

/**
 * `v` as text, running none of the policy's code and never throwing: `Error: boom`, `{ code: 3 }`,
 * `Symbol(r)`, `[Function f]`; a Proxy (whose every inspection runs a trap) is `<unprintable value>`.
 */
export function describeThrown(v: unknown): string {
  try {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return primitive(v, false);
    if (isProxy(v)) return '<unprintable value>';
    if (typeof v === 'function') {
      const name = own(v, 'name');
      return typeof name === 'string' && name !== '' ? `[Function ${name}]` : '[Function]';
    }
    if (isNativeError(v) || inherits(v, ERROR_PROTOTYPE)) return describeErrorObject(v);
    return describeObject(v);
  } catch {
    // Nothing above runs policy code; a stack overflow (deep recursion before the throw) still lands here.
    return '<unprintable value>';
  }
}
