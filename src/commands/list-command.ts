import type { Catalog } from './catalog.js';
import type { Io } from './io.js';

/** `worldswitch list`: architectures (with their options), policies, invariants. */
export function listCommand(io: Io, catalog: Catalog): number {
  const lines = ['Architectures:'];
  for (const a of catalog.architectures) {
    lines.push(`  ${a.id.padEnd(14)} ${a.summary}`);
    lines.push(`  ${''.padEnd(14)} options: ${a.options.map((o) => `--${o.name} (${o.min}-${o.max}, default ${o.default})`).join(', ')}`);
    lines.push(`  ${''.padEnd(14)} explore domain: ${a.smallDomain}`);
    if (a.costNote) lines.push(`  ${''.padEnd(14)} cycle costs: ${a.costNote}`);
  }
  lines.push('', 'Policies:');
  const width = Math.max(...catalog.policies.map((p) => p.arch.length + p.name.length + 1));
  for (const p of catalog.policies) lines.push(`  ${`${p.arch}/${p.name}`.padEnd(width)}  ${p.summary}`);
  lines.push('', 'Invariants:');
  const iw = Math.max(...catalog.invariants.map((i) => i.name.length));
  for (const i of catalog.invariants) lines.push(`  ${i.name.padEnd(iw)}  ${i.claim}`);
  io.out(`${lines.join('\n')}\n`);
  return 0;
}
