/**
 * Spin on the same model, side by side in the bench: the Promela transliteration of
 * `arm64-nvhe/arm64-dirty-2015` in `../shared/reviews/spin-side-by-side/` (exactly our state counts
 * at every depth without symmetry), built once with `gcc -O2 -DSAFETY -DBFS -DNOREDUCE` and searched
 * to the bench's depth as that review measured it (`./pan -m<D> -w22`). Optional: without `spin` and
 * `gcc` on the PATH (Debian: `apt-get install spin gcc`) or without the model, the bench says why and
 * goes on.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What Spin measured: distinct states and transitions at `depth`, the median search rate, the build's time. */
export interface SpinMeasure {
  readonly model: string;
  readonly depth: number;
  readonly states: number;
  readonly transitions: number;
  /** Median over the repeats of states / pan's own elapsed time. */
  readonly statesPerSecond: number;
  readonly searchSeconds: readonly number[];
  /** `spin -a` plus `gcc -O2`, wall seconds, paid once per model. */
  readonly buildSeconds: number;
}

/** The model, from `WS_SPIN_MODEL` or the shared review folder beside the checkout. */
export function spinModel(root: string): string | undefined {
  const candidates = [process.env.WS_SPIN_MODEL, join(root, '..', 'shared', 'reviews', 'spin-side-by-side', 'arm64-dirty-2015.pml')];
  return candidates.find((p): p is string => p !== undefined && existsSync(p));
}

const has = (tool: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** Spin's search of `model` to `depth`, `repeats` times; or why it cannot run here. */
export function measureSpin(
  model: string | undefined,
  depth: number,
  repeats: number,
  median: (xs: readonly number[]) => number,
): SpinMeasure | { readonly skipped: string } {
  if (model === undefined)
    return { skipped: 'the Promela model (../shared/reviews/spin-side-by-side/arm64-dirty-2015.pml or WS_SPIN_MODEL) is not here' };
  const missing = ['spin', 'gcc'].filter((t) => !has(t));
  if (missing.length) return { skipped: `${missing.join(' and ')} not installed (Debian: apt-get install spin gcc)` };
  const work = mkdtempSync(join(tmpdir(), 'ws-bench-spin-'));
  try {
    copyFileSync(model, join(work, 'model.pml'));
    const t = performance.now();
    execFileSync('spin', ['-a', 'model.pml'], { cwd: work, stdio: 'ignore', timeout: 120_000 });
    execFileSync('gcc', ['-O2', '-DSAFETY', '-DBFS', '-DNOREDUCE', '-o', 'pan', 'pan.c'], { cwd: work, stdio: 'ignore', timeout: 600_000 });
    const buildSeconds = (performance.now() - t) / 1000;
    let states = 0;
    let transitions = 0;
    const searchSeconds: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const out = execFileSync('./pan', [`-m${depth}`, '-w22'], { cwd: work, encoding: 'utf8', timeout: 600_000 });
      states = Number(/(\d+) states, stored/.exec(out)?.[1] ?? Number.NaN);
      transitions = Number(/(\d+) transitions/.exec(out)?.[1] ?? Number.NaN);
      searchSeconds.push(Number(/pan: elapsed time ([\d.e+]+) seconds/.exec(out)?.[1] ?? Number.NaN));
    }
    const rates = searchSeconds.map((s) => states / Math.max(s, 0.01));
    return {
      model,
      depth,
      states,
      transitions,
      statesPerSecond: Math.round(median(rates)),
      searchSeconds,
      buildSeconds: Math.round(buildSeconds * 10) / 10,
    };
  } catch (e) {
    return { skipped: `Spin failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** One worldswitch search of the Spin model's policy, as the bench quotes it. */
export interface OursMeasure {
  readonly label: string;
  readonly states: number;
  readonly transitions: number;
  readonly statesPerSecond: number;
  readonly seconds: readonly number[];
}

/**
 * `explore arm64-nvhe/arm64-dirty-2015 --depth D --no-symmetry`, `repeats` times per variant (`run`
 * returns states, transitions and, when it knows them, the search's own seconds; else the call is
 * timed), next to Spin's search of the same transition system.
 */
export function versusSpin(
  root: string,
  depth: number,
  repeats: number,
  median: (xs: readonly number[]) => number,
  variants: readonly { readonly label: string; readonly run: () => { states: number; transitions: number; seconds?: number } }[],
) {
  const ours: OursMeasure[] = variants.map(({ label, run }) => {
    const seconds: number[] = [];
    let states = 0;
    let transitions = 0;
    for (let r = 0; r < repeats; r++) {
      const t = performance.now();
      const r = run();
      ({ states, transitions } = r);
      seconds.push(r.seconds ?? (performance.now() - t) / 1000);
    }
    return {
      label,
      states,
      transitions,
      statesPerSecond: Math.round(states / median(seconds)),
      seconds: seconds.map((s) => Math.round(s * 100) / 100),
    };
  });
  const spin = measureSpin(spinModel(root), depth, repeats, median);
  const ratios =
    'statesPerSecond' in spin
      ? Object.fromEntries(ours.map((o) => [o.label, Math.round((o.statesPerSecond / spin.statesPerSecond) * 100) / 100]))
      : {};
  return { policy: 'arm64-nvhe/arm64-dirty-2015', depth, symmetry: false, ours, spin, oursOverSpin: ratios };
}
