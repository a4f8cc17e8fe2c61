import { type MessagePort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { architectures, policies } from '../models/catalog.js';
import { invariantsFor } from '../properties/suites.js';
import { unpackState } from './bfs.js';
import { CheckerCrash, EVENT_WIDTH, type Executor } from './execute.js';
import { EXPAND_STOPPED, EXPAND_VIOLATED, Expander, type ExpandSink } from './expand-state.js';
import { fullAlphabet, makeExploreExecutor } from './explore.js';
import {
  ABORT,
  type ChunkResult,
  FAILED,
  FIRST_VIOLATION,
  GEN,
  LEVEL_DONE,
  type LevelRequest,
  NEXT_CHUNK,
  PROGRESS,
  READY,
  RECORD_HEAD,
  type WorkerMessage,
  type WorkerSpec,
} from './parallel-bfs.js';
import { StateSet } from './state-set.js';
import { WorldCodec } from './world-codec.js';

/**
 * A worker of the parallel breadth-first search (see `parallel-bfs`): builds its executor once,
 * then, level after level, claims chunks of the frontier, expands each state with the shared
 * `Expander`, and answers with the successors not in the visited table as of the level's start
 * (nor earlier in the chunk), in the order one thread would meet them.
 */
class ChunkExpander {
  private readonly codec: WorldCodec;
  private readonly expander: Expander;
  private readonly current: Float64Array;
  private readonly local = new StateSet(1 << 12);
  private readonly sink: ExpandSink;
  // The chunk under way.
  private global = new StateSet(1);
  private root: Float64Array = new Float64Array(0);
  private out = new Float64Array(0);
  private used = 0;
  private transitions = 0;
  private state = 0;
  private violation: ChunkResult['violation'];

  constructor(
    private readonly x: Executor,
    private readonly spec: WorkerSpec,
    private readonly control: Int32Array,
  ) {
    this.codec = new WorldCodec(x.model, x.world.shape);
    x.reset();
    this.expander = new Expander(x, this.codec, fullAlphabet(), spec.symmetry, spec.only);
    this.current = new Float64Array(this.codec.width);
    this.sink = {
      transition: () => {
        if ((++this.transitions & 1023) !== 0) return false;
        Atomics.add(this.control, PROGRESS, 1024);
        if (this.spec.symmetry && this.x.cpuNumberRead) Atomics.store(this.control, ABORT, 1);
        return Atomics.load(this.control, ABORT) !== 0;
      },
      violation: (ev, invariant) => {
        this.violation = { state: this.state, ev: Array.from(ev), invariant, ordinal: this.transitions };
        return false;
      },
      successor: (ev, perm, fp) => this.successor(ev, perm, fp),
    };
  }

  /** Expands chunk `chunk` of the level. */
  expand(req: LevelRequest & { chunkSize: number }, chunk: number): ChunkResult {
    this.global = StateSet.view(req.seen);
    this.root = req.root;
    this.local.clear();
    this.out = new Float64Array(Math.max(4096, req.chunkSize * 64));
    this.used = 0;
    this.transitions = 0;
    this.violation = undefined;
    const { data, starts } = req.frontier;
    const p = req.partition;
    const end = Math.min(req.width, (chunk + 1) * req.chunkSize);
    let stopped = false;
    for (let s = chunk * req.chunkSize; s < end; s++) {
      if (p && s % p.total !== p.index - 1) continue;
      this.state = s;
      unpackState(data, starts, s, req.root, this.current, this.codec);
      const r = this.expander.expand(this.current, req.d, this.sink);
      if (r === EXPAND_VIOLATED) break;
      if (r === EXPAND_STOPPED) {
        stopped = true;
        break;
      }
    }
    const cpuNumberRead = this.spec.symmetry && this.x.cpuNumberRead;
    return {
      chunk,
      data: this.out,
      length: this.used,
      transitions: this.transitions,
      ...(this.violation ? { violation: this.violation } : {}),
      ...(stopped || cpuNumberRead ? { stopped: true } : {}),
      ...(cpuNumberRead ? { cpuNumberRead } : {}),
    };
  }

  /** Records a successor new to the level's start and to this chunk (the executor's world holds it). */
  private successor(ev: Float64Array, perm: number, fp: Uint32Array): boolean {
    const hi = fp[0] as number;
    const lo = fp[1] as number;
    if (this.global.has(hi, lo) || !this.local.add(hi, lo)) return false;
    const need = this.used + RECORD_HEAD + EVENT_WIDTH + 1 + 2 * this.root.length;
    if (need > this.out.length) {
      const bigger = new Float64Array(Math.max(need, this.out.length * 2));
      bigger.set(this.out.subarray(0, this.used));
      this.out = bigger;
    }
    const o = this.used;
    const out = this.out;
    out[o] = hi;
    out[o + 1] = lo;
    out[o + 2] = this.state;
    out[o + 3] = perm;
    out[o + 4] = this.transitions;
    out.set(ev, o + RECORD_HEAD);
    const at = o + RECORD_HEAD + EVENT_WIDTH + 1;
    const end = this.codec.encodeDifferences(this.x.world, perm, this.root, out, at);
    out[at - 1] = (end - at) / 2;
    this.used = end;
    return false;
  }
}

/** The executor for the worker's policy, found as the search's thread found it. */
function executorFor(spec: WorkerSpec): Executor {
  const policy = policies.find((p) => p.name === spec.policy && p.arch === spec.arch);
  const arch = architectures.find((a) => a.id === spec.arch);
  if (!policy || !arch) throw new Error(`bfs worker cannot find ${spec.arch}/${spec.policy}`);
  const all = invariantsFor(arch.id);
  const invariants = spec.invariants.map((n) => {
    const inv = all.find((i) => i.name === n);
    if (!inv) throw new Error(`bfs worker cannot find invariant ${n}`);
    return inv;
  });
  return makeExploreExecutor(policy, arch, invariants, spec.config);
}

/** Serves levels until asked to end. */
function serve(spec: WorkerSpec, control: Int32Array, port: MessagePort): void {
  let worker: ChunkExpander;
  try {
    worker = new ChunkExpander(executorFor(spec), spec, control);
  } catch {
    Atomics.store(control, FAILED, 1);
    Atomics.notify(control, READY);
    port.close();
    return;
  }
  Atomics.add(control, READY, 1);
  Atomics.notify(control, READY);
  for (let gen = 0; ; ) {
    Atomics.wait(control, GEN, gen);
    gen = Atomics.load(control, GEN);
    let m = receiveMessageOnPort(port);
    for (let tries = 0; !m && tries < 1000; tries++) {
      Atomics.wait(control, GEN, gen, 1);
      m = receiveMessageOnPort(port);
    }
    const req = m?.message as WorkerMessage | undefined;
    if (!req || 'exit' in req) break;
    for (let c = Atomics.add(control, NEXT_CHUNK, 1); c < req.chunks; c = Atomics.add(control, NEXT_CHUNK, 1)) {
      if (c > Atomics.load(control, FIRST_VIOLATION)) continue;
      const r = expandOrFail(worker, req, c);
      if (r.violation || r.error) lowerFirstViolation(control, c);
      port.postMessage(r, [r.data.buffer as ArrayBuffer]);
    }
    Atomics.add(control, LEVEL_DONE, 1);
    Atomics.notify(control, LEVEL_DONE);
  }
  port.close();
}

/** Expands a chunk; an exception becomes the chunk's error, rethrown where one thread would have met it. */
function expandOrFail(worker: ChunkExpander, req: LevelRequest & { chunkSize: number }, c: number): ChunkResult {
  try {
    return worker.expand(req, c);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return { chunk: c, data: new Float64Array(0), length: 0, transitions: 0, error: { message, crash: e instanceof CheckerCrash } };
  }
}

/** Makes `c` the lowest chunk with a violation (or an error) if it is lower than the one recorded. */
function lowerFirstViolation(control: Int32Array, c: number): void {
  for (let seen = Atomics.load(control, FIRST_VIOLATION); c < seen; ) {
    const was = Atomics.compareExchange(control, FIRST_VIOLATION, seen, c);
    if (was === seen) return;
    seen = was;
  }
}

const boot = (workerData as { bfsWorker?: { spec: WorkerSpec; control: Int32Array; port: MessagePort } } | null)?.bfsWorker;
if (boot) serve(boot.spec, boot.control, boot.port);
