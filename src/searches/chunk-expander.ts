import { CheckerCrash, EVENT_WIDTH, type Executor } from '../engine/execute.js';
import { EventNumbers } from './event-writes.js';
import { type Alphabet, EXPAND_STOPPED, EXPAND_VIOLATED, Expander, type ExpandSink } from './expand-state.js';
import { ABORT, type ChunkResult, FIRST_VIOLATION, type LevelRequest, PROGRESS, RECORD_HEAD, type WorkerSpec } from './parallel-bfs.js';
import { ShippedSleepSets, type SleepWords } from './sleep-words.js';
import { unpackState } from './sparse-frontier.js';
import { StateSet } from './state-set.js';
import { WorldCodec } from './world-codec.js';

/**
 * Expands chunks of a parallel level (see `parallel-bfs`), in a worker or in the search's own
 * thread: each state with the shared `Expander`, answering with the successors not in the visited
 * table as of the level's start (nor earlier in the chunk), in the order one thread would meet them.
 */
export class ChunkExpander {
  private readonly codec: WorldCodec;
  private readonly expander: Expander;
  private readonly current: Float64Array;
  private readonly local = new StateSet(1 << 12);
  private readonly sink: ExpandSink;
  // The chunk under way.
  private global = new StateSet(1);
  private root: Float64Array = new Float64Array(0);
  private countsOnly = false;
  private out = new Float64Array(0);
  private used = 0;
  private transitions = 0;
  private state = 0;
  private violation: ChunkResult['violation'];
  /** POR: this thread's sleep sets (its own event numbers), and what it had pruned when the chunk began. */
  private readonly por: ShippedSleepSets | undefined;
  private prunedBefore = 0;
  private adopted: SleepWords | undefined;

  /** `x` holds a reset world; `poll` is called every 1024 transitions (the search's thread: progress and stop requests). */
  constructor(
    private readonly x: Executor,
    alphabet: Alphabet,
    private readonly spec: WorkerSpec,
    private readonly control: Int32Array,
    private readonly poll?: () => void,
  ) {
    this.codec = new WorldCodec(x.model, x.world.shape);
    this.expander = new Expander(x, this.codec, alphabet, spec.symmetry, spec.only);
    this.current = new Float64Array(this.codec.width);
    this.por = spec.por ? new ShippedSleepSets(x, new EventNumbers(), false, this.codec.perms) : undefined;
    this.expander.por = this.por;
    this.sink = {
      transition: () => {
        if ((++this.transitions & 1023) !== 0) return false;
        Atomics.add(this.control, PROGRESS, 1024);
        this.poll?.();
        if (this.spec.symmetry && this.x.cpuNumberRead) Atomics.store(this.control, ABORT, 1);
        return Atomics.load(this.control, ABORT) !== 0;
      },
      violation: (ev, invariant) => {
        this.violation = { state: this.state, ev: Array.from(ev), invariant, ordinal: this.transitions, pruned: this.pruned };
        return false;
      },
      successor: (ev, perm, fp, e) => this.successor(ev, perm, fp, e),
    };
  }

  /**
   * Expands chunk `chunk` of the level, unless a lower chunk already ended the level (undefined);
   * an exception becomes the chunk's error, rethrown where one thread would have met it.
   */
  take(req: LevelRequest & { chunkSize: number }, chunk: number): ChunkResult | undefined {
    if (chunk > Atomics.load(this.control, FIRST_VIOLATION)) return undefined;
    let r: ChunkResult;
    try {
      r = this.expand(req, chunk);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      r = {
        chunk,
        data: new Float64Array(0),
        length: 0,
        transitions: 0,
        pruned: 0,
        error: { message, kind: e instanceof CheckerCrash ? 'crash' : e instanceof RangeError ? 'range' : 'other' },
      };
    }
    if (r.violation || r.error) lowerFirstViolation(this.control, chunk);
    return r;
  }

  /** Expands chunk `chunk` of the level. */
  private expand(req: LevelRequest & { chunkSize: number }, chunk: number): ChunkResult {
    this.global = StateSet.view(req.seen);
    this.root = req.root;
    this.countsOnly = req.countsOnly;
    this.local.clear();
    this.out = new Float64Array(Math.max(4096, req.chunkSize * 64));
    this.used = 0;
    this.transitions = 0;
    this.violation = undefined;
    if (this.por) {
      if (req.sleep && req.sleep !== this.adopted) this.por.adopt(req.sleep);
      this.adopted = req.sleep;
      this.por.storing = !req.countsOnly;
      this.prunedBefore = this.por.pruned;
    }
    const { data, starts } = req.frontier;
    const p = req.partition;
    const end = Math.min(req.width, (chunk + 1) * req.chunkSize);
    let stopped = false;
    for (let s = chunk * req.chunkSize; s < end; s++) {
      if (p && s % p.total !== p.index - 1) continue;
      this.state = s;
      unpackState(data, starts, s, req.root, this.current, this.codec);
      const r = this.expander.expand(this.current, req.d, this.sink, s);
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
      pruned: this.pruned,
      ...(this.violation ? { violation: this.violation } : {}),
      ...(stopped || cpuNumberRead ? { stopped: true } : {}),
      ...(cpuNumberRead ? { cpuNumberRead } : {}),
    };
  }

  /** Transitions pruned in this chunk so far. */
  private get pruned(): number {
    return this.por ? this.por.pruned - this.prunedBefore : 0;
  }

  /**
   * Records a successor new to the level's start and to this chunk (the executor's world holds
   * it); with POR, one met again in the chunk too (no pairs: the merge intersects its sleep set).
   */
  private successor(ev: Float64Array, perm: number, fp: Uint32Array, e: number): boolean {
    const hi = fp[0] as number;
    const lo = fp[1] as number;
    if (this.global.has(hi, lo)) return false;
    const again = !this.local.add(hi, lo);
    if (again && (!this.por || this.countsOnly)) return false;
    const sleep = this.por ? 1 + this.por.shipBound(e) : 0;
    const need = this.used + RECORD_HEAD + EVENT_WIDTH + 1 + 2 * this.root.length + sleep;
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
    let end = at;
    // The last level's states are counted, never stored: no pairs.
    if (again) out[at - 1] = -1;
    else if (this.countsOnly) out[at - 1] = 0;
    else {
      end = this.codec.encodeDifferences(this.x.world, perm, this.root, out, at);
      out[at - 1] = (end - at) / 2;
    }
    if (this.por) {
      out[end] = this.pruned;
      end = this.por.ship(e, perm, out, end + 1);
    }
    this.used = end;
    return false;
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
