/**
 * A pool of worker threads running the score kernels (score_kernels.ts: WebAssembly SIMD for l1
 * and complex-l1, typed-array loops otherwise) over a shared entity table: the ranking path for `l1` and
 * `complex-l1` scorers (and `method: 'loop'`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RankForm } from '../src/scorer';
import type { RankBatch } from './rank_batch';
import { KERNEL_BLOCK, makeBlockScorer, rankWithKernels, type BlockScorer } from './score_kernels';

/** Data each worker starts with (the table is shared, not copied). */
export interface KernelWorkerData {
  form: RankForm;
  /** Row-major [n, width] entity table in a SharedArrayBuffer. */
  entities: Float32Array;
  n: number;
  width: number;
}

/**
 * One batch for the workers; every array lives in a SharedArrayBuffer. `counter[0]` is the next
 * unclaimed query; each worker takes `claim` queries at a time with Atomics.add.
 */
export interface BatchMessage {
  id: number;
  batch: RankBatch;
  /** [batch.count, width] query vectors. */
  queries: Float32Array;
  counter: Int32Array;
  claim: number;
}

/** A worker's answer to a batch: done, or the error that stopped it. */
export interface WorkerReply {
  id: number;
  error?: string;
  errorName?: string;
}

/** Queries claimed per Atomics.add: two kernel blocks (small for load balance on shared cores). */
export const CLAIM_QUERIES = 2 * KERNEL_BLOCK;

/** Compiled worker entry next to this module (dist/eval/kernel_worker.js). */
export const KERNEL_WORKER_FILE = path.join(__dirname, 'kernel_worker.js');

/**
 * Ranks batches with the score kernels on `workers` threads (0 = in the calling thread, same
 * code). Work is claimed dynamically, but each query's scores and ranks come from the same
 * float operations whoever computes them, so results do not depend on the worker count.
 * Call `close()` when done (terminates the threads).
 */
export class KernelPool {
  private readonly threads: Worker[] = [];
  private job?: { id: number; remaining: number; error?: Error; resolve: () => void; reject: (e: Error) => void };
  private nextId = 1;
  private closing = false;
  private scorer?: BlockScorer;
  /** First thread failure (crash, load error); once set, every run rejects with it. */
  private broken?: Error;

  /**
   * `entities`: row-major [n, width] table; must be in a SharedArrayBuffer when workers > 0
   * (see toSharedFloat32).
   */
  constructor(
    private readonly form: RankForm,
    private readonly entities: Float32Array,
    private readonly n: number,
    private readonly width: number,
    workers: number,
  ) {
    if (form === 'complex-l1' && width % 2 !== 0) throw new Error(`complex-l1 needs an even entity width ([re | im]), got ${width}`);
    if (workers <= 0) return;
    if (!(entities.buffer instanceof SharedArrayBuffer)) throw new Error('KernelPool: the entity table must be in a SharedArrayBuffer');
    if (!fs.existsSync(KERNEL_WORKER_FILE)) {
      throw new Error(`eval worker ${KERNEL_WORKER_FILE} not found: compile the project (npx tsc -p .) and run from dist/`);
    }
    const workerData: KernelWorkerData = { form, entities, n, width };
    for (let i = 0; i < workers; i++) {
      const w = new Worker(KERNEL_WORKER_FILE, { workerData });
      w.on('message', (reply: WorkerReply) => this.onReply(reply));
      w.on('error', (err: Error) => this.fail(err));
      w.on('exit', (code) => {
        if (!this.closing) this.fail(new Error(`eval worker exited unexpectedly (code ${code})`));
      });
      this.threads.push(w);
    }
  }

  /**
   * Rank every query of `batch` (query vectors `queries`, [batch.count, width], shared when
   * workers > 0); fills batch.results. One batch at a time.
   */
  run(batch: RankBatch, queries: Float32Array): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    if (this.job) return Promise.reject(new Error('KernelPool.run: a batch is already running'));
    if (batch.count === 0) return Promise.resolve();
    if (this.threads.length === 0) {
      try {
        this.scorer ??= makeBlockScorer(this.form, this.entities, this.n, this.width);
        rankWithKernels(this.scorer, queries, batch, 0, batch.count);
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err);
      }
    }
    const id = this.nextId++;
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const msg: BatchMessage = { id, batch, queries, counter, claim: CLAIM_QUERIES };
    return new Promise<void>((resolve, reject) => {
      this.job = { id, remaining: this.threads.length, resolve, reject };
      for (const w of this.threads) w.postMessage(msg);
    });
  }

  /** Terminate the worker threads. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.threads.map((w) => w.terminate()));
    this.threads.length = 0;
  }

  private onReply(reply: WorkerReply): void {
    const job = this.job;
    if (!job || reply.id !== job.id) return;
    if (reply.error !== undefined && !job.error) {
      const err = new Error(reply.error);
      err.name = reply.errorName ?? 'Error';
      job.error = err;
    }
    if (--job.remaining > 0) return;
    this.job = undefined;
    if (job.error) job.reject(job.error);
    else job.resolve();
  }

  private fail(err: Error): void {
    this.broken ??= err;
    const job = this.job;
    this.job = undefined;
    job?.reject(err);
  }
}
