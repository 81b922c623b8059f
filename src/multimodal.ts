import type * as tf from '@tensorflow/tfjs';
import type { Schema } from './options';
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
  /** Optional typed-array encoder for fused negative-sampling training (see {@link FusedEncoder}). */
  readonly fusedEncoder?: FusedEncoder;
  /**
   * Optional: rank with part of the energy instead of all of it (IKRL's structure-based,
   * image-based and union representations). Evaluation and export then use this view's scorer
   * on `table(representAll(...))`; training is unchanged.
   */
  readonly ranking?: RankingView;
  /** Initialise the structural table in place. */
  initStructural(table: Float32Array, rows: number, rng: Rng): void;
  /** Initialise the relation table in place. */
  initRelations(table: Float32Array, rows: number, rng: Rng): void;
}

/** What a model ranks with when it is not its whole training energy (see MultimodalKgModel.ranking). */
export interface RankingView {
  /** Scores the view's table; entityWidth = the table's width. */
  readonly scorer: Scorer;
  /** The view's table from the training representations [numEntities, model.scorer.entityWidth]. */
  table(representations: Float32Array, numEntities: number): Float32Array;
}

/**
 * What every multimodal model's factory receives; a model's own options (OTKGE's transport,
 * fusion weights) extend this in its file, declared with their defaults in its schema.
 */
export interface MultimodalOptions {
  dim: number;
  /** Distance norm of the translation models (they support 1 only; OTKGE ignores it). */
  norm: 1 | 2;
  modalities: readonly ModalityFeatures[];
  /** Weight of the auxiliary loss (the training step multiplies it in; models check it). */
  auxWeight: number;
  rng: Rng;
}

/**
 * What fused negative-sampling training (src/train/fused_multimodal_ns.ts) needs of a model: a
 * typed-array encoder of a batch's distinct entities into rows that `kernel` scores, with a
 * hand-derived backward. It must describe the same model as encode/fuse/auxiliaryLoss (the
 * conformance suite checks the kernel and the encoder's gradients against tfjs autodiff).
 */
export interface FusedEncoder {
  /** Floats per encoded row. */
  readonly rowWidth: number;
  /**
   * The model's energy on encoded rows (entity width rowWidth) and relation rows; when it is also a
   * {@link HeadQueryKernel}, the step scores the negatives that keep their positive's head through it.
   */
  readonly kernel: TripleKernel | (TripleKernel & HeadQueryKernel);
  /** Encodes entities ids from their structural rows [U, structuralWidth] (U = ids.length). */
  encode(ids: Int32Array, structural: Float32Array): FusedEncoding;
}

/** One encoded batch of entities and its backward pass. */
export interface FusedEncoding {
  /** Encoded rows [U, rowWidth]. */
  readonly rows: Float32Array;
  /** The model's auxiliary loss on these entities, unweighted (0 when it has none). */
  readonly auxLoss: number;
  /**
   * Given dRows = d loss / d rows, writes d (loss + auxWeight * auxLoss) / d structural into
   * dStructural [U, structuralWidth] (overwrites) and returns the dense parameters' gradients by name.
   */
  backward(dRows: Float32Array, auxWeight: number, dStructural: Float32Array): Record<string, Float32Array>;
}

/** The keys every multimodal model reads: where its features come from and the weight of its auxiliary loss. */
export interface MultimodalConfig {
  /** Image features per entity (.npy, text vectors, .f32 + .json); '' = the dataset's default, 'none' = do not use. */
  imageFeatures: string;
  /** Text features per entity (same formats); '' = the dataset's default, 'none' = do not use. */
  textFeatures: string;
  /** Weight of the model's auxiliary loss (TransAE reconstruction, MMKRL alignment); the training step multiplies it in. */
  auxWeight: number;
  /**
   * Rescaling of every modality's feature rows after loading: 'none', or 'l2' (each entity's row
   * to unit Euclidean norm; rows of entities without the modality stay zero). Features of different
   * extractors differ in scale by an order of magnitude (WN9-IMG: MobileNetV2 rows ~28, Doc2Vec
   * rows ~1.4), and a model's fusion weights assume comparable scales.
   */
  featureNorm: FeatureNorm;
}

/** See MultimodalConfig.featureNorm. */
export type FeatureNorm = 'none' | 'l2';

/** Options, defaults and help of the multimodal keys. */
export const MULTIMODAL_OPTIONS: Schema<MultimodalConfig> = {
  imageFeatures: { type: 'string', default: '', help: "image features per entity (.npy, text vectors, .f32 + .json, optionally .gz); '' = dataset default, none = off" },
  textFeatures: { type: 'string', default: '', help: "text features per entity (same formats); '' = dataset default, none = off" },
  auxWeight: { type: 'number', default: 1, min: 0, help: 'weight of TransAE reconstruction / MMKRL alignment losses' },
  featureNorm: { type: 'enum', default: 'none', values: ['none', 'l2'], help: "rescale each entity's feature rows: none, or l2 (unit Euclidean norm per row, every modality)" },
};

/**
 * Optional capability of a fused kernel: score and backpropagate many triples that share a head
 * row and a relation (a positive and its tail-corrupted negatives) from a query computed once.
 * `scoreQuery` / `backwardQuery` must give exactly the bits of `score` / `backward` of the same
 * triple (the query holds the very float64 intermediates the per-triple kernel computes), so a
 * step may use either path without changing a single number.
 */
export interface HeadQueryKernel {
  /** Float64s in a query. */
  readonly queryWidth: number;
  /** Writes the query of head row hOff and relation row rOff into q [queryWidth]. */
  headQuery(E: Float32Array, hOff: number, R: Float32Array, rOff: number, q: Float64Array): void;
  /** = score(E, hOff, R, rOff, tOff) for the (hOff, rOff) of q. */
  scoreQuery(q: Float64Array, E: Float32Array, tOff: number): number;
  /** = backward(E, hOff, R, rOff, tOff, g, gE, gHOff, gTOff, gR, gROff) for the (hOff, rOff) of q. */
  backwardQuery(q: Float64Array, E: Float32Array, tOff: number, g: number, gE: Float32Array, gHOff: number, gTOff: number, gR: Float32Array, gROff: number): void;
}

/** Whether `kernel` implements {@link HeadQueryKernel}. */
export function hasHeadQueries(kernel: TripleKernel): kernel is TripleKernel & HeadQueryKernel {
  const k = kernel as Partial<HeadQueryKernel>;
  return typeof k.headQuery === 'function' && typeof k.scoreQuery === 'function' && typeof k.backwardQuery === 'function';
}
