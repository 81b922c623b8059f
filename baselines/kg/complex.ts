import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../src/rng';
import type { KernelRecipe, RankForm, Scorer, ScorerOptions, TripleKernel } from '../../src/scorer';
import { checkOptions, checkTable, fillBilinearInit } from './common';
import { ComplExKernel } from './complex_kernel';

/**
 * ComplEx: score(h, r, t) = Re(sum_k h_k * r_k * conj(t_k)), h, r, t in C^dim.
 *
 * Reference: Trouillon, Welbl, Riedel, Gaussier, Bouchard, "Complex Embeddings for Simple Link
 * Prediction", ICML 2016.
 *
 * Layout: every row is [re_1..re_dim | im_1..im_dim], so entityWidth = relationWidth = 2*dim.
 * Expanded with h = a + ib, r = c + id, t = e + if:
 *   score = sum_k (a c - b d) e + (a d + b c) f.
 * Shapes: h, t [..., 2*dim], r [..., 2*dim] -> [...] (leading dims broadcast).
 * Sign: higher = more plausible, unbounded in both directions.
 * Ranking: rankForm 'dot' with score = q . e for
 *   tail q = [Re(h r), Im(h r)]                (Re(z conj e) = Re z Re e + Im z Im e),
 *   head q = [Re(r conj t), -Im(r conj t)]     (Re(e w) = Re e Re w - Im e Im w, w = r conj t).
 * Init: the paper fixes no scale; default uniform(-6/sqrt(dim), 6/sqrt(dim)) per real coordinate;
 * `options.initStd` gives normal(0, initStd) (1e-3 in the kbc / OTKGE 1-vs-all recipe). No constraint.
 */
export class ComplEx implements Scorer {
  /** Registry key. */
  readonly name = 'complex';
  /** Number of complex coordinates. */
  readonly dim: number;
  /** Floats per entity row: 2*dim ([re | im]). */
  readonly entityWidth: number;
  /** Floats per relation row: 2*dim ([re | im]). */
  readonly relationWidth: number;
  /** 'dot'. */
  readonly rankForm: RankForm = 'dot';
  /** normal(0, initStd) init instead of the default, when set. */
  readonly initStd?: number;
  /** Fused typed-array score/backward. */
  readonly kernel: TripleKernel;
  /** Rebuilds `kernel` in training worker threads (complex_kernel.ts). */
  readonly workerKernel: KernelRecipe;

  /** options: dim (complex coordinates, required), initStd. */
  constructor(options: ScorerOptions) {
    this.dim = checkOptions('complex', options);
    this.entityWidth = 2 * this.dim;
    this.relationWidth = 2 * this.dim;
    this.initStd = options.initStd;
    this.kernel = new ComplExKernel(this.dim);
    this.workerKernel = { module: require.resolve('./complex_kernel'), factory: 'complexWorkerKernel', args: { dim: this.dim } };
  }

  /** Re(sum_k h_k r_k conj(t_k)). h, t [..., 2d], r [..., 2d] -> broadcast leading shape [...]. */
  score(h: tf.Tensor, r: tf.Tensor, t: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [a, b] = tf.split(h, 2, -1);
      const [c, d] = tf.split(r, 2, -1);
      const [e, f] = tf.split(t, 2, -1);
      const re = tf.sub(tf.mul(a, c), tf.mul(b, d));
      const im = tf.add(tf.mul(a, d), tf.mul(b, c));
      return tf.sum(tf.add(tf.mul(re, e), tf.mul(im, f)), -1);
    });
  }

  /** Tail query q = [Re(h r), Im(h r)]: score(h, r, e) = q . e. [b, 2d], [b, 2d] -> [b, 2d]. */
  queryTail(h: tf.Tensor2D, r: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const [a, b] = tf.split(h, 2, 1);
      const [c, d] = tf.split(r, 2, 1);
      return tf.concat([tf.sub(tf.mul(a, c), tf.mul(b, d)), tf.add(tf.mul(a, d), tf.mul(b, c))], 1) as tf.Tensor2D;
    });
  }

  /** Head query q = [Re(r conj t), -Im(r conj t)]: score(e, r, t) = q . e. [b, 2d], [b, 2d] -> [b, 2d]. */
  queryHead(r: tf.Tensor2D, t: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const [c, d] = tf.split(r, 2, 1);
      const [e, f] = tf.split(t, 2, 1);
      // r conj t = (c e + d f) + i (d e - c f); q = [c e + d f, c f - d e]
      return tf.concat([tf.add(tf.mul(c, e), tf.mul(d, f)), tf.sub(tf.mul(c, f), tf.mul(d, e))], 1) as tf.Tensor2D;
    });
  }

  /** Entity rows: uniform(-6/sqrt(d), 6/sqrt(d)) per real coordinate (or normal(0, initStd)). */
  initEntities(table: Float32Array, rows: number, rng: Rng): void {
    checkTable(table, rows, this.entityWidth, 'complex.initEntities');
    fillBilinearInit(table, rows * this.entityWidth, this.dim, this.initStd, rng);
  }

  /** Relation rows: uniform(-6/sqrt(d), 6/sqrt(d)) per real coordinate (or normal(0, initStd)). */
  initRelations(table: Float32Array, rows: number, rng: Rng): void {
    checkTable(table, rows, this.relationWidth, 'complex.initRelations');
    fillBilinearInit(table, rows * this.relationWidth, this.dim, this.initStd, rng);
  }
}
