import type { ArchModel } from '../engine/model.js';
import { type CostResult, costCases, costInSlices } from '../searches/cost.js';
import { DEFAULT_HOOK_TIMEOUT_S } from '../searches/guard.js';
import { runInSlices } from '../searches/slices.js';
import type { Catalog } from './catalog.js';
import { type Io, type Signal, signalExitCode } from './io.js';
import { checkModelFlags, inScope, modelConfig, selectAll } from './selection.js';

/** The flags of `worldswitch cost`. */
export interface CostFlags {
  rounds: number;
  seed: number;
  json?: boolean;
  hookTimeout?: number;
  [option: string]: unknown;
}

/** The version of the JSON `cost` prints; bumped on any incompatible change. */
export const COST_REPORT_VERSION = 1;

/** Cycles of one world switch (entry + exit) in case `name`, or undefined when not measured. */
const switchCycles = (r: CostResult, name: string): number | undefined => {
  const c = r.cases[name];
  return c === undefined ? undefined : c.entryCycles + c.exitCycles;
};

const num = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/** Under every cost report: a saving says nothing of correctness (the cheapest policy may switch nothing). */
const COST_IS_NO_VERDICT =
  '\nCycles only, no verdict: a policy that saves the most may be one that switches nothing (check or explore it).\n';

/** One architecture's table: a row per policy, a column per case; savings against the arch's eager. */
function renderArch(arch: ArchModel, results: readonly CostResult[], baseline: CostResult | undefined): string {
  const cases = costCases(arch).map((c) => c.name);
  const r0 = results[0] as CostResult;
  const lines = [
    `${arch.id} (${Object.entries(r0.config)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}): ${arch.costNote ?? 'every hardware access costs one unit (no cost table)'}`,
    `cycles per world switch: entry+exit [traps per guest run]; mean of ${r0.rounds} generated guest runs per case (seed ${r0.seed})`,
  ];
  const name = (r: CostResult): string => `${r.arch}/${r.policy}`;
  const width = Math.max(8, ...results.map((r) => name(r).length));
  const cell = (r: CostResult, c: string): string => {
    const k = r.cases[c];
    if (k === undefined) return '-';
    return `${num(k.entryCycles)}+${num(k.exitCycles)}${k.traps > 0 ? ` [${num(k.traps)}]` : ''}`;
  };
  const cw = Math.max(14, ...cases.map((c) => c.length), ...results.flatMap((r) => cases.map((c) => cell(r, c).length))) + 2;
  lines.push(`${'policy'.padEnd(width)}  ${cases.map((c) => c.padEnd(cw)).join('')}`.trimEnd());
  for (const r of results) {
    lines.push(`${name(r).padEnd(width)}  ${cases.map((c) => cell(r, c).padEnd(cw)).join('')}`.trimEnd());
    if (baseline && r.policy !== baseline.policy) {
      const saved = cases.map((c) => {
        const b = switchCycles(baseline, c);
        const p = switchCycles(r, c);
        return b === undefined || p === undefined ? '-' : `saves ${num(b - p)}`;
      });
      lines.push(`${''.padEnd(width)}  ${saved.map((s) => s.padEnd(cw)).join('')}`.trimEnd());
    }
    if (r.error) lines.push(`${''.padEnd(width)}  stopped: ${r.error}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The JSON form of one result (DESIGN §6–7): per case entryCycles, exitCycles, traps, trapCycles. */
const toJson = (r: CostResult): Record<string, unknown> => ({
  policy: r.policy,
  arch: r.arch,
  config: r.config,
  rounds: r.rounds,
  seed: r.seed,
  cases: r.cases,
  ...(r.error ? { error: r.error } : {}),
});

/**
 * `worldswitch cost`: runs each selected policy (every built-in one when none is named) on the
 * usage-case workloads of its architecture and prints cycles per world switch, with what each
 * policy saves against its architecture's eager baseline. Exit code 0, or 1 if a policy failed.
 */
export async function costCommand(args: string[], flags: CostFlags, io: Io, catalog: Catalog): Promise<number> {
  const timeoutS = flags.hookTimeout ?? DEFAULT_HOOK_TIMEOUT_S;
  const all = await selectAll(args, catalog, timeoutS);
  checkModelFlags(all, flags, catalog);
  const selected = inScope(all, flags, io);
  const byArch = new Map<ArchModel, CostResult[]>();
  const baselines = new Map<ArchModel, CostResult | undefined>();
  // The workloads run in slices that let the event loop in: a signal stops the policy being measured.
  const stop = (): boolean => io.signalled?.() !== undefined;
  for (const { policy, arch, file } of selected) {
    if (stop()) break;
    const { config } = modelConfig(arch, flags);
    const options = { arch, config, rounds: flags.rounds, seed: flags.seed };
    const eager = catalog.policies.find((p) => p.arch === arch.id && p.name === 'eager');
    if (!baselines.has(arch) && policy !== eager) {
      const baseline = eager ? await runInSlices(costInSlices(eager, options), stop) : undefined;
      if (stop()) break;
      baselines.set(arch, baseline);
    }
    const r = await runInSlices(costInSlices(policy, { ...options, ...(file ? { hookTimeoutMs: timeoutS * 1000 } : {}) }), stop);
    if (r === undefined) break;
    if (!baselines.has(arch)) baselines.set(arch, r); // the baseline itself, measured once
    byArch.set(arch, [...(byArch.get(arch) ?? []), r]);
  }
  const signal: Signal | undefined = io.signalled?.();
  const results = [...byArch.values()].flat();
  if (flags.json) {
    const json =
      results.length === 1
        ? { reportVersion: COST_REPORT_VERSION, command: 'cost', ...toJson(results[0] as CostResult) }
        : { reportVersion: COST_REPORT_VERSION, command: 'cost', results: results.map(toJson) };
    io.out(`${JSON.stringify(json, null, 2)}\n`);
  } else if (results.length > 0 || !signal) {
    io.out([...byArch].map(([arch, rs]) => renderArch(arch, rs, baselines.get(arch))).join('\n') + COST_IS_NO_VERDICT);
  }
  if (signal) {
    io.err(`worldswitch: stopped by ${signal}; ${results.length} of ${selected.length} policies measured\n`);
    return signalExitCode(signal);
  }
  return results.some((r) => r.error) ? 1 : 0;
}
