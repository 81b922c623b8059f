import type * as tf from '@tensorflow/tfjs';
import type { Rng } from './rng';
import type { Scorer, TripleKernel } from './scorer';
import type { ParamStore, ParamTensors } from './params';
import type { ModalityFeatures } from './modality';

/**
 * A multimodal KG model (IKRL, TBKGE, TransAE, MMKRL, OTKGE): structural entity rows (a sparse
 * embedding table, the predominant modality) plus auxiliary per-entity modality features (image,
 * text; fixed inputs) and dense parameters (projections, autoencoders, transport maps), mapped to
 * one *ranking representation* per entity that a plain `Scorer` scores.
 *
 * The split into `encode` (per-modality representations h^m, structural first) and `fuse` (F) is
 * what lets the IMML plug-in wrap every model without model-specific code: IMML re-weights the
 * h^m, feeds mixed h^m through the same `fuse`, and contrasts projections of the h^m.
 *
 * Ranking against all entities materialises the representation of every entity once
 * (`representAll` in src/train/multimodal_step.ts) and reuses the structural fast evaluators.
 */
export interface MultimodalKgModel {
  /** Registry key, e.g. `otkge`. */
  readonly name: string;
  /** Scores ranking representations (entityWidth = representation width) and relation rows. */
  readonly scorer: Scorer;
  /** Floats per structural entity row (the sparse, row-updated table). */
  readonly structuralWidth: number;
  /** Dense trainable parameters (the plug-in's are added to the same store). */
  readonly params: ParamStore;
  /** Auxiliary modalities this model uses, in order (never empty for a multimodal model). */
  readonly modalities: readonly ModalityFeatures[];
  /**
   * Per-modality entity representations h^m for k entities: [structural, aux_1, ...]. `structural`
   * is [k, structuralWidth]; `features[m]` is [k, modalities[m].dim] (zero rows where missing).
   */
  encode(structural: tf.Tensor2D, features: tf.Tensor2D[], p: ParamTensors): tf.Tensor2D[];
  /**
   * F: the ranking representation [k, scorer.entityWidth] from the (possibly IMML-weighted or
   * mixed) h^m. `masks[m]` is [k, 1], 1 where the entity has modality m.
   */
  fuse(hs: tf.Tensor2D[], masks: tf.Tensor2D[], p: ParamTensors): tf.Tensor2D;
  /** Extra loss of the model itself on a batch of entities (TransAE reconstruction, MMKRL alignment). */
  auxiliaryLoss?(hs: tf.Tensor2D[], masks: tf.Tensor2D[], p: ParamTensors): tf.Scalar;
  /**
   * Non-differentiable state recomputed from the current structural table once per epoch
   * (OTKGE's optimal-transport plans). Deterministic given `rng`.
   */
  refresh?(structural: Float32Array, numEntities: number, rng: Rng): void;
  /** Non-trained state saved with checkpoints and the best model (e.g. OTKGE's plans), by name. */
  readonly buffers?: Readonly<Record<string, Float32Array>>;
  /**
   * Optional constraint on structural rows after each optimiser step (the TransE-family papers'
   * unit-norm entities, Bordes et al. 2013): receives the table and the touched row ids.
   */
  constrainStructural?(table: Float32Array, rows: Int32Array, count: number): void;
  /** Optional typed-array description for fused negative-sampling training (see {@link ProjectedBasis}). */
  readonly projectedBasis?: ProjectedBasis;
  /** Initialise the structural table in place. */
  initStructural(table: Float32Array, rows: number, rng: Rng): void;
  /** Initialise the relation table in place. */
  initRelations(table: Float32Array, rows: number, rng: Rng): void;
}

/** What a multimodal model's factory receives. */
export interface MultimodalOptions {
  dim: number;
  norm: 1 | 2;
  margin: number;
  modalities: readonly ModalityFeatures[];
  imageWeight: number;
  textWeight: number;
  otScale: number;
  otEpsilon: number;
  otIterations: number;
  auxWeight: number;
  rng: Rng;
}

/**
 * What fused negative-sampling training (src/train/fused_multimodal_ns.ts) needs of a model whose
 * entity is a structural row s [d] and a linear projection m = sum_m mask_m x_m W_m [d] of its
 * features (m = s for an entity without any modality), scored on basis rows [s | m]:
 * the trainer projects, scores, and backpropagates with typed arrays and two dense products per
 * modality, without the tfjs layout. It must describe the same model as encode/fuse/auxiliaryLoss
 * (the conformance suite checks the kernel against autodiff of the fused representation).
 */
export interface ProjectedBasis {
  /** Names of the projection blocks W_m [D_m, d] in `params`, in modality order. */
  readonly projections: readonly string[];
  /** The model's energy on basis rows [s | m] (entity width 2d) and relation rows (width d). */
  readonly kernel: TripleKernel;
  /**
   * Optional auxiliary loss on the batch's entities, unweighted (as `auxiliaryLoss`): s and m are
   * [U, d] (m before the fallback), present[u] = 1 when entity u has some modality. Adds
   * weight * its gradient into gS and gM; returns the unweighted value.
   */
  auxiliary?(s: Float32Array, m: Float32Array, present: Uint8Array, U: number, weight: number, gS: Float32Array, gM: Float32Array): number;
}
