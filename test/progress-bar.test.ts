/**
 * The progress bar `check` draws on a terminal, and `--quiet`: the bar is a pure string, and a
 * quiet io has no status line to draw it on. A check run in a worker for the bar prints the same
 * report as one run in-process.
 */
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/cli.js';
import { quiet } from '../src/cli/io.js';
import { progressBar } from '../src/cli/progress-bar.js';
import { cli } from './cli-harness.js';

describe('progressBar', () => {
  it('fills in proportion to the runs done and stops at 100%', () => {
    expect(progressBar(0, 1000, 10)).toBe('[..........]   0%');
    expect(progressBar(250, 1000, 10)).toBe('[###.......]  25%');
    expect(progressBar(1000, 1000, 10)).toBe('[##########] 100%');
    expect(progressBar(5000, 1000, 10)).toBe('[##########] 100%');
  });
});

describe('--quiet and the terminal status line', () => {
  it('quiet(io) keeps stdout, stderr and Ctrl-C but drops the status line', () => {
    const io = { out: () => {}, err: () => {}, status: () => {}, onSignal: () => () => {} };
    const q = quiet(io);
    expect(q.status).toBeUndefined();
    expect(q.out).toBe(io.out);
    expect(q.onSignal).toBe(io.onSignal);
  });

  it('a check run in a worker for the progress bar prints the same report as one run in-process', async () => {
    let out = '';
    // An io with a status line, as on a terminal: the check runs in a worker to draw the bar.
    const io = { out: (s: string) => (out += s), err: () => {}, status: () => {} };
    const code = await main(['check', 'arm64-dirty-2015-v2', '--seed', '3'], io);
    const plain = await cli('check', 'arm64-dirty-2015-v2', '--seed', '3');
    expect(code).toBe(1);
    expect(out).toBe(plain.out);
  });

  it.each([1, 2])('a terminal shows the bar once a check passes 2 s, with --workers %i', async (workers) => {
    const lines: string[] = [];
    const io = { out: () => {}, err: () => {}, status: (s: string) => lines.push(s) };
    // The time limit ends the check after the bar's first draw (about a second after it is due).
    const code = await main(['check', 'arm64-nvhe/eager', '--runs', '10000000', '--workers', String(workers), '--time-limit', '4'], io);
    expect(code).toBe(4);
    expect(lines.some((s) => /^check arm64-nvhe\/eager \[#*\.*\] +\d+% \d+\/10000000 runs/.test(s))).toBe(true);
  });
});
