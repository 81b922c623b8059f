import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../src/rng';
import type { Schema } from '../../src/options';
import { EMBEDDING_OPTIONS, type EmbeddingOptions, type KernelRecipe, type RankForm, type Scorer, type ScorerOptions, type TripleKernel } from '../../src/scorer';
import { DIST_EPS, checkOptions, checkTable, fillNormal, fillUniform, normalizeRowsL2 } from './common';
import { TransEL1Kernel, TransEL2Kernel } from './transe_kernel';

/** TransE's options. */
export interface TransEOptions extends EmbeddingOptions {
  /** Distance norm p in ||h + r - t||_p. */
  norm: 1 | 2;
  /** Renormalise touched entity rows to unit L2 norm after each step (Bordes et al. 2013). */
  normalizeEntities: boolean;
}

/** TransE's options with their defaults (the registry composes them into `mmkge train`). */
export const TRANSE_OPTIONS: Schema<TransEOptions> = {
  ...EMBEDDING_OPTIONS,
  norm: { type: 'enum', default: 1, values: [1, 2], help: 'TransE norm' },
  normalizeEntities: { type: 'bool', default: true, help: 'TransE: unit-norm entities after each step' },
};

/**
 * TransE: score(h, r, t) = -||h + r - t||_p, p = options.norm in {1, 2} (default 1).
 *
 * Reference: Bordes, Usunier, Garcia-Duran, Weston, Yakhnenko, "Translating Embeddings for
 * Modeling Multi-relational Data", NeurIPS 2013.
 *
 * Shapes: h, t [..., dim], r [..., dim] -> [...] (leading dims broadcast); entityWidth = relationWidth = dim.
 * Sign: higher = more plausible; scores are <= 0 (a negated distance).
 * L2: computed as -sqrt(sum_k d_k^2 + DIST_EPS) (DIST_EPS = 1e-9) so that the gradient at h + r = t is
 * 0 instead of 0/0; the tf score and the kernel both use it, the rank form 'l2' does not (difference
 * <= 3.2e-5, ranks unaffected). L1: the kernel uses sign(0) = 0; tf.abs's gradient uses -1 at exactly 0
 * (a measure-zero disagreement, both are valid subgradients).
 * Ranking: rankForm 'l1' / 'l2'; queryTail = h + r, queryHead = t - r (score = -||q - e||_p).
 * Init (paper, Algorithm 1): every coordinate uniform(-6/sqrt(dim), 6/sqrt(dim)); relation rows then
 * L2-normalised; entity rows L2-normalised too when `normalizeEntities` (default true: Algorithm 1
 * normalises entities at the start of every loop, so also before the first step).
 * With `options.initStd` both tables are plain normal(0, initStd) (no normalisation at init).
 * Constraint: `constrainEntities` renormalises touched entity rows to unit L2 norm after each step
 * (Algorithm 1); it is undefined when `normalizeEntities` is false.
 */
export class TransE implements Scorer {
  /** Registry key. */
  readonly name = 'transe';
  /** Embedding dimension d. */
  readonly dim: number;
  /** Floats per entity row: d. */
  readonly entityWidth: number;
  /** Floats per relation row: d. */
  readonly relationWidth: number;
  /** Distance norm p (1 or 2). */
  readonly norm: 1 | 2;
  /** 'l1' or 'l2' following `norm`. */
  readonly rankForm: RankForm;
  /** Whether entity rows are kept at unit L2 norm. */
  readonly normalizeEntities: boolean;
  /** normal(0, initStd) init instead of the paper's, when set. */
  readonly initStd?: number;
  /** Fused typed-array score/backward (L1 or L2 by `norm`). */
  readonly kernel: TripleKernel;
  /** Rebuilds `kernel` and `constrainEntities` in training worker threads (transe_kernel.ts). */
  readonly workerKernel: KernelRecipe;
  /**
   * Renormalises entity rows rows[0..count) of the [nEntities, dim] table to unit L2 norm in place:
   * e <- e / ||e||_2 (Bordes et al. 2013, Algorithm 1). Undefined when `normalizeEntities` is false.
   */
  readonly constrainEntities?: (table: Float32Array, rows: Int32Array, count: number) => void;

  /** options: dim (required), norm (1 | 2, default 1), normalizeEntities (default true), initStd. */
  constructor(options: ScorerOptions) {
    this.dim = checkOptions('transe', options);
    this.entityWidth = this.dim;
    this.relationWidth = this.dim;
    const norm = options.norm ?? TRANSE_OPTIONS.norm.default;
    if (norm !== 1 && norm !== 2) throw new Error(`transe: norm must be 1 or 2, got ${norm}`);
    this.norm = norm;
    this.rankForm = norm === 1 ? 'l1' : 'l2';
    this.normalizeEntities = options.normalizeEntities ?? TRANSE_OPTIONS.normalizeEntities.default;
    this.initStd = options.initStd;
    this.kernel = norm === 1 ? new TransEL1Kernel(this.dim) : new TransEL2Kernel(this.dim);
    this.workerKernel = { module: require.resolve('./transe_kernel'), factory: 'transeWorkerKernel', args: { dim: this.dim, norm, normalizeEntities: this.normalizeEntities } };
    if (this.normalizeEntities) {
      const width = this.dim;
      this.constrainEntities = (table, rows, count) => normalizeRowsL2(table, width, 0, rows, count);
    }
  }

  /** -||h + r - t||_p over the last axis. h, t [..., d], r [..., d] -> broadcast leading shape [...]. */
  score(h: tf.Tensor, r: tf.Tensor, t: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const d = tf.sub(tf.add(h, r), t);
      if (this.norm === 1) return tf.neg(tf.sum(tf.abs(d), -1));
      return tf.neg(tf.sqrt(tf.add(tf.sum(tf.square(d), -1), DIST_EPS)));
    });
  }

  /** Tail query q = h + r: score(h, r, e) = -||q - e||_p. [b, d], [b, d] -> [b, d]. */
  queryTail(h: tf.Tensor2D, r: tf.Tensor2D): tf.Tensor2D {
    return tf.add(h, r);
  }

  /** Head query q = t - r: score(e, r, t) = -||e - q||_p. [b, d], [b, d] -> [b, d]. */
  queryHead(r: tf.Tensor2D, t: tf.Tensor2D): tf.Tensor2D {
    return tf.sub(t, r);
  }

  /** Entity rows: uniform(-6/sqrt(d), 6/sqrt(d)), then unit L2 norm if normalizeEntities (or normal(0, initStd)). */
  initEntities(table: Float32Array, rows: number, rng: Rng): void {
    checkTable(table, rows, this.entityWidth, 'transe.initEntities');
    const n = rows * this.entityWidth;
    if (this.initStd !== undefined) return fillNormal(table, n, this.initStd, rng);
    fillUniform(table, n, 6 / Math.sqrt(this.dim), rng);
    if (this.normalizeEntities) normalizeRowsL2(table, this.entityWidth, rows);
  }

  /** Relation rows: uniform(-6/sqrt(d), 6/sqrt(d)), then unit L2 norm (or normal(0, initStd)). */
  initRelations(table: Float32Array, rows: number, rng: Rng): void {
    checkTable(table, rows, this.relationWidth, 'transe.initRelations');
    const n = rows * this.relationWidth;
    if (this.initStd !== undefined) return fillNormal(table, n, this.initStd, rng);
    fillUniform(table, n, 6 / Math.sqrt(this.dim), rng);
    normalizeRowsL2(table, this.relationWidth, rows);
  }
}
