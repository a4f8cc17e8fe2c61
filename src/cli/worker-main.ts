/**
 * The worker side of `check` and `explore`: a worker thread (its own, or one of the pool's) finds
 * the policy (built-in by name, or its export in its file), runs the job against the shared memory
 * the main thread watches, and posts the result.
 */
import { parentPort } from 'node:worker_threads';
import { architectures, policies } from '../../models/catalog.js';
import { invariantsFor } from '../../properties/suites.js';
import { describeError } from '../engine/execute.js';
import { guardProcessEnds } from '../engine/process-ends.js';
import { loadPolicyFile } from '../persistence/load-policy.js';
import { check } from '../searches/check.js';
import { explore } from '../searches/explore.js';
import type { WorkerJob, WorkerShared } from '../searches/worker-run.js';

/** The worker side: finds the policy (built-in, or its export in its file) and runs the job with the shared memory. */
async function workerMain(job: WorkerJob, shared: WorkerShared): Promise<void> {
  // A hook calling process.exit (or abort, or killing the process) would end this thread or the
  // process with no report: make it a thrown error, reported as policy-total.
  guardProcessEnds();
  const policy = job.file
    ? (await loadPolicyFile(job.exportName ? `${job.file}#${job.exportName}` : job.file)).find(
        (p) => p.policy.name === job.policy && p.policy.arch === job.arch,
      )?.policy
    : policies.find((p) => p.name === job.policy && p.arch === job.arch);
  const arch = architectures.find((a) => a.id === job.arch);
  if (!policy || !arch) throw new Error(`worker cannot find ${job.arch}/${job.policy}`);
  const selected = invariantsFor(arch.id).filter((i) => job.invariants.includes(i.name));
  const watch = { beat: new Int32Array(shared.beat), trace: new Float64Array(shared.trace) };
  const stop = new Int32Array(shared.stop);
  const shouldStop = (): boolean => Atomics.load(stop, 0) === 1;
  const maxStates = job.maxStates !== undefined ? { maxStates: job.maxStates } : {};
  if (job.kind === 'check' && job.check) {
    parentPort?.postMessage(
      check(policy, { arch, invariants: selected, config: job.config, ...job.check, watch, shouldStop, ...maxStates }),
    );
  } else if (job.explore) {
    const progress = new Float64Array(shared.progress);
    const { workers, ...options } = job.explore;
    // A built-in policy: the search's worker threads find it by name, as this thread did.
    const parallel = workers !== undefined && workers > 1 && !job.file;
    const result = explore(policy, {
      arch,
      invariants: selected,
      config: job.config,
      ...options,
      // The workers check the invariants in this order: which one a step breaks first is what is reported.
      ...(parallel
        ? {
            parallel: {
              workers,
              policy: { policy: job.policy, arch: job.arch, invariants: selected.map((i) => i.name), config: job.config },
            },
          }
        : {}),
      ...maxStates,
      ...(job.file ? { watch } : {}),
      shouldStop,
      onProgress: (depth, states, transitions, peakBytes) => {
        progress[0] = depth;
        progress[1] = states;
        progress[2] = transitions;
        progress[3] = peakBytes; // of the levels completed: what a stopped search's timing line shows
      },
    });
    parentPort?.postMessage(result);
  }
}

/** A job as the main thread sends it: in `workerData` (a worker of its own), or as a message (a pooled worker). */
export type JobData = { worldswitchJob?: WorkerJob; shared?: WorkerShared; worldswitchPool?: boolean };

/** Error codes of bad input (UsageError, CheckPathError, a policy's scope or definition): the main thread reports them as such. */
export const USAGE_CODES: ReadonlySet<unknown> = new Set(['ERR_USAGE', 'ERR_CHECK_PATH', 'ERR_POLICY_SCOPE', 'ERR_POLICY_DEFINITION']);

/** Runs one job and posts its result (or the error that stopped it). */
export function runJob(data: JobData): void {
  if (!data.worldswitchJob || !data.shared) return;
  workerMain(data.worldswitchJob, data.shared).catch((e: unknown) => {
    // Bad input found in the worker (a --path fast-check cannot follow) stays bad input: one line, exit 2.
    const usage = e instanceof Error && USAGE_CODES.has((e as { code?: unknown }).code);
    parentPort?.postMessage({
      workerError: e instanceof Error ? (e.stack ?? e.message) : describeError(e),
      ...(usage ? { usageError: (e as Error).message } : {}),
    });
  });
}
