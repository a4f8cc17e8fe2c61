/**
 * What the arm64 era tests (era-arm64-5.10, era-arm64-5.15) share: running an era file through the CLI
 * as a reviewer does, and reading its JSON report.
 */
import { cli } from '../cli-harness.js';

export type Step = {
  event: string;
  el?: string;
  reg?: string;
  value?: string | number;
  reason?: string;
  singleStep?: string;
  enable?: string;
};
export type Report = { verdict: string; invariant: string | null; config: Record<string, number>; trace: Step[] };

/** The CLI with `argv`, `--json --quiet`: its exit code and parsed report. */
export async function run(...argv: string[]): Promise<{ code: number; report: Report }> {
  const r = await cli(...argv, '--json', '--quiet');
  return { code: r.code, report: JSON.parse(r.out) as Report };
}

/** Generous: each case runs the CLI, which loads the policy file in a worker, on 2 shared cores. */
export const T = 180_000;

/** The event names of a report's counterexample. */
export const events = (r: Report): string[] => r.trace.map((s) => s.event);
