import { describeValue, type Executor, type HookAccess } from '../engine/execute.js';
import type { Violation } from '../engine/invariant.js';
import { fieldsOf, hexWithFields } from '../engine/register-fields.js';

/** One line of the failing step's hook accesses, for text and HTML alike. */
export interface AccessLine {
  /** `hook` starts a hook's block; the others are its reads and writes. */
  readonly kind: HookAccess['kind'];
  readonly hook: string;
  readonly cpu: number;
  /** How many hooks deep: 0 for a hook the event ran, 1 for one taken inside it, … */
  readonly depth: number;
  /** `#2` for the second write of a hook (as observation points count them), '' otherwise. */
  readonly number: string;
  readonly text: string;
  /** The access after which (or at which) the invariant broke. */
  readonly broke: boolean;
}

/**
 * The hooks' hardware reads and writes of the failing step, in order, writes numbered as the
 * observation point counts them ("after hardware write #2"), the point where the invariant broke
 * marked. A violation inside a hook stops it there, so that is the last access logged.
 */
export function accessLines(x: Executor, accesses: readonly HookAccess[], v: Violation | undefined): AccessLine[] {
  const { registers, fields } = x.model;
  // A register id or value is what the hook passed, which may be anything (a Symbol, a BigInt, an
  // object whose toString throws): the access faulted there, and its line shows what was passed.
  const nameOf = (reg: unknown): string =>
    typeof reg === 'number' ? (registers.names[reg] ?? `register #${reg}`) : `register ${describeValue(reg)}`;
  const value = (reg: unknown, n: unknown): string =>
    typeof n === 'number'
      ? hexWithFields(fieldsOf(fields, typeof reg === 'number' ? (registers.names[reg] ?? '') : ''), n)
      : describeValue(n);
  const inHook = v?.at.startsWith('in ') === true;
  let last = -1;
  if (inHook)
    for (let i = accesses.length - 1; i >= 0 && last < 0; i--) if (accesses[i]?.kind === 'read' || accesses[i]?.kind === 'write') last = i;
  const outer: string[] = [];
  return accesses.map((a, i) => {
    if (a.kind === 'hook') outer[a.depth] = a.hook;
    const name = nameOf(a.reg);
    let text: string;
    if (a.kind === 'deliver') text = `debug exception delivered to ${a.hook === 'vmm' ? 'userspace (KVM_EXIT_DEBUG)' : `the ${a.hook}`}`;
    else if (a.kind === 'missed')
      text = `debug event owed to ${a.hook === 'vmm' ? 'userspace (KVM_EXIT_DEBUG)' : `the ${a.hook}`} missed: the vCPU ran on without it`;
    else if (a.kind === 'hook') text = `${a.hook} on cpu${a.cpu}${a.depth > 0 ? ` (taken inside ${outer[a.depth - 1] ?? 'a hook'})` : ''}`;
    else if (a.kind === 'resume') text = `${a.hook} resumes`;
    else if (a.kind === 'read')
      text = a.value === undefined ? `read  ${name}: faulted, no value` : `read  ${name} -> ${value(a.reg, a.value)}`;
    else if (a.write === undefined) text = `write ${name} = ${value(a.reg, a.value ?? 0)}: faulted, not written`;
    else text = `write ${name} = ${value(a.reg, a.value ?? 0)}${a.result === undefined ? '' : ` (now ${value(a.reg, a.result)})`}`;
    return {
      kind: a.kind,
      hook: a.hook,
      cpu: a.cpu,
      depth: a.depth,
      number: a.write === undefined ? '' : `#${a.write}`,
      text,
      broke: i === last,
    };
  });
}

/** The text form of `accessLines`: a header, then one indented line per access. */
export function renderAccesses(step: number, lines: readonly AccessLine[], v: Violation | undefined): string[] {
  if (lines.length === 0) return [`Inside step ${step}: no policy hook ran.`];
  const out = [`Inside step ${step}, each hook's hardware accesses in order (writes numbered as observation points count them):`];
  lines.forEach((l, i) => {
    const next = lines[i + 1];
    const pad = '  '.repeat(l.depth);
    // A hook with nothing before a hook taken inside it still has its accesses after it resumes.
    const resumes = l.kind === 'hook' && next?.kind === 'hook' && next.depth > l.depth;
    const empty = !resumes && (next === undefined || next.kind === 'hook' || next.kind === 'resume');
    if (l.kind === 'hook' || l.kind === 'resume') out.push(`  ${pad}${l.text}:${empty ? ' no hardware access' : ''}`);
    else out.push(`    ${pad}${l.number.padEnd(4)}${l.text}${l.broke && v ? `   <== ${v.invariant} broke here` : ''}`);
  });
  if (v && !lines.some((l) => l.broke)) out.push(`    <== ${v.invariant} broke ${v.at}`);
  return out;
}
