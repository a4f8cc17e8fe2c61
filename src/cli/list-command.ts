import type { Policy } from '../engine/policy.js';
import type { Catalog } from './catalog.js';
import type { Io } from './io.js';

/** The version of the JSON `list --json` prints; bumped on any incompatible change. */
export const LIST_REPORT_VERSION = 1;

/** `list --json`: the same catalog as data. */
function listJson(catalog: Catalog): Record<string, unknown> {
  return {
    reportVersion: LIST_REPORT_VERSION,
    command: 'list',
    architectures: catalog.architectures.map((a) => ({
      id: a.id,
      summary: a.summary,
      options: a.options.map((o) => ({ name: o.name, min: o.min, max: o.max, default: o.default, describe: o.describe })),
      smallDomain: a.smallDomain,
      ...(a.costNote ? { costNote: a.costNote } : {}),
      invariants: catalog.invariantsFor(a.id).map((i) => i.name),
    })),
    policies: catalog.policies.map((p) => ({
      name: `${p.arch}/${p.name}`,
      arch: p.arch,
      policy: p.name,
      summary: p.summary,
      ...(p.defaults ? { defaults: p.defaults } : {}),
      ...(p.scope ? { scope: p.scope } : {}),
    })),
    invariants: catalog.invariants.map((i) => ({ name: i.name, claim: i.claim })),
  };
}

/** A policy's era options as `list` prints them: the defaults it runs with and the values it models. */
function eraText(p: Policy): string {
  const parts = [
    ...Object.entries(p.defaults ?? {}).map(([name, v]) => `--${name} ${v} unless given`),
    ...Object.entries(p.scope ?? {}).map(([name, s]) => `models --${name} ${s.values.join(', ')} only`),
  ];
  return parts.length ? `(${parts.join('; ')})` : '';
}

/** `worldswitch list`: architectures (with their options), policies, invariants; `--json` as data. */
export function listCommand(io: Io, catalog: Catalog, flags: { json?: boolean } = {}): number {
  if (flags.json) {
    io.out(`${JSON.stringify(listJson(catalog), null, 2)}\n`);
    return 0;
  }
  const lines = ['Architectures:'];
  for (const a of catalog.architectures) {
    lines.push(`  ${a.id.padEnd(14)} ${a.summary}`);
    lines.push(`  ${''.padEnd(14)} options: ${a.options.map((o) => `--${o.name} (${o.min}-${o.max}, default ${o.default})`).join(', ')}`);
    lines.push(`  ${''.padEnd(14)} explore domain: ${a.smallDomain}`);
    if (a.costNote) lines.push(`  ${''.padEnd(14)} cycle costs: ${a.costNote}`);
  }
  lines.push('', 'Policies:');
  const width = Math.max(...catalog.policies.map((p) => p.arch.length + p.name.length + 1));
  for (const p of catalog.policies) {
    lines.push(`  ${`${p.arch}/${p.name}`.padEnd(width)}  ${p.summary}`);
    const era = eraText(p);
    if (era) lines.push(`  ${''.padEnd(width)}  ${era}`);
  }
  lines.push('', 'Invariants:');
  const iw = Math.max(...catalog.invariants.map((i) => i.name.length));
  for (const i of catalog.invariants) lines.push(`  ${i.name.padEnd(iw)}  ${i.claim}`);
  io.out(`${lines.join('\n')}\n`);
  return 0;
}
