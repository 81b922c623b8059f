import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../src/rng';
import type { KernelRecipe, RankForm, Scorer, ScorerOptions, TripleKernel } from '../../src/scorer';
import { checkOptions, checkTable, fillBilinearInit } from './common';
import { DistMultKernel } from './distmult_kernel';

/**
 * DistMult: score(h, r, t) = sum_k h_k * r_k * t_k (a diagonal bilinear form h^T diag(r) t).
 *
 * Reference: Yang, Yih, He, Gao, Deng, "Embedding Entities and Relations for Learning and
 * Inference in Knowledge Bases", ICLR 2015.
 *
 * Shapes: h, t [..., dim], r [..., dim] -> [...] (leading dims broadcast); entityWidth = relationWidth = dim.
 * Sign: higher = more plausible, unbounded in both directions; symmetric in h and t.
 * Ranking: rankForm 'dot'; queryTail = h * r, queryHead = r * t (score = q . e).
 * Init: the paper fixes no scale; default uniform(-6/sqrt(dim), 6/sqrt(dim)) per coordinate (the
 * TransE rule, as the paper trains with TransE's margin-ranking protocol); `options.initStd` gives
 * normal(0, initStd) instead. No constraint.
 */
export class DistMult implements Scorer {
  /** Registry key. */
  readonly name = 'distmult';
  /** Embedding dimension d. */
  readonly dim: number;
  /** Floats per entity row: d. */
  readonly entityWidth: number;
  /** Floats per relation row: d. */
  readonly relationWidth: number;
  /** 'dot'. */
  readonly rankForm: RankForm = 'dot';
  /** normal(0, initStd) init instead of the default, when set. */
  readonly initStd?: number;
  /** Fused typed-array score/backward. */
  readonly kernel: TripleKernel;
  /** Rebuilds `kernel` in training worker threads (distmult_kernel.ts). */
  readonly workerKernel: KernelRecipe;

  /** options: dim (required), initStd. */
  constructor(options: ScorerOptions) {
    this.dim = checkOptions('distmult', options);
    this.entityWidth = this.dim;
    this.relationWidth = this.dim;
    this.initStd = options.initStd;
    this.kernel = new DistMultKernel(this.dim);
    this.workerKernel = { module: require.resolve('./distmult_kernel'), factory: 'distmultWorkerKernel', args: { dim: this.dim } };
  }

  /** sum_k h_k r_k t_k over the last axis. h, t [..., d], r [..., d] -> broadcast leading shape [...]. */
  score(h: tf.Tensor, r: tf.Tensor, t: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.sum(tf.mul(tf.mul(h, r), t), -1));
  }

  /** Tail query q = h * r (elementwise): score(h, r, e) = q . e. [b, d], [b, d] -> [b, d]. */
  queryTail(h: tf.Tensor2D, r: tf.Tensor2D): tf.Tensor2D {
    return tf.mul(h, r);
  }

  /** Head query q = r * t (elementwise): score(e, r, t) = q . e. [b, d], [b, d] -> [b, d]. */
  queryHead(r: tf.Tensor2D, t: tf.Tensor2D): tf.Tensor2D {
    return tf.mul(r, t);
  }

  /** Entity rows: uniform(-6/sqrt(d), 6/sqrt(d)) (or normal(0, initStd)). */
  initEntities(table: Float32Array, rows: number, rng: Rng): void {
    checkTable(table, rows, this.entityWidth, 'distmult.initEntities');
    fillBilinearInit(table, rows * this.entityWidth, this.dim, this.initStd, rng);
  }

  /** Relation rows: uniform(-6/sqrt(d), 6/sqrt(d)) (or normal(0, initStd)). */
  initRelations(table: Float32Array, rows: number, rng: Rng): void {
    checkTable(table, rows, this.relationWidth, 'distmult.initRelations');
    fillBilinearInit(table, rows * this.relationWidth, this.dim, this.initStd, rng);
  }
}
