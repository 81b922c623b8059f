import * as tf from '@tensorflow/tfjs';
import type { Scorer } from '../scorer';
import type { NegativeSamplingLoss } from '../losses';
import type { NegativeSampler } from '../sampling';
import { SparseGradient } from '../optim';
import { addRow } from '../rows';
import type { KgTables } from './model';
import { regularizeRow, type TableUpdateParts } from './regularizer';
import { DataParallelKernel, dataParallelApplies, trainingThreads } from './parallel_ns';
import type { TrainingStep } from './step';

/** What one negative-sampling batch needs besides the triples. */
export interface NegativeSamplingParts extends TableUpdateParts {
  scorer: Scorer;
  tables: KgTables;
  loss: NegativeSamplingLoss;
  sampler: NegativeSampler;
  negatives: number;
  /** Use the scorer's fused kernel when it has one. */
  useKernel: boolean;
  /**
   * Threads of the fused-kernel path (the `workers` option): 0 = one per core, 1 = this thread only
   * (the default). Any count gives the same numbers (parallel_ns.ts); scorers without
   * `kernel.backwardSlice` and `workerKernel` train in this thread.
   */
  workers?: number;
  /**
   * Smallest batch work (triples x kernel coordinates) that goes to the threads; smaller batches run
   * in this thread, where waking workers would cost more than it saves (same numbers either way).
   * Default {@link MIN_PARALLEL_WORK}.
   */
  minParallelWork?: number;
}

/** Default `minParallelWork`: ~50 us of kernel work per phase, well above a thread wake-up. */
export const MIN_PARALLEL_WORK = 1 << 16;

/** A table's touched rows during a batch: gradient rows by slot. */
interface GradientSlots {
  readonly grads: Float32Array;
  slot(row: number): number;
}

/**
 * One step of negative-sampling training (Bordes et al. 2013 onwards): corrupt each positive
 * k times, score positives and negatives, take the loss and its gradient w.r.t. every score,
 * back-propagate into the touched rows only, and apply sparse optimiser updates.
 * Scores and gradients come from the scorer's fused typed-array kernel, or else from tfjs
 * autodiff of `scorer.score` on the batch rows (the tables never enter tfjs). With `workers` != 1
 * the fused path splits each batch over threads, with the same numbers as one thread.
 */
export class NegativeSamplingStep implements TrainingStep<Int32Array> {
  private readonly gradE: SparseGradient;
  private readonly gradR: SparseGradient;
  private negBatch = new Int32Array(0);
  private posScores = new Float32Array(0);
  private negScores = new Float32Array(0);
  private gradPos = new Float32Array(0);
  private gradNeg = new Float32Array(0);
  private readonly parallel?: DataParallelKernel;

  constructor(private readonly p: NegativeSamplingParts) {
    this.gradE = new SparseGradient(p.tables.numEntities, p.scorer.entityWidth, p.tables.numEntities);
    this.gradR = new SparseGradient(p.tables.numRelationRows, p.scorer.relationWidth, p.tables.numRelationRows);
    const threads = trainingThreads(p.workers ?? 1);
    if (p.useKernel && threads > 1 && dataParallelApplies(p.scorer, p.entityOptimizer, p.relationOptimizer)) {
      this.parallel = new DataParallelKernel(p.scorer, p.tables, p.entityOptimizer, p.relationOptimizer, threads);
    }
  }

  /** Threads a fused-kernel batch runs on (1 unless data-parallel). */
  get threads(): number {
    return this.parallel?.threads ?? 1;
  }

  /** Stops the worker threads, if any. */
  dispose(): void {
    this.parallel?.dispose();
  }

  /** Train on B positives (flat h, r, t); returns the batch loss (data term + regulariser). */
  run(batch: Int32Array, B: number): number {
    const { scorer, negatives: k } = this.p;
    this.ensureCapacity(B, k);
    if (this.parallel && B * (1 + k) * scorer.kernel!.coordinates! >= (this.p.minParallelWork ?? MIN_PARALLEL_WORK)) {
      return this.runParallel(this.parallel, batch, B);
    }
    const neg = this.negBatch.subarray(0, 3 * B * k);
    this.p.sampler.sample(batch, B, neg);
    const pos = this.posScores.subarray(0, B);
    const negS = this.negScores.subarray(0, B * k);
    const gPos = this.gradPos.subarray(0, B);
    const gNeg = this.gradNeg.subarray(0, B * k);
    this.gradE.reset();
    this.gradR.reset();
    let loss: number;
    if (this.p.useKernel && scorer.kernel) {
      const kernel = scorer.kernel;
      kernel.beginBatch?.(this.p.tables.entities, this.p.tables.relations);
      this.scoreWithKernel(batch, B, pos);
      this.scoreWithKernel(neg, B * k, negS);
      loss = this.p.loss.compute(pos, negS, B, k, gPos, gNeg);
      this.backwardWithKernel(batch, B, gPos);
      this.backwardWithKernel(neg, B * k, gNeg);
      kernel.endBackward?.(this.gradE.grads, this.gradE.count, this.gradR.grads, this.gradR.count, 0, kernel.coordinates ?? 0);
    } else {
      this.scoreWithAutodiff(batch, B, pos);
      this.scoreWithAutodiff(neg, B * k, negS);
      loss = this.p.loss.compute(pos, negS, B, k, gPos, gNeg);
      this.backwardWithAutodiff(batch, B, gPos);
      this.backwardWithAutodiff(neg, B * k, gNeg);
    }
    loss += this.regularize(batch, B, this.gradE, this.gradR);
    this.applyUpdates();
    return loss;
  }

  /** `run` on every thread: the same floats in the same order (see parallel_ns.ts). */
  private runParallel(par: DataParallelKernel, batch: Int32Array, B: number): number {
    const k = this.p.negatives;
    const n = B * (1 + k);
    const triples = par.triples(n);
    triples.set(batch.subarray(0, 3 * B));
    this.p.sampler.sample(batch, B, triples.subarray(3 * B, 3 * n));
    par.score(n);
    const { scores, scoreGrads } = par.buffers;
    const pos = this.posScores.subarray(0, B);
    const negS = this.negScores.subarray(0, B * k);
    for (let i = 0; i < B; i++) pos[i] = scores[i];
    for (let i = 0; i < B * k; i++) negS[i] = scores[B + i];
    let loss = this.p.loss.compute(pos, negS, B, k, scoreGrads.subarray(0, B), scoreGrads.subarray(B, n));
    par.backward(n);
    loss += this.regularize(batch, B, par.slotsE, par.slotsR);
    par.apply();
    return loss;
  }

  private ensureCapacity(B: number, k: number): void {
    if (this.posScores.length >= B && this.negScores.length >= B * k) return;
    this.negBatch = new Int32Array(3 * B * k);
    this.posScores = new Float32Array(B);
    this.negScores = new Float32Array(B * k);
    this.gradPos = new Float32Array(B);
    this.gradNeg = new Float32Array(B * k);
  }

  private scoreWithKernel(triples: Int32Array, n: number, out: Float32Array): void {
    const kernel = this.p.scorer.kernel!;
    const { entities: E, relations: R } = this.p.tables;
    const We = this.p.scorer.entityWidth;
    const Wr = this.p.scorer.relationWidth;
    for (let i = 0; i < n; i++) {
      out[i] = kernel.score(E, triples[3 * i] * We, R, triples[3 * i + 1] * Wr, triples[3 * i + 2] * We);
    }
  }

  private backwardWithKernel(triples: Int32Array, n: number, g: Float32Array): void {
    const kernel = this.p.scorer.kernel!;
    const { entities: E, relations: R } = this.p.tables;
    const We = this.p.scorer.entityWidth;
    const Wr = this.p.scorer.relationWidth;
    const gE = this.gradE;
    const gR = this.gradR;
    for (let i = 0; i < n; i++) {
      if (g[i] === 0) continue; // e.g. margin pairs already satisfied
      const h = triples[3 * i];
      const r = triples[3 * i + 1];
      const t = triples[3 * i + 2];
      const sh = gE.slot(h);
      const st = gE.slot(t);
      const sr = gR.slot(r);
      kernel.backward(E, h * We, R, r * Wr, t * We, g[i], gE.grads, sh * We, st * We, gR.grads, sr * Wr);
    }
  }

  /** Gather the rows of n triples into [n, W] tensors. */
  private gather(triples: Int32Array, n: number): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] {
    const { entities: E, relations: R } = this.p.tables;
    const We = this.p.scorer.entityWidth;
    const Wr = this.p.scorer.relationWidth;
    const H = new Float32Array(n * We);
    const Rr = new Float32Array(n * Wr);
    const T = new Float32Array(n * We);
    for (let i = 0; i < n; i++) {
      H.set(E.subarray(triples[3 * i] * We, triples[3 * i] * We + We), i * We);
      Rr.set(R.subarray(triples[3 * i + 1] * Wr, triples[3 * i + 1] * Wr + Wr), i * Wr);
      T.set(E.subarray(triples[3 * i + 2] * We, triples[3 * i + 2] * We + We), i * We);
    }
    return [tf.tensor2d(H, [n, We]), tf.tensor2d(Rr, [n, Wr]), tf.tensor2d(T, [n, We])];
  }

  private scoreWithAutodiff(triples: Int32Array, n: number, out: Float32Array): void {
    const scores = tf.tidy(() => {
      const [h, r, t] = this.gather(triples, n);
      return this.p.scorer.score(h, r, t);
    });
    out.set(scores.dataSync() as Float32Array);
    scores.dispose();
  }

  private backwardWithAutodiff(triples: Int32Array, n: number, g: Float32Array): void {
    const We = this.p.scorer.entityWidth;
    const Wr = this.p.scorer.relationWidth;
    const grads = tf.tidy(() => {
      const [h, r, t] = this.gather(triples, n);
      const weights = tf.tensor1d(g.slice(0, n));
      const vjp = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(this.p.scorer.score(a, b, c), weights)));
      return vjp([h, r, t]);
    });
    const [dh, dr, dt] = grads.map((x) => x.dataSync() as Float32Array);
    grads.forEach((x) => x.dispose());
    const gE = this.gradE;
    const gR = this.gradR;
    for (let i = 0; i < n; i++) {
      addRow(gE.grads, gE.slot(triples[3 * i]) * We, dh, i * We, We);
      addRow(gR.grads, gR.slot(triples[3 * i + 1]) * Wr, dr, i * Wr, Wr);
      addRow(gE.grads, gE.slot(triples[3 * i + 2]) * We, dt, i * We, We);
    }
  }

  /** Regulariser over the positive triples' rows, weight / B per occurrence. */
  private regularize(batch: Int32Array, B: number, gE: GradientSlots, gR: GradientSlots): number {
    const { regularizer, regWeight, tables, scorer } = this.p;
    if (regularizer === 'none' || regWeight === 0) return 0;
    const We = scorer.entityWidth;
    const Wr = scorer.relationWidth;
    const scale = regWeight / B;
    let penalty = 0;
    for (let i = 0; i < B; i++) {
      const h = batch[3 * i];
      const r = batch[3 * i + 1];
      const t = batch[3 * i + 2];
      penalty += regularizeRow(regularizer, scale, tables.entities, h * We, We, this.p.complexEntities, gE.grads, gE.slot(h) * We);
      penalty += regularizeRow(regularizer, scale, tables.relations, r * Wr, Wr, this.p.complexRelations, gR.grads, gR.slot(r) * Wr);
      penalty += regularizeRow(regularizer, scale, tables.entities, t * We, We, this.p.complexEntities, gE.grads, gE.slot(t) * We);
    }
    return penalty;
  }

  private applyUpdates(): void {
    const { tables, scorer } = this.p;
    this.p.entityOptimizer.step(tables.entities, scorer.entityWidth, this.gradE.rows, this.gradE.count, this.gradE.grads);
    this.p.relationOptimizer.step(tables.relations, scorer.relationWidth, this.gradR.rows, this.gradR.count, this.gradR.grads);
    scorer.constrainEntities?.(tables.entities, this.gradE.rows, this.gradE.count);
  }
}
