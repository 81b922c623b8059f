import type * as tf from '@tensorflow/tfjs';
import type { Schema } from './options';
import type { Rng } from './rng';

/**
 * How a scorer's score of a candidate entity e depends on e once the other two parts of
 * the triple are fixed and folded into a query vector q (see `Scorer.queryTail/queryHead`):
 * - `dot`:        score = q . e                              (DistMult, ComplEx)
 * - `l1`:         score = -sum_k |q_k - e_k|                 (TransE L1)
 * - `l2`:         score = -sqrt(sum_k (q_k - e_k)^2)         (TransE L2)
 * - `complex-l1`: score = -sum_k |q_k - e_k|, k over complex coordinates with rows laid out
 *                 as [re_1..re_d | im_1..im_d]                (RotatE)
 * Scores may differ from the scorer's `score` by a constant (e.g. a margin gamma); ranks do not.
 */
export type RankForm = 'dot' | 'l1' | 'l2' | 'complex-l1';

/**
 * Fused typed-array kernel of one triple's score and its gradient: the fast path for
 * negative-sampling training. Rows are addressed by float offsets into the tables.
 * Must agree with `Scorer.score` (checked by the conformance suite).
 */
export interface TripleKernel {
  /** score(h, r, t) with h at E[hOff..], r at R[rOff..], t at E[tOff..]. */
  score(E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number): number;
  /**
   * Adds g * d score / d(h, r, t) into the gradient buffers: gE[gHOff..] for h,
   * gE[gTOff..] for t, gR[gROff..] for r (accumulate, never overwrite: h and t may share a slot).
   */
  backward(
    E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number, g: number,
    gE: Float32Array, gHOff: number, gTOff: number, gR: Float32Array, gROff: number,
  ): void;
  /**
   * Optional: `backward` restricted to coordinates [k0, k1) of 0..`coordinates` (coordinate k of an
   * [re | im] row is the pair k, dim + k), adding into those addresses the very float values `backward`
   * adds, in the same order. `score` is this triple's float64 `score` (a norm kernel divides by it
   * instead of recomputing the norm). Lets data-parallel training split a batch's backward over
   * threads by coordinates with sums bit-identical to one thread's.
   */
  backwardSlice?(
    E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number, g: number,
    gE: Float32Array, gHOff: number, gTOff: number, gR: Float32Array, gROff: number, k0: number, k1: number, score: number,
  ): void;
  /** Coordinates `backwardSlice` ranges over (the scorer's dim). */
  readonly coordinates?: number;
  /**
   * Optional, for a kernel that computes on its own copy of the tables (in WebAssembly memory):
   * takes the current tables. Callers call it before a batch's first `score` or `backward` and
   * whenever the tables changed since; `score` and `backward` then read that copy, not their
   * E and R arguments.
   */
  beginBatch?(E: Float32Array, R: Float32Array): void;
  /**
   * Optional, the other half: such a kernel accumulates gradients in its own memory, at the
   * caller's gradient offsets. After a batch's `backward` / `backwardSlice` calls over coordinates
   * [k0, k1), this adds them into gE (entity rows 0 .. entitySlots - 1 of the gradient buffer) and
   * gR (relation rows 0 .. relationSlots - 1), coordinate k of an [re | im] row being k and dim + k,
   * and clears its own. Until then those gradients are not in gE and gR.
   */
  endBackward?(gE: Float32Array, entitySlots: number, gR: Float32Array, relationSlots: number, k0: number, k1: number): void;
}

/**
 * A kernel whose score is a sum of terms that can each be scored and differentiated alone, so that
 * a negative-sampling loss can be applied to every term separately (config `perTermLoss`; the
 * official IKRL code puts one hinge on each of its four energies). score = sum_j scoreTerm(j).
 */
export interface TermKernel extends TripleKernel {
  readonly termCount: number;
  /** Weight of term j's loss in the total (IKRL's code trains the cross terms at half the rate). */
  readonly termLossWeights: readonly number[];
  scoreTerm(j: number, E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number): number;
  /** Adds g * d scoreTerm(j) / d(h, r, t) into the buffers, as `backward` does for the whole score. */
  backwardTerm(
    j: number, E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number, g: number,
    gE: Float32Array, gHOff: number, gTOff: number, gR: Float32Array, gROff: number,
  ): void;
}

/** Whether a kernel scores its terms separately ({@link TermKernel}). */
export function isTermKernel(kernel: TripleKernel): kernel is TermKernel {
  return typeof (kernel as Partial<TermKernel>).scoreTerm === 'function';
}

/**
 * How a worker thread rebuilds a scorer's kernel without the scorer (and without tfjs):
 * `require(module)[factory](args)` returns a {@link WorkerKernel} computing the very floats of the
 * scorer's `kernel` and `constrainEntities`.
 */
export interface KernelRecipe {
  /** Absolute path of the compiled module (e.g. `require.resolve('./transe_kernel')`). */
  readonly module: string;
  /** Name of the exported factory. */
  readonly factory: string;
  /** Plain-data arguments of the factory. */
  readonly args: Readonly<Record<string, number | boolean | string>>;
}

/** What a {@link KernelRecipe}'s factory returns. */
export interface WorkerKernel {
  kernel: TripleKernel;
  constrainEntities?: (table: Float32Array, rows: Int32Array, count: number) => void;
}

/**
 * A KG interaction function (PyKEEN's term): a differentiable score of (h, r, t), higher =
 * more plausible. Implementations live in baselines/kg, one file each, registered by name.
 */
export interface Scorer {
  /** Registry key, e.g. `transe`. */
  readonly name: string;
  /** Floats per entity row (2*dim for complex-valued models, [re | im]). */
  readonly entityWidth: number;
  /** Floats per relation row. */
  readonly relationWidth: number;
  /**
   * Differentiable tfjs score. h, t: [..., entityWidth], r: [..., relationWidth]; leading
   * dims broadcast; returns the broadcast leading shape (e.g. [b] or [b, n]).
   */
  score(h: tf.Tensor, r: tf.Tensor, t: tf.Tensor): tf.Tensor;
  /** Ranking form (see RankForm); with queryTail/queryHead it enables fast ranking and 1-vs-all training. */
  readonly rankForm?: RankForm;
  /** Query for tail prediction: score(h, r, e) = form(queryTail(h, r), e). [b, We], [b, Wr] -> [b, We]. */
  queryTail?(h: tf.Tensor2D, r: tf.Tensor2D): tf.Tensor2D;
  /** Query for head prediction: score(e, r, t) = form(queryHead(r, t), e). [b, Wr], [b, We] -> [b, We]. */
  queryHead?(r: tf.Tensor2D, t: tf.Tensor2D): tf.Tensor2D;
  /** Optional fused typed-array kernel (speed only; autodiff through `score` is the reference). */
  readonly kernel?: TripleKernel;
  /** Optional: how worker threads rebuild `kernel` and `constrainEntities` (data-parallel training). */
  readonly workerKernel?: KernelRecipe;
  /** Initialise an entity table of `rows` rows (row-major, entityWidth floats each) in place. */
  initEntities(table: Float32Array, rows: number, rng: Rng): void;
  /** Initialise a relation table in place. */
  initRelations(table: Float32Array, rows: number, rng: Rng): void;
  /**
   * Optional constraint applied to the given entity rows after each optimiser step
   * (e.g. TransE's unit-norm entities). Receives the whole table and the touched row ids.
   */
  constrainEntities?(table: Float32Array, rows: Int32Array, count: number): void;
}

/** Options every scorer accepts. `dim` counts native coordinates (complex numbers for ComplEx/RotatE). */
export interface ScorerOptions {
  dim: number;
  /** TransE only: 1 or 2. */
  norm?: 1 | 2;
  /** Margin gamma for distance scorers reported as score = gamma - distance (RotatE); 0 = plain -distance. */
  gamma?: number;
  /**
   * TransE only: keep entity rows at unit L2 norm (Bordes et al. 2013, Algorithm 1), i.e. normalise
   * them at init and expose `constrainEntities`. Default true; false leaves `constrainEntities` undefined.
   */
  normalizeEntities?: boolean;
  /**
   * If set, every table (entities and relations) is initialised normal(0, initStd) instead of the
   * scorer's paper initialiser (the kbc / OTKGE 1-vs-all ComplEx recipe uses 1e-3).
   */
  initStd?: number;
}

/** The embedding keys every scorer reads (each scorer's schema spreads these in). */
export interface EmbeddingOptions {
  /** Embedding dimension in the model's native coordinates (complex numbers for ComplEx/RotatE). */
  dim: number;
  /** Std of a normal initialisation for all tables; 0 = the scorer's own initialisation. */
  initStd: number;
  /** Start the entity and relation tables from a finished run (directory or model .bin); '' = initialise them. */
  initFrom: string;
}

/** Options, defaults and help of the embedding keys; bounds turn typos (`--dim 1e9`) into messages. */
export const EMBEDDING_OPTIONS: Schema<EmbeddingOptions> = {
  dim: { type: 'int', default: 200, min: 1, max: 16384, help: 'embedding dimension (complex coordinates for complex/rotate)' },
  initStd: { type: 'number', default: 0, min: 0, help: 'normal init std for all tables (0 = scorer default)' },
  initFrom: { type: 'string', default: '', help: "start the entity and relation tables from a finished run's directory or model .bin of the same shape (IKRL starts from TransE); '' = initialise them" },
};
