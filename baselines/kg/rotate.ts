import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../src/rng';
import type { KernelRecipe, RankForm, Scorer, ScorerOptions, TripleKernel } from '../../src/scorer';
import { DIST_EPS, checkOptions, checkTable, fillNormal, fillUniform } from './common';
import { RotatEKernel } from './rotate_kernel';

/** Margin the RotatE paper's code uses to size the init range when options.gamma is 0 (its default 12). */
export const ROTATE_INIT_GAMMA = 12;

/**
 * RotatE: score(h, r, t) = gamma - sum_k |h_k * e^{i theta_k} - t_k|, h, t in C^dim, theta in R^dim.
 *
 * Reference: Sun, Deng, Nie, Tang, "RotatE: Knowledge Graph Embedding by Relational Rotation in
 * Complex Space", ICLR 2019.
 *
 * Layout: entity rows [re_1..re_dim | im_1..im_dim] (entityWidth = 2*dim); relation rows are dim
 * phases theta_k in radians (relationWidth = dim), so |r_k| = 1 by construction. The official code
 * stores x = theta * embedding_range / pi and multiplies by pi / embedding_range in the score; storing
 * theta directly is a reparametrisation of the same model (only the effective learning rate of the
 * phases differs).
 * Distance: complex modulus per coordinate (L1 over coordinates), computed as
 * sqrt(re^2 + im^2 + DIST_EPS) (DIST_EPS = 1e-9) for a finite gradient at 0; the kernel does the
 * same, the rank form does not (difference <= dim * 3.2e-5 only for coordinates at distance ~0).
 * Shapes: h, t [..., 2*dim], r [..., dim] -> [...] (leading dims broadcast).
 * Sign: higher = more plausible; gamma = options.gamma (default 0, so score = -distance; a constant
 * shift that ranks and softmax/ranking losses ignore; only a sigmoid loss sees it).
 * Ranking: rankForm 'complex-l1'; queryTail = h o r, queryHead = t o conj(r) (valid because |r_k| = 1:
 * |h r - t| = |h - t conj(r)|); score = gamma - sum_k |q_k - e_k|.
 * Init (paper's code): entities uniform(-(g + 2)/dim, (g + 2)/dim) per real coordinate with
 * g = options.gamma, or the paper's default 12 (ROTATE_INIT_GAMMA) when options.gamma is 0 / unset;
 * phases uniform(-pi, pi). `options.initStd` gives normal(0, initStd) for both tables instead.
 */
export class RotatE implements Scorer {
  /** Registry key. */
  readonly name = 'rotate';
  /** Number of complex coordinates. */
  readonly dim: number;
  /** Floats per entity row: 2*dim ([re | im]). */
  readonly entityWidth: number;
  /** Floats per relation row: dim phases (radians). */
  readonly relationWidth: number;
  /** 'complex-l1'. */
  readonly rankForm: RankForm = 'complex-l1';
  /**
   * Constant offset of the score (score = gamma - distance), from `ScorerOptions.gamma` only. The
   * run's `--margin` does not set it: NSSA adds that margin to the score itself (log s(gamma + score)).
   */
  readonly gamma: number;
  /** Half-width of the entity init range: (g + 2) / dim. */
  readonly embeddingRange: number;
  /** normal(0, initStd) init instead of the paper's, when set. */
  readonly initStd?: number;
  /** Fused score/backward in WebAssembly SIMD, float32, on its own copy of the tables (rotate_kernel.ts). */
  readonly kernel: TripleKernel;
  /** Rebuilds `kernel` in training worker threads (rotate_kernel.ts). */
  readonly workerKernel: KernelRecipe;

  /** options: dim (complex coordinates, required), gamma (default 0), initStd. */
  constructor(options: ScorerOptions) {
    this.dim = checkOptions('rotate', options);
    this.entityWidth = 2 * this.dim;
    this.relationWidth = this.dim;
    this.gamma = options.gamma ?? 0;
    this.initStd = options.initStd;
    const g = this.gamma > 0 ? this.gamma : ROTATE_INIT_GAMMA;
    this.embeddingRange = (g + 2) / this.dim;
    this.kernel = new RotatEKernel(this.dim, this.gamma);
    this.workerKernel = { module: require.resolve('./rotate_kernel'), factory: 'rotateWorkerKernel', args: { dim: this.dim, gamma: this.gamma } };
  }

  /** gamma - sum_k |h_k e^{i theta_k} - t_k|. h, t [..., 2d], theta [..., d] -> broadcast leading shape [...]. */
  score(h: tf.Tensor, r: tf.Tensor, t: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [hRe, hIm] = tf.split(h, 2, -1);
      const [tRe, tIm] = tf.split(t, 2, -1);
      const c = tf.cos(r);
      const s = tf.sin(r);
      const dRe = tf.sub(tf.sub(tf.mul(hRe, c), tf.mul(hIm, s)), tRe);
      const dIm = tf.sub(tf.add(tf.mul(hRe, s), tf.mul(hIm, c)), tIm);
      const mod = tf.sqrt(tf.add(tf.add(tf.square(dRe), tf.square(dIm)), DIST_EPS));
      const dist = tf.sum(mod, -1);
      return this.gamma === 0 ? tf.neg(dist) : tf.sub(this.gamma, dist);
    });
  }

  /** Tail query q = h o e^{i theta}: score(h, r, e) = gamma - sum_k |q_k - e_k|. [b, 2d], [b, d] -> [b, 2d]. */
  queryTail(h: tf.Tensor2D, r: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const [hRe, hIm] = tf.split(h, 2, 1);
      const c = tf.cos(r);
      const s = tf.sin(r);
      return tf.concat([tf.sub(tf.mul(hRe, c), tf.mul(hIm, s)), tf.add(tf.mul(hRe, s), tf.mul(hIm, c))], 1) as tf.Tensor2D;
    });
  }

  /** Head query q = t o e^{-i theta}: score(e, r, t) = gamma - sum_k |e_k - q_k|. [b, d], [b, 2d] -> [b, 2d]. */
  queryHead(r: tf.Tensor2D, t: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const [tRe, tIm] = tf.split(t, 2, 1);
      const c = tf.cos(r);
      const s = tf.sin(r);
      return tf.concat([tf.add(tf.mul(tRe, c), tf.mul(tIm, s)), tf.sub(tf.mul(tIm, c), tf.mul(tRe, s))], 1) as tf.Tensor2D;
    });
  }

  /** Entity rows: uniform(-(g + 2)/dim, (g + 2)/dim) (or normal(0, initStd)). */
  initEntities(table: Float32Array, rows: number, rng: Rng): void {
    checkTable(table, rows, this.entityWidth, 'rotate.initEntities');
    const n = rows * this.entityWidth;
    if (this.initStd !== undefined) fillNormal(table, n, this.initStd, rng);
    else fillUniform(table, n, this.embeddingRange, rng);
  }

  /** Relation rows: phases uniform(-pi, pi) (or normal(0, initStd)). */
  initRelations(table: Float32Array, rows: number, rng: Rng): void {
    checkTable(table, rows, this.relationWidth, 'rotate.initRelations');
    const n = rows * this.relationWidth;
    if (this.initStd !== undefined) fillNormal(table, n, this.initStd, rng);
    else fillUniform(table, n, Math.PI, rng);
  }
}
