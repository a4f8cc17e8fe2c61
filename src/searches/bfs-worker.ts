import { type MessagePort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { architectures, policies } from '../../models/catalog.js';
import { invariantsFor } from '../../properties/suites.js';
import type { Executor } from '../engine/execute.js';
import { ChunkExpander } from './chunk-expander.js';
import { fullAlphabet, makeExploreExecutor } from './explore.js';
import {
  EXIT,
  GEN,
  JOIN,
  JOIN_BITS,
  JOIN_CLOSED,
  LEVEL_DONE,
  NEXT_CHUNK,
  READY,
  type WorkerMessage,
  type WorkerSpec,
} from './parallel-bfs.js';

/**
 * A worker thread of the parallel breadth-first search (see `parallel-bfs`): builds its executor
 * once, says it is ready, then joins each level that still has chunks left, claims chunks of the frontier
 * and answers each with a `ChunkExpander` result, until told to exit.
 */

/** The executor for the worker's policy, found as the search's thread found it, with its world reset. */
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
  const x = makeExploreExecutor(policy, arch, invariants, spec.config);
  x.reset();
  return x;
}

/** Joins level `gen` unless the search's thread has closed it (or moved on): whether it joined. */
function join(control: Int32Array, gen: number): boolean {
  for (;;) {
    const v = Atomics.load(control, JOIN);
    if (v >> JOIN_BITS !== gen || (v & JOIN_CLOSED) === JOIN_CLOSED) return false;
    if (Atomics.compareExchange(control, JOIN, v, v + 1) === v) return true;
  }
}

/** Serves the levels this worker (number `index`) is enrolled in until asked to exit. */
function serve(spec: WorkerSpec, control: Int32Array, index: number, port: MessagePort): void {
  let chunks: ChunkExpander;
  try {
    chunks = new ChunkExpander(executorFor(spec), fullAlphabet(), spec, control);
  } catch {
    // Never enrolled: the search's thread and the other workers take the chunks.
    Atomics.store(control, READY + index, -1);
    port.close();
    return;
  }
  Atomics.store(control, READY + index, 1);
  let req: WorkerMessage | undefined;
  for (let gen = 0; ; ) {
    Atomics.wait(control, GEN, gen);
    gen = Atomics.load(control, GEN);
    if (Atomics.load(control, EXIT) !== 0) break;
    // Levels that ended while this worker was starting are skipped: only the newest message counts.
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) req = m.message as WorkerMessage;
    if (req?.gen !== gen || !join(control, gen)) continue;
    for (let c = Atomics.add(control, NEXT_CHUNK, 1); c < req.chunks; c = Atomics.add(control, NEXT_CHUNK, 1)) {
      const r = chunks.take(req, c);
      if (r) port.postMessage(r, [r.data.buffer as ArrayBuffer]);
    }
    Atomics.add(control, LEVEL_DONE, 1);
    Atomics.notify(control, LEVEL_DONE);
  }
  port.close();
}

const boot = (workerData as { bfsWorker?: { spec: WorkerSpec; control: Int32Array; index: number; port: MessagePort } } | null)?.bfsWorker;
if (boot) serve(boot.spec, boot.control, boot.index, boot.port);
