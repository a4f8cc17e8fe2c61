/** The small things a new user's audit found in the reports and `--help` (issue 20, item 6). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { architectures } from '../models/catalog.js';
import { COMMON_KERNEL_EVENTS } from '../src/reports/kernel-names.js';
import { cli } from './cli-harness.js';

describe('report details', () => {
  it('every event of every architecture has its kernel name for "Events, as the kernel knows them"', () => {
    for (const a of architectures) {
      const m = a.instantiate({});
      const unnamed = [...new Set(m.events.map((k) => k.type))].filter((t) => !(m.kernelEvents?.[t] ?? COMMON_KERNEL_EVENTS[t]));
      expect(unnamed, a.id).toEqual([]);
    }
  });

  it('a step the vCPU ran past is listed as missed and owed to userspace, not as delivered (arm64 era audit)', async () => {
    const r = await cli('check', 'test/fixtures/eras/arm64-nvhe-5.10-later-fixes.ts', '--gdb', '1', '--seed', '1', '--workers', '1');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/debug-status-consumed/);
    expect(r.out).toContain('debug event owed to userspace (KVM_EXIT_DEBUG) missed: the vCPU ran on without it');
    expect(r.out).not.toContain('debug exception delivered to the guest');
  });

  it('a policy named twice is checked once (arch/name and a bare name; a file by two paths)', async () => {
    const both = await cli('check', 'arm64-nvhe/eager', 'eager', '--runs', '10', '--workers', '1');
    expect(both.out.match(/^arm64-nvhe\/eager +held/gm)).toHaveLength(1);
    const file = 'test/quality/hostile-policies/twins.ts#holds';
    const twice = await cli('check', file, `./${file}`, '--runs', '10', '--workers', '1');
    expect(twice.code).toBe(0);
    expect(twice.out).toMatch(/^arm64-nvhe\/twin: held\n/);
  });

  it('a one-step counterexample is "1 step", not "1 steps"', async () => {
    const r = await cli('check', 'test/quality/hostile-policies/throw-null-proto.ts', '--workers', '1');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^Counterexample: 1 step \(/m);
  });

  it('--help gives every default in one form, and --brps names each architecture its ID register', async () => {
    const r = await cli('check', '--help');
    expect(r.out).toContain('(default: 6)');
    expect(r.out).toContain('(default: 1000)');
    expect(r.out).not.toMatch(/\(default \d/);
    const brps = r.out.slice(r.out.indexOf('--brps'), r.out.indexOf('--wrps')).replace(/\s+/g, ' ');
    expect(brps).toContain('ID_AA64DFR0_EL1.BRPs + 1) on arm64-nvhe, arm64-vhe');
    expect(brps).toContain('DBGDIDR.BRPs + 1) on armv7');
  });

  it("explore's domain line leaves out the clauses of options that are off", async () => {
    const off = await cli('explore', 'arm64-vhe/eager', '--depth', '1', '--quiet');
    const domain = off.out.split('\n').find((l) => l.startsWith('  domain:')) ?? '';
    expect(domain).not.toContain('with --gdb');
    expect(domain).not.toContain('with --oslock');
    const on = await cli('explore', 'arm64-vhe/eager', '--depth', '1', '--quiet', '--gdb', '1');
    expect(on.out).toContain("with --gdb, userspace's breakpoint");
    expect(on.out).not.toContain('with --oslock');
  });

  it('explore prints counts with thousands separators on stdout, as on stderr', async () => {
    const r = await cli('explore', 'armv7/eager', '--depth', '5');
    expect(r.out).toContain('1,517 distinct states');
    expect(r.err).toContain('1,517 states');
  });

  it('a held replay has one blank line before its Replay: line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'worldswitch-'));
    try {
      const trace = join(dir, 't.json');
      await cli('check', 'arm64-dirty-2015-v2', '--seed', '1', '--out', trace);
      const r = await cli('replay', trace, '--policy', 'arm64-dirty-2015');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/\S\n\nReplay: /);
      expect(r.out).not.toContain('\n\n\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
