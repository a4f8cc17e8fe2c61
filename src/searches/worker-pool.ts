import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread from module `entry` with `workerData` and a heap limit. From TypeScript
 * sources (the test suite) the worker loads the entry module through tsx.
 */
export function spawnWorker(entry: string, workerData: unknown, heapMb: number): Worker {
  const data = { workerData, resourceLimits: { maxOldGenerationSizeMb: heapMb }, stdout: false };
  const quoted = JSON.stringify(entry);
  return entry.endsWith('.ts')
    ? new Worker(`import('tsx/esm/api').then((m) => m.tsImport(${quoted}, ${quoted}));`, { ...data, eval: true })
    : new Worker(new URL(entry), data);
}

/** The `workerData` of a pooled worker: it takes jobs as messages, one at a time, until it is ended. */
export const POOL_WORKER_DATA = { worldswitchPool: true } as const;

/**
 * Worker threads kept between jobs: starting one loads every model (about 0.2 s of CPU), which a
 * run over all built-in policies would otherwise pay once per policy and slice. Only built-in
 * policies run in pooled workers; a policy file gets a fresh thread (its module state must not
 * outlive its check). A worker that had to be ended (a hang, a second signal) is not given back.
 */
export class WorkerPool {
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();

  /** Workers start from module `entry` with a heap limit of `heapMb` MiB. */
  constructor(
    readonly entry: string,
    readonly heapMb: number,
  ) {}

  /** An idle worker, or a new one. */
  acquire(): Worker {
    const reused = this.idle.pop();
    if (reused) {
      reused.ref();
      return reused;
    }
    const worker = spawnWorker(this.entry, POOL_WORKER_DATA, this.heapMb);
    this.all.add(worker);
    const forget = (): void => {
      this.all.delete(worker);
      const i = this.idle.indexOf(worker);
      if (i >= 0) this.idle.splice(i, 1);
    };
    worker.on('exit', forget);
    // An error of an idle worker must not throw in the main thread; a leased one's caller listens too.
    worker.on('error', forget);
    return worker;
  }

  /** Gives back a worker that finished its job and reported; an idle worker does not keep the process alive. */
  release(worker: Worker): void {
    if (!this.all.has(worker)) return;
    worker.unref();
    this.idle.push(worker);
  }

  /** Ends every worker of the pool. */
  async close(): Promise<void> {
    const workers = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
