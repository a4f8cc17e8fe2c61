import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { Executor } from '../engine/execute.js';
import { ChunkExpander } from './chunk-expander.js';
import type { Alphabet } from './expand-state.js';
import type { SleepWords } from './sleep-words.js';

/**
 * The parallel breadth-first search, main side: a level-synchronous search whose workers (threads
 * started from `bfs-worker`, each with its own executor, kept across levels) expand chunks of the
 * frontier and answer with candidates; `bfs` merges the answers chunk by chunk in frontier order,
 * so the states, their numbering, the counts and the counterexample are those of one thread. The
 * merge runs in the search's thread between the chunks it expands itself, as soon as the chunks
 * before one are in, so the workers need not wait for it; the states it adds go to a table of the
 * level's own (`bfs`), since the workers read the visited table as of the level's start.
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
  /** Called for each level the workers expand (tests: that the search did go parallel). */
  readonly onParallelLevel?: (depth: number, width: number) => void;
}

/** What a worker needs besides the policy: the search's symmetry and invariant filter. */
export interface WorkerSpec extends PolicyRef {
  readonly symmetry: boolean;
  readonly only?: string;
  /** Partial-order reduction: records carry the successor's sleep set (see RECORD_HEAD). */
  readonly por?: boolean;
}

/**
 * Words of a candidate record before its event: fingerprint hi, lo, frontier index, CPU order, transitions
 * into the chunk; then the event, the count of index/value pairs, and the pairs (none when `countsOnly`).
 * With POR a record then has the transitions pruned in the chunk so far, the successor's sleep set
 * (its length, then its events' words), and a successor met again in the chunk is a record too,
 * with -1 pairs and none given (the merge intersects its sleep set, as one thread does).
 */
export const RECORD_HEAD = 5;

/** Indices into the control array. */
export const GEN = 0;
export const NEXT_CHUNK = 1;
export const ABORT = 2;
/** Transitions made in this level so far (in steps of 1024, for the progress line). */
export const PROGRESS = 3;
/** Joined workers that have finished the level. */
export const LEVEL_DONE = 4;
/** The lowest chunk with a violation this level: later chunks cannot matter and are skipped. */
export const FIRST_VIOLATION = 5;
export const EXIT = 6;
/** The level's generation << JOIN_BITS | workers that joined it (JOIN_CLOSED: no more may join). */
export const JOIN = 7;
export const JOIN_BITS = 10;
export const JOIN_CLOSED = (1 << JOIN_BITS) - 1;
/** Per worker i, at READY + i: 1 once it can take chunks, -1 if it could not start. */
export const READY = 8;
/** The most worker threads (besides the search's own). */
export const MAX_WORKER_THREADS = 256;

/** A level as the workers receive it. */
export interface LevelRequest {
  readonly d: number;
  readonly root: Float64Array;
  readonly frontier: { readonly data: Float64Array; readonly starts: Int32Array };
  readonly width: number;
  readonly seen: { readonly slots: Uint32Array };
  /** The last level: records carry no pairs (its states are counted, never stored or expanded). */
  readonly countsOnly: boolean;
  /** `--shard`: expand only states s with s mod total = index - 1. */
  readonly partition?: { readonly index: number; readonly total: number };
  /** POR: the sleep sets of the frontier's states. */
  readonly sleep?: SleepWords;
}

/** A level request with its chunking. */
export type WorkerMessage = LevelRequest & { readonly gen: number; readonly chunkSize: number; readonly chunks: number };

/** One chunk's answer: candidate records (see RECORD_HEAD), in the order one thread would meet them. */
export interface ChunkResult {
  readonly chunk: number;
  readonly data: Float64Array;
  /** Words of `data` used. */
  readonly length: number;
  /** Transitions the chunk made (up to its violation, if it has one). */
  readonly transitions: number;
  /** POR: transitions the chunk pruned (up to its violation, if it has one). */
  readonly pruned: number;
  /** The chunk's first counting violation: frontier index, event, invariant, transitions up to and including it. */
  readonly violation?: {
    readonly state: number;
    readonly ev: readonly number[];
    readonly invariant: string;
    readonly ordinal: number;
    /** POR: transitions pruned in the chunk up to it. */
    readonly pruned: number;
  };
  /** The chunk ended in an error (a checker crash, a failed allocation or other): rethrown where one thread would have met it. */
  readonly error?: { readonly message: string; readonly kind: 'crash' | 'range' | 'other' };
  /** Stopped early (a stop was asked): the level is incomplete. */
  readonly stopped?: boolean;
  /** With symmetry on, a hook asked for its CPU number: the search must start again without symmetry. */
  readonly cpuNumberRead?: boolean;
}

/**
 * A level's answers not yet handed to `merge` (WorkerPool.run), in frontier order; whether it
 * stopped early; whether `merge` ended it.
 */
export interface BfsLevel {
  readonly chunks: readonly ChunkResult[];
  readonly stopped: boolean;
  readonly cpuNumberRead: boolean;
  readonly ended: boolean;
}

/** Levels narrower than this stay in the search's thread (worker threads are started from here on). */
export const SPAWN_WIDTH = 1000;
/** Chunks per thread and level (more: better balance; fewer: less merging overhead). */
const CHUNKS_PER_THREAD = 16;
const MIN_CHUNK = 32;
/** How long tests (`minWidth`) wait for every worker to start. */
const START_TIMEOUT_MS = 120_000;

/**
 * The threads of one parallel search: the search's own thread and `count - 1` worker threads,
 * started at the first level of `SPAWN_WIDTH` states (a small search never pays for them). A level
 * goes parallel once one worker is ready; workers that start later join at the next level. The
 * search's thread takes chunks too (its code is already optimised; a new thread's is not yet).
 */
export class WorkerPool {
  private readonly control = new Int32Array(new SharedArrayBuffer(4 * (READY + MAX_WORKER_THREADS)));
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private own: ChunkExpander | undefined;
  private onProgress: (transitions: number) => void = () => {};
  private shouldStop: (() => boolean) | undefined;
  private stopped = false;

  /** `x` and `alphabet`: the search thread's executor (reset) and events; `minWidth` (tests): see ParallelOptions. */
  constructor(
    private readonly count: number,
    private readonly spec: WorkerSpec,
    private readonly x: Executor,
    private readonly alphabet: Alphabet,
    private readonly minWidth?: number,
  ) {}

  /** Whether a level of `width` states goes parallel (starting the workers the first time: they join when ready, even mid-level). */
  wants(width: number): boolean {
    if (width < (this.minWidth ?? SPAWN_WIDTH) || this.count < 2) return false;
    if (this.workers.length === 0) this.spawn();
    if (this.minWidth !== undefined) this.awaitAll();
    return true;
  }

  /**
   * Expands a level in this thread and the ready workers; polls `shouldStop` and reports progress
   * (transitions so far in the level). Each chunk's answer is handed to `merge` in chunk order as
   * soon as it and every chunk before it are in, while this thread still takes chunks, so that
   * merging overlaps the workers' expansion; `merge` returning true ends the level (the workers are
   * stopped and their answers dropped). A chunk that stopped early is never handed over.
   */
  run(
    req: LevelRequest,
    merge: (r: ChunkResult) => boolean,
    onProgress: (transitions: number) => void,
    shouldStop?: () => boolean,
  ): BfsLevel {
    const c = this.control;
    const chunkSize = Math.max(MIN_CHUNK, Math.ceil(req.width / (this.count * CHUNKS_PER_THREAD)));
    const chunks = Math.ceil(req.width / chunkSize);
    Atomics.store(c, NEXT_CHUNK, 0);
    Atomics.store(c, ABORT, 0);
    Atomics.store(c, PROGRESS, 0);
    Atomics.store(c, LEVEL_DONE, 0);
    Atomics.store(c, FIRST_VIOLATION, 0x7fffffff);
    this.onProgress = onProgress;
    this.shouldStop = shouldStop;
    this.stopped = false;
    const gen = Atomics.load(c, GEN) + 1;
    const message: WorkerMessage = { ...req, gen, chunkSize, chunks };
    Atomics.store(c, JOIN, gen << JOIN_BITS);
    // Every worker gets the level; one still starting joins it when ready, if chunks are left.
    for (const port of this.ports) port.postMessage(message);
    Atomics.store(c, GEN, gen);
    Atomics.notify(c, GEN);
    const results: (ChunkResult | undefined)[] = [];
    let handed = 0;
    let ended = false;
    const handOver = (): void => {
      this.receive(results);
      for (let r = results[handed]; !ended && r && !r.stopped && !r.cpuNumberRead; r = results[handed]) {
        handed++;
        if (merge(r)) {
          ended = true;
          Atomics.store(c, ABORT, 1);
        }
      }
    };
    this.own ??= new ChunkExpander(this.x, this.alphabet, this.spec, c, () => this.poll());
    for (let k = Atomics.add(c, NEXT_CHUNK, 1); k < chunks && !ended; k = Atomics.add(c, NEXT_CHUNK, 1)) {
      const r = this.own.take(message, k);
      if (r) results[k] = r;
      handOver();
    }
    // Every chunk is taken: close the level to joiners once those that joined are done.
    for (;;) {
      const joined = Atomics.load(c, JOIN) & JOIN_CLOSED;
      const done = Atomics.load(c, LEVEL_DONE);
      if (
        done === joined &&
        Atomics.compareExchange(c, JOIN, (gen << JOIN_BITS) | joined, (gen << JOIN_BITS) | JOIN_CLOSED) === ((gen << JOIN_BITS) | joined)
      )
        break;
      if (done === joined) continue;
      Atomics.wait(c, LEVEL_DONE, done, 5);
      this.poll();
      handOver();
    }
    handOver();
    if (ended) return { chunks: [], stopped: false, cpuNumberRead: false, ended: true };
    const last = Math.min(chunks, Atomics.load(this.control, FIRST_VIOLATION) + 1);
    for (let i = handed; i < last; i++) if (!results[i]) throw new Error(`parallel explore: chunk ${i} of ${chunks} has no answer`);
    const rest = results.slice(handed, last) as ChunkResult[];
    const cpuNumberRead = rest.some((r) => r.cpuNumberRead);
    return { chunks: rest, stopped: this.stopped || cpuNumberRead || rest.some((r) => r.stopped), cpuNumberRead, ended: false };
  }

  /** Ends the workers. */
  close(): void {
    Atomics.store(this.control, EXIT, 1);
    Atomics.add(this.control, GEN, 1);
    Atomics.notify(this.control, GEN);
    for (const port of this.ports) port.close();
    for (const w of this.workers) void w.terminate();
  }

  /** Progress for the status line, and a stop request passed on to every thread. */
  private poll(): void {
    this.onProgress(Atomics.load(this.control, PROGRESS));
    if (!this.stopped && this.shouldStop?.()) {
      this.stopped = true;
      Atomics.store(this.control, ABORT, 1);
    }
  }

  /** Waits until every worker has started or failed to (tests: every level parallel, whatever the machine's load). */
  private awaitAll(): void {
    const until = performance.now() + START_TIMEOUT_MS;
    for (let i = 0; i < this.workers.length && performance.now() < until; i++)
      while (Atomics.load(this.control, READY + i) === 0 && performance.now() < until) Atomics.wait(this.control, READY + i, 0, 50);
  }

  /** Puts the workers' answers that have arrived into `results`, by chunk. */
  private receive(results: (ChunkResult | undefined)[]): void {
    for (const port of this.ports)
      for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
        const r = m.message as ChunkResult;
        results[r.chunk] = r;
      }
  }

  private spawn(): void {
    const here = import.meta.url;
    const threads = Math.min(this.count - 1, MAX_WORKER_THREADS);
    for (let index = 0; index < threads; index++) {
      const { port1, port2 } = new MessageChannel();
      const data = { workerData: { bfsWorker: { spec: this.spec, control: this.control, index, port: port2 } }, transferList: [port2] };
      // Run from TypeScript sources (the test suite), the worker loads its module through tsx.
      const entry = JSON.stringify(new URL('./bfs-worker.ts', here).href);
      const worker = here.endsWith('.ts')
        ? new Worker(`import('tsx/esm/api').then((m) => m.tsImport(${entry}, ${entry}));`, { ...data, eval: true })
        : new Worker(new URL('./bfs-worker.js', here), data);
      // A worker that fails to load never says it is ready: the other threads take its chunks.
      worker.on('error', () => {});
      worker.unref();
      this.workers.push(worker);
      this.ports.push(port1);
    }
  }
}
