/**
 * Every hostile policy file in `hostile-policies/` gets the verdict and exit code its row in
 * `expected.ts` names, through the CLI: a policy's faults are policy-total findings or one line
 * on stderr with exit 2, never a false `held`, a crash (exit 3) or a hang.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, lines } from '../cli-harness.js';
import { HOSTILE_CASES } from './hostile-policies/expected.js';

const dir = mkdtempSync(join(tmpdir(), 'worldswitch-hostile-'));
const trace = join(dir, 't.json');
beforeAll(async () => {
  // A saved arm64-nvhe counterexample for the replay rows (replayed with --policy <hostile file>).
  expect((await cli('check', 'arm64-nvhe/arm64-dirty-2015-v2', '--seed', '1', '--out', trace)).code).toBe(1);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The built CLI in a process of its own: its code, stdout and stderr. */
const binary = (argv: readonly string[]): Promise<{ code: number; out: string; err: string }> =>
  new Promise((resolve) => {
    execFile(process.execPath, ['bin/worldswitch.js', ...argv], { maxBuffer: 64 << 20 }, (error, out, err) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, out, err });
    });
  });

describe('hostile policy files', () => {
  it.each(HOSTILE_CASES.map((c) => [`${c.command} ${c.policy} ${c.flags.join(' ')}`.trim(), c] as const))(
    '%s',
    async (_, c) => {
      const file = `test/quality/hostile-policies/${c.policy}`;
      const argv =
        c.command === 'replay' ? ['replay', trace, '--policy', file, ...c.flags, '--json'] : [c.command, file, ...c.flags, '--json'];
      const r = c.ownProcess ? await binary(argv) : await cli(...argv);
      expect(r.code, r.err).toBe(c.exit);
      if (c.exit === 2) {
        expect(lines(r.err)).toHaveLength(1);
        expect(r.err).toMatch(c.says);
        return;
      }
      const json = JSON.parse(r.out) as {
        verdict?: string;
        invariant?: string | null;
        violation?: { message: string } | null;
        error?: string;
        trace?: unknown[];
        counterexample?: { rerun?: string } | null;
      };
      if (c.command === 'cost') {
        expect(json.error).toMatch(c.says);
        return;
      }
      expect(json.verdict).toBe(c.verdict);
      if (c.invariant) expect(json.invariant).toBe(c.invariant);
      if (c.verdict === 'violated' && c.invariant === 'policy-total') {
        expect(json.violation?.message).toMatch(c.says);
        // The finding comes with the trace that led to it.
        expect(json.trace?.length ?? 0).toBeGreaterThan(0);
      }
      if (c.rerun) expect(json.counterexample?.rerun).toMatch(c.rerun);
    },
    60_000,
  );
});
