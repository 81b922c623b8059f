import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../src/rng';
import type { RankForm, Scorer, ScorerOptions, TripleKernel } from '../../src/scorer';
import { checkOptions, checkTable, fillBilinearInit } from './common';

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

  /** options: dim (required), initStd. */
  constructor(options: ScorerOptions) {
    this.dim = checkOptions('distmult', options);
    this.entityWidth = this.dim;
    this.relationWidth = this.dim;
    this.initStd = options.initStd;
    this.kernel = new DistMultKernel(this.dim);
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

/** DistMult kernel: score = sum_k h_k r_k t_k; d/dh_k = r_k t_k, d/dr_k = h_k t_k, d/dt_k = h_k r_k. */
class DistMultKernel implements TripleKernel {
  constructor(private readonly dim: number) {}

  score(E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number): number {
    const n = this.dim;
    let s = 0;
    for (let k = 0; k < n; k++) s += E[hOff + k] * R[rOff + k] * E[tOff + k];
    return s;
  }

  backward(
    E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number, g: number,
    gE: Float32Array, gHOff: number, gTOff: number, gR: Float32Array, gROff: number,
  ): void {
    const n = this.dim;
    for (let k = 0; k < n; k++) {
      const h = E[hOff + k];
      const r = R[rOff + k];
      const t = E[tOff + k];
      gE[gHOff + k] += g * r * t;
      gR[gROff + k] += g * h * t;
      gE[gTOff + k] += g * h * r;
    }
  }
}
