/**
 * Data parallelism for the fused-kernel negative-sampling step, over worker threads sharing the
 * tables (SharedArrayBuffers), with results bit-identical to the one-thread step for any thread count:
 * - scores: split by triples (each triple's score is one thread's sum, as before);
 * - backward: split by coordinates (`TripleKernel.backwardSlice`): every thread walks all triples in
 *   batch order over its coordinates, so each gradient element receives the same float additions in
 *   the same order as in the one-thread step;
 * - optimiser step and entity constraint: split by touched rows (each row's update reads only its
 *   own state and gradient).
 * Sampling, the loss and the row-to-slot map stay in the calling thread. No tfjs here: the workers
 * (ns_worker.ts) load only this module and the scorer's kernel module (`Scorer.workerKernel`).
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { LockstepPool } from '../lockstep_pool';
import { applyRowRange, type SharedOptimizerState, type SparseOptimizer } from '../optim';
import type { KernelRecipe, Scorer, TripleKernel } from '../scorer';
import type { KgTables } from './model';

/** Compiled worker entry next to this module (dist/src/train/ns_worker.js). */
export const NS_WORKER_FILE = path.join(__dirname, 'ns_worker.js');

const SCORE = 0;
const BACKWARD = 1;
const APPLY = 2;
/** Triples per score claim and rows per apply claim: small enough to balance two busy cores. */
const SCORE_CLAIM = 128;
const APPLY_CLAIM = 64;

/** Per-batch arrays every thread reads or writes, all on SharedArrayBuffers. */
export interface BatchBuffers {
  /** [3 * capacity] positives then their negatives, flat (h, r, t). */
  triples: Int32Array;
  /** [capacity] float64 kernel scores. */
  scores: Float64Array;
  /** [capacity] d loss / d score (float32, as the loss writes it), same order. */
  scoreGrads: Float32Array;
  /** [capacity] triples with a nonzero score gradient, in batch order. */
  active: Int32Array;
  /** [3 * capacity] per active triple: gradient offsets of h and t (in gradE) and r (in gradR). */
  offsets: Int32Array;
  /** Touched entity / relation rows by slot, and their gradients [slots * width]. */
  rowsE: Int32Array;
  gradE: Float32Array;
  rowsR: Int32Array;
  gradR: Float32Array;
  /** [triples, active, entity slots, relation slots, batch number] of the current batch. */
  counts: Int32Array;
  /** [entity step scalar, relation step scalar] (see SparseOptimizer.beginRowStep). */
  stepScalars: Float64Array;
}

/** What a worker thread is configured with (posted; typed arrays share their memory). */
export interface WorkerSetup {
  recipe: KernelRecipe;
  entities: Float32Array;
  relations: Float32Array;
  entityWidth: number;
  relationWidth: number;
  coordinates: number;
  blockSize: number;
  optE: SharedOptimizerState;
  optR: SharedOptimizerState;
  buffers: BatchBuffers;
}

type Constraint = (table: Float32Array, rows: Int32Array, count: number) => void;

/** One thread's share of a phase: the same code runs in the caller and in every worker. */
export class BatchWork {
  /** Batch number whose tables this thread's kernel has (TripleKernel.beginBatch). */
  private tablesOf = -1;

  constructor(private readonly kernel: TripleKernel, private readonly constrain: Constraint | undefined, private readonly s: WorkerSetup) {}

  work(phase: number, from: number, to: number): void {
    if (phase === SCORE) this.score(from, to);
    else if (phase === BACKWARD) for (let b = from; b < to; b++) this.backward(b);
    else if (phase === APPLY) this.apply(from, to);
    else throw new Error(`unknown phase ${phase}`);
  }

  /** A kernel with its own copy of the tables takes them once per batch, in whichever phase this thread first works. */
  private tablesForBatch(): void {
    const batch = this.s.buffers.counts[4];
    if (this.tablesOf === batch || !this.kernel.beginBatch) return;
    this.kernel.beginBatch(this.s.entities, this.s.relations);
    this.tablesOf = batch;
  }

  private score(from: number, to: number): void {
    const { entities: E, relations: R, entityWidth: We, relationWidth: Wr } = this.s;
    const { triples, scores } = this.s.buffers;
    const kernel = this.kernel;
    this.tablesForBatch();
    for (let i = from; i < to; i++) scores[i] = kernel.score(E, triples[3 * i] * We, R, triples[3 * i + 1] * Wr, triples[3 * i + 2] * We);
  }

  /** Coordinates of block b over every active triple, in batch order. */
  private backward(b: number): void {
    const { entities: E, relations: R, entityWidth: We, relationWidth: Wr, blockSize, coordinates } = this.s;
    const { triples, scores, scoreGrads, active, offsets, gradE, gradR, counts } = this.s.buffers;
    const k0 = b * blockSize;
    const k1 = Math.min(coordinates, k0 + blockSize);
    const kernel = this.kernel;
    const n = counts[1];
    this.tablesForBatch();
    for (let a = 0; a < n; a++) {
      const i = active[a];
      kernel.backwardSlice!(
        E, triples[3 * i] * We, R, triples[3 * i + 1] * Wr, triples[3 * i + 2] * We, scoreGrads[i],
        gradE, offsets[3 * a], offsets[3 * a + 1], gradR, offsets[3 * a + 2], k0, k1, scores[i],
      );
    }
    kernel.endBackward?.(gradE, counts[2], gradR, counts[3], k0, k1);
  }

  /** Optimiser step (and constraint) of slots [from, to) of entities then relations; zeroes their gradients for the next batch. */
  private apply(from: number, to: number): void {
    const { entities: E, relations: R, entityWidth: We, relationWidth: Wr, optE, optR } = this.s;
    const { rowsE, gradE, rowsR, gradR, counts, stepScalars } = this.s.buffers;
    const nE = counts[2];
    const a = Math.min(from, nE);
    const b = Math.min(to, nE);
    if (b > a) {
      applyRowRange(optE, stepScalars[0], E, We, rowsE, a, b, gradE);
      this.constrain?.(E, rowsE.subarray(a, b), b - a);
      gradE.fill(0, a * We, b * We);
    }
    const c = Math.max(from, nE) - nE;
    const d = to - nE;
    if (d > c) {
      applyRowRange(optR, stepScalars[1], R, Wr, rowsR, c, d, gradR);
      gradR.fill(0, c * Wr, d * Wr);
    }
  }
}

/** Row-to-slot map of one table for a batch (the caller's side): slots in first-touch order. */
export class SlotMap {
  private readonly slotOf: Int32Array;
  count = 0;

  constructor(numRows: number, private rowIds: Int32Array, private buf: Float32Array) {
    this.slotOf = new Int32Array(numRows).fill(-1);
  }

  /** The gradients by slot (zero for a slot when it is first handed out). */
  get grads(): Float32Array {
    return this.buf;
  }

  /** Slot of `row`, allocated on its first touch since the last reset. */
  slot(row: number): number {
    const s = this.slotOf[row];
    if (s >= 0) return s;
    if (!(row >= 0 && row < this.slotOf.length)) throw new Error(`row id ${row} outside [0, ${this.slotOf.length})`);
    const fresh = this.count++;
    this.slotOf[row] = fresh;
    this.rowIds[fresh] = row;
    return fresh;
  }

  reset(): void {
    for (let i = 0; i < this.count; i++) this.slotOf[this.rowIds[i]] = -1;
    this.count = 0;
  }

  /** New buffers (larger batches); gradients there start at zero. */
  rebind(rowIds: Int32Array, buf: Float32Array): void {
    this.reset();
    this.rowIds = rowIds;
    this.buf = buf;
  }
}

/** Whether the step can run data-parallel: a kernel with slices and a worker recipe, optimisers that share state. */
export function dataParallelApplies(scorer: Scorer, optE: SparseOptimizer, optR: SparseOptimizer): boolean {
  const k = scorer.kernel;
  return !!(k?.backwardSlice && k.coordinates && scorer.workerKernel && optE.shareState && optE.beginRowStep && optR.shareState && optR.beginRowStep);
}

/** Threads for a `workers` setting: 0 = one per core. */
export function trainingThreads(workers: number): number {
  return workers > 0 ? workers : os.availableParallelism();
}

const sharedI32 = (n: number): Int32Array => new Int32Array(new SharedArrayBuffer(4 * Math.max(1, n)));
const sharedF32 = (n: number): Float32Array => new Float32Array(new SharedArrayBuffer(4 * Math.max(1, n)));
const sharedF64 = (n: number): Float64Array => new Float64Array(new SharedArrayBuffer(8 * Math.max(1, n)));

/**
 * The caller's side: owns the pool and the shared buffers, and runs the phases of one batch.
 * Use: `triples(n)` to fill the batch, `score(n)`, the loss into `scoreGrads`, `backward(n)`,
 * optionally regularise through `slotsE`/`slotsR`, then `apply()`.
 */
export class DataParallelKernel {
  private readonly pool: LockstepPool;
  private readonly work: () => BatchWork;
  private setup: WorkerSetup;
  private local: BatchWork;
  readonly slotsE: SlotMap;
  readonly slotsR: SlotMap;
  private capacity = 0;

  constructor(
    private readonly scorer: Scorer,
    private readonly tables: KgTables,
    private readonly optE: SparseOptimizer,
    private readonly optR: SparseOptimizer,
    threads: number,
  ) {
    if (!dataParallelApplies(scorer, optE, optR)) throw new Error(`${scorer.name}: no data-parallel kernel path (needs kernel.backwardSlice, workerKernel, shareable optimisers)`);
    const kernel = scorer.kernel!;
    const coordinates = kernel.coordinates!;
    const blockSize = Math.max(8, Math.ceil(coordinates / (2 * threads) / 8) * 8);
    this.setup = {
      recipe: scorer.workerKernel!, entities: tables.entities, relations: tables.relations,
      entityWidth: scorer.entityWidth, relationWidth: scorer.relationWidth, coordinates, blockSize,
      optE: optE.shareState!(), optR: optR.shareState!(), buffers: this.allocate(1),
    };
    this.work = () => new BatchWork(kernel, scorer.constrainEntities?.bind(scorer), this.setup);
    this.local = this.work();
    const b = this.setup.buffers;
    this.slotsE = new SlotMap(tables.numEntities, b.rowsE, b.gradE);
    this.slotsR = new SlotMap(tables.numRelationRows, b.rowsR, b.gradR);
    this.pool = new LockstepPool(NS_WORKER_FILE, threads, undefined);
  }

  /** Threads working on a batch (the caller included). */
  get threads(): number {
    return this.pool.threads;
  }

  /** The shared triple buffer for n triples (positives first), grown (and re-sent) when needed. */
  triples(n: number): Int32Array {
    if (n > this.capacity) this.grow(n);
    return this.setup.buffers.triples;
  }

  /** Buffers of the current capacity. */
  get buffers(): BatchBuffers {
    return this.setup.buffers;
  }

  /** Kernel scores of triples [0, n) into `buffers.scores`. */
  score(n: number): void {
    this.setup.buffers.counts[0] = n;
    this.setup.buffers.counts[4]++; // a new batch: the tables changed since the last one
    this.pool.run(SCORE, n, SCORE_CLAIM, (p, f, t) => this.local.work(p, f, t));
  }

  /** Slots of the triples with a nonzero score gradient (here), then their backward (all threads). */
  backward(n: number): void {
    const b = this.setup.buffers;
    const { triples, scoreGrads, active, offsets } = b;
    const We = this.scorer.entityWidth;
    const Wr = this.scorer.relationWidth;
    const sE = this.slotsE;
    const sR = this.slotsR;
    sE.reset();
    sR.reset();
    let m = 0;
    for (let i = 0; i < n; i++) {
      if (scoreGrads[i] === 0) continue; // e.g. margin pairs already satisfied
      active[m] = i;
      offsets[3 * m] = sE.slot(triples[3 * i]) * We;
      offsets[3 * m + 1] = sE.slot(triples[3 * i + 2]) * We;
      offsets[3 * m + 2] = sR.slot(triples[3 * i + 1]) * Wr;
      m++;
    }
    b.counts[1] = m;
    b.counts[2] = sE.count;
    b.counts[3] = sR.count;
    if (m === 0) return;
    const blocks = Math.ceil(this.setup.coordinates / this.setup.blockSize);
    this.pool.run(BACKWARD, blocks, 1, (p, f, t) => this.local.work(p, f, t));
  }

  /** One optimiser step of every touched row (and the entity constraint), all threads. */
  apply(): void {
    const b = this.setup.buffers;
    b.counts[2] = this.slotsE.count;
    b.counts[3] = this.slotsR.count;
    b.stepScalars[0] = this.optE.beginRowStep!();
    b.stepScalars[1] = this.optR.beginRowStep!();
    this.pool.run(APPLY, this.slotsE.count + this.slotsR.count, APPLY_CLAIM, (p, f, t) => this.local.work(p, f, t));
  }

  /** Stops the worker threads. */
  dispose(): void {
    this.pool.dispose();
  }

  /** Claims the worker threads have run (a statistic). */
  get workerClaims(): number {
    return this.pool.workerClaims;
  }

  /** Resolves once every worker thread has exited (tests). */
  get exited(): Promise<void> {
    return this.pool.exited;
  }

  private allocate(n: number): BatchBuffers {
    const slotsE = Math.min(this.tables.numEntities, 2 * n);
    const slotsR = Math.min(this.tables.numRelationRows, n);
    return {
      triples: sharedI32(3 * n), scores: sharedF64(n), scoreGrads: sharedF32(n), active: sharedI32(n), offsets: sharedI32(3 * n),
      rowsE: sharedI32(slotsE), gradE: sharedF32(slotsE * this.scorer.entityWidth),
      rowsR: sharedI32(slotsR), gradR: sharedF32(slotsR * this.scorer.relationWidth),
      counts: sharedI32(5), stepScalars: sharedF64(2),
    };
  }

  private grow(n: number): void {
    const buffers = this.allocate(n);
    this.setup = { ...this.setup, buffers };
    this.local = this.work();
    this.slotsE.rebind(buffers.rowsE, buffers.gradE);
    this.slotsR.rebind(buffers.rowsR, buffers.gradR);
    this.capacity = n;
    this.pool.configure(this.setup);
  }
}
