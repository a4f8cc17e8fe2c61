/**
 * src/'s layout (src/README.md): folders in layers, value imports only from the layers above, a
 * README per folder saying what lives there, and files a reader takes in at once.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', 'src');
/** Layers, top (imports nothing outside itself) to bottom. */
const LAYERS = ['engine', 'model-kit', 'searches', 'persistence', 'reports', 'cli'] as const;
const ENTRY_POINTS = ['expect-policy.ts', 'index.ts'];
/** "No file over ~300 lines" (issue 19): a little slack for a file that is one thing. */
const MAX_LINES = 330;
/** Outside cli/, the files that read the built-in catalog: a worker thread's entry, which finds its policy by name. */
const CATALOG_READERS = ['searches/bfs-worker.ts'];
/** Files still over MAX_LINES, each with why (empty is the goal). */
const LONG: Record<string, string> = {};

const filesOf = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesOf(p) : f.endsWith('.ts') ? [p] : [];
  });

/** The relative modules a file imports as values (an `import type`, or `{ type A, type B }` only, costs nothing at run time). */
function valueImports(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?([^;]*?)from\s+'(\.[^']+)'/gms)) {
    if (m[1]) continue;
    const names = (m[2] ?? '').trim();
    if (
      /^\{[^}]*\}$/.test(names) &&
      names
        .slice(1, -1)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .every((s) => s.startsWith('type '))
    )
      continue;
    out.push(m[3] as string);
  }
  return out;
}

describe('src/ layout', () => {
  it('holds the layer folders, each with a README, and only the public entry points beside them', () => {
    const top = readdirSync(SRC).sort();
    expect(top).toEqual([...LAYERS, ...ENTRY_POINTS, 'README.md'].sort());
    for (const layer of LAYERS) expect(readFileSync(join(SRC, layer, 'README.md'), 'utf8')).toMatch(new RegExp(`^# ${layer}/`));
  });

  it('imports values only from its own layer or the layers above it', () => {
    const wrong: string[] = [];
    for (const [rank, layer] of LAYERS.entries()) {
      for (const file of filesOf(join(SRC, layer))) {
        for (const spec of valueImports(readFileSync(file, 'utf8'))) {
          const target = relative(SRC, join(file, '..', spec)).split('/')[0] as string;
          // The built-in catalog (models/, properties/) is read only by cli/ and by worker-thread entries.
          if (target === '..') {
            if (layer !== 'cli' && !CATALOG_READERS.includes(relative(SRC, file))) wrong.push(`${relative(SRC, file)} -> ${spec}`);
            continue;
          }
          const r = LAYERS.indexOf(target as (typeof LAYERS)[number]);
          if (r < 0 || r > rank) wrong.push(`${relative(SRC, file)} -> ${spec}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it(`keeps every file under ${MAX_LINES} lines, except those listed with a reason`, () => {
    const long = filesOf(SRC)
      .map((f) => [relative(SRC, f), readFileSync(f, 'utf8').split('\n').length] as const)
      .filter(([f, n]) => n > MAX_LINES && !(f in LONG))
      .map(([f, n]) => `${f}: ${n} lines`);
    expect(long).toEqual([]);
  });
});
