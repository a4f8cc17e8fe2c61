import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';

/**
 * The parallel breadth-first search, main side: a level-synchronous search whose workers (threads
 * started from `bfs-worker`, each with its own executor, kept across levels) expand chunks of the
 * frontier and answer with candidates; `bfs` merges the answers chunk by chunk in frontier order,
 * so the states, their numbering, the counts and the counterexample are those of one thread.
 *
 * The protocol is synchronous on both sides (the search itself is synchronous): the level's
 * frontier and the visited table (as of the level's start, not written during it) are shared
 * memory; requests and answers go through MessagePorts read with `receiveMessageOnPort`, and
 * `Atomics.wait`/`notify` on a small control array wake each side.
 */

/** How a worker finds its policy: a built-in one by name and architecture, its invariants by name, the model options. */
export interface PolicyRef {
  readonly policy: string;
  readonly arch: string;
  readonly invariants: readonly string[];
  readonly config: Readonly<Record<string, number>>;
}

/** A parallel search: how many workers, how they find the policy, and (tests) the narrowest level they take. */
export interface ParallelOptions {
  readonly workers: number;
  readonly policy: PolicyRef;
  /** Levels narrower than this stay in one thread (default SPAWN_WIDTH); tests set 1 to make every level parallel. */
  readonly minWidth?: number;
}

/** What a worker needs besides the policy: the search's symmetry and invariant filter. */
export interface WorkerSpec extends PolicyRef {
  readonly symmetry: boolean;
  readonly only?: string;
}

/** Words of a candidate record before its event: fingerprint hi, lo, frontier index, CPU order, transitions into the chunk. */
export const RECORD_HEAD = 5;

/** Indices into the control array. */
export const GEN = 0;
export const NEXT_CHUNK = 1;
export const ABORT = 2;
export const READY = 3;
/** Transitions made in this level so far (in steps of 1024, for the progress line). */
export const PROGRESS = 4;
export const LEVEL_DONE = 5;
export const FAILED = 6;
/** The lowest chunk with a violation this level: later chunks cannot matter and are skipped. */
export const FIRST_VIOLATION = 7;
const CONTROL_WORDS = 8;

/** A level as the workers receive it. */
export interface LevelRequest {
  readonly d: number;
  readonly root: Float64Array;
  readonly frontier: { readonly data: Float64Array; readonly starts: Int32Array };
  readonly width: number;
  readonly seen: { readonly hi: Uint32Array; readonly lo: Uint32Array };
  /** `--shard`: expand only states s with s mod total = index - 1. */
  readonly partition?: { readonly index: number; readonly total: number };
}

/** A level request with its chunking, or the request to end. */
export type WorkerMessage = (LevelRequest & { readonly chunkSize: number; readonly chunks: number }) | { readonly exit: true };

/** One chunk's answer: candidate records (see RECORD_HEAD), in the order one thread would meet them. */
export interface ChunkResult {
  readonly chunk: number;
  readonly data: Float64Array;
  /** Words of `data` used. */
  readonly length: number;
  /** Transitions the chunk made (up to its violation, if it has one). */
  readonly transitions: number;
  /** The chunk's first counting violation: frontier index, event, invariant, transitions up to and including it. */
  readonly violation?: { readonly state: number; readonly ev: readonly number[]; readonly invariant: string; readonly ordinal: number };
  /** The chunk ended in an error (a crash of the checker: rethrown where one thread would have met it). */
  readonly error?: { readonly message: string; readonly crash: boolean };
  /** Stopped early (a stop was asked): the level is incomplete. */
  readonly stopped?: boolean;
  /** With symmetry on, a hook asked for its CPU number: the search must start again without symmetry. */
  readonly cpuNumberRead?: boolean;
}

/** A level's answers, in frontier order, and whether it stopped early. */
export interface BfsLevel {
  readonly chunks: readonly ChunkResult[];
  readonly stopped: boolean;
  readonly cpuNumberRead: boolean;
}

/** Levels narrower than this stay in the calling thread (workers are started from here on). */
export const SPAWN_WIDTH = 1000;
/** Levels at least this wide wait for the workers to start instead of going on alone. */
const WAIT_WIDTH = 4000;
/** Chunks per worker and level (more: better balance; fewer: less merging overhead). */
const CHUNKS_PER_WORKER = 16;
const MIN_CHUNK = 32;
/** How long to wait for workers to start before the search goes on in one thread. */
const START_TIMEOUT_MS = 60_000;

/**
 * The workers of one parallel search. Started lazily at the first level of `SPAWN_WIDTH` states (a
 * small search never pays for them) and used once all are ready; `close` ends them.
 */
export class WorkerPool {
  private readonly control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_WORDS));
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];

  /** `minWidth` (tests): the narrowest level that goes to the workers, waiting for them to start (default SPAWN_WIDTH). */
  constructor(
    private readonly count: number,
    private readonly spec: WorkerSpec,
    private readonly minWidth?: number,
  ) {}

  /** Whether a level of `width` states goes to the workers (starting them, or waiting for them, as its width says). */
  wants(width: number): boolean {
    const c = this.control;
    if (width < (this.minWidth ?? SPAWN_WIDTH) || Atomics.load(c, FAILED) !== 0) return false;
    if (this.workers.length === 0) this.spawn();
    if (Atomics.load(c, READY) < this.count && width >= (this.minWidth ?? WAIT_WIDTH)) {
      const until = performance.now() + START_TIMEOUT_MS;
      for (let r = Atomics.load(c, READY); r < this.count && Atomics.load(c, FAILED) === 0; r = Atomics.load(c, READY)) {
        if (performance.now() > until) Atomics.store(c, FAILED, 1);
        else Atomics.wait(c, READY, r, 50);
      }
    }
    return Atomics.load(c, READY) >= this.count && Atomics.load(c, FAILED) === 0;
  }

  /** Expands a level in the workers; polls `shouldStop` and reports progress (transitions so far in the level) while they work. */
  run(req: LevelRequest, onProgress: (transitions: number) => void, shouldStop?: () => boolean): BfsLevel {
    const c = this.control;
    const chunkSize = Math.max(MIN_CHUNK, Math.ceil(req.width / (this.count * CHUNKS_PER_WORKER)));
    const chunks = Math.ceil(req.width / chunkSize);
    Atomics.store(c, NEXT_CHUNK, 0);
    Atomics.store(c, ABORT, 0);
    Atomics.store(c, PROGRESS, 0);
    Atomics.store(c, LEVEL_DONE, 0);
    Atomics.store(c, FIRST_VIOLATION, 0x7fffffff);
    const message: WorkerMessage = { ...req, chunkSize, chunks };
    for (const port of this.ports) port.postMessage(message);
    Atomics.add(c, GEN, 1);
    Atomics.notify(c, GEN);
    let stopped = false;
    for (let done = Atomics.load(c, LEVEL_DONE); done < this.count; done = Atomics.load(c, LEVEL_DONE)) {
      Atomics.wait(c, LEVEL_DONE, done, 100);
      onProgress(Atomics.load(c, PROGRESS));
      if (!stopped && shouldStop?.()) {
        stopped = true;
        Atomics.store(c, ABORT, 1);
      }
    }
    const results = this.collect(chunks);
    const cpuNumberRead = results.some((r) => r?.cpuNumberRead);
    stopped ||= cpuNumberRead || results.some((r) => r?.stopped);
    return { chunks: results, stopped, cpuNumberRead };
  }

  /** Ends the workers. */
  close(): void {
    for (const port of this.ports) {
      port.postMessage({ exit: true } satisfies WorkerMessage);
      port.close();
    }
    Atomics.add(this.control, GEN, 1);
    Atomics.notify(this.control, GEN);
    for (const w of this.workers) void w.terminate();
  }

  /** The answers of a level, by chunk; those after the first violating chunk may be absent (skipped). */
  private collect(chunks: number): ChunkResult[] {
    const results: ChunkResult[] = [];
    for (const port of this.ports)
      for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
        const r = m.message as ChunkResult;
        results[r.chunk] = r;
      }
    const last = Math.min(chunks, Atomics.load(this.control, FIRST_VIOLATION) + 1);
    for (let i = 0; i < last; i++) if (!results[i]) throw new Error(`parallel explore: chunk ${i} of ${chunks} has no answer`);
    return results.slice(0, last);
  }

  private spawn(): void {
    const here = import.meta.url;
    for (let i = 0; i < this.count; i++) {
      const { port1, port2 } = new MessageChannel();
      const data = { workerData: { bfsWorker: { spec: this.spec, control: this.control, port: port2 } }, transferList: [port2] };
      // Run from TypeScript sources (the test suite), the worker loads its module through tsx.
      const entry = JSON.stringify(new URL('./bfs-worker.ts', here).href);
      const worker = here.endsWith('.ts')
        ? new Worker(`import('tsx/esm/api').then((m) => m.tsImport(${entry}, ${entry}));`, { ...data, eval: true })
        : new Worker(new URL('./bfs-worker.js', here), data);
      worker.unref();
      this.workers.push(worker);
      this.ports.push(port1);
    }
  }
}
