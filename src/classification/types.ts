/**
 * The contracts of multimodal classification (the IMML paper's Table I task): modality
 * encoders that turn a batch of samples into features h^m, fusion models that map the features
 * of all modalities to class scores and own the base loss, and plug-ins (PMR, UMT, IMML) that
 * add terms to any model's loss through these contracts only.
 *
 * Data flow of one training step (src/app/classification/train.ts):
 *   encoders --batch()--> EncodedBatch --features()--> h^m [B, D_m] (predominant modality first)
 *   -> IMML weighs h^m (when enabled) -> model.fuse(h) -> model.loss(out) + plug-in terms
 *   -> gradients of the dense parameters (ParamStore) and of the encoders' host inputs
 *   (embedding-bag rows, scattered back into their tables by the encoders).
 */
import type * as tf from '@tensorflow/tfjs';
import type { OffloadedParam, ParamStore, ParamTensors } from '../params';
import type { Rng } from '../rng';

/** Per-sample input of one modality for every sample of a split, in sample order. */
export type ModalityColumn =
  /** Vocabulary ids of the words (after noise); 0 is the unknown-word id. */
  | { readonly kind: 'tokens'; readonly ids: readonly Int32Array[]; readonly vocabSize: number }
  /** Precomputed feature vectors (any tool: ResNet, BERT, CLIP...). */
  | { readonly kind: 'features'; readonly dim: number; readonly data: readonly Float32Array[]; readonly source: string }
  /** RGB pixels HWC in 0..255 (all samples the same size). */
  | { readonly kind: 'pixels'; readonly height: number; readonly width: number; readonly data: readonly Float32Array[] };

/** One split prepared for the encoders: labels and one column per modality. */
export interface SplitInputs {
  readonly name: string;
  readonly size: number;
  readonly labels: Int32Array;
  readonly columns: Readonly<Record<string, ModalityColumn>>;
}

/** How a model wants the features of a modality. */
export type FeatureMode = 'vector' | 'tokens';

/**
 * One batch of one modality, prepared on the host. `diff` are the tensors whose gradient the
 * encoder needs back (e.g. pooled embedding-bag rows of a host-side table); they are inputs of
 * the differentiable pass, created and disposed by the trainer's step.
 */
export interface EncodedBatch {
  readonly diff: tf.Tensor[];
  /** h^m [B, D_m] from `diff` (inside the differentiable pass). */
  features(diff: tf.Tensor[], p: ParamTensors): tf.Tensor2D;
  /** Receives d loss / d diff after the step (trainable host tables). */
  backward?(grads: Float32Array[]): void;
  /** Free the batch's host-created tensors (called by the trainer after the step). */
  dispose?(): void;
}

/** An encoder f^m of one modality (Section IV: h_i^m = f^m(x_i^m)). */
export interface ModalityEncoder {
  /** Dataset modality it reads (e.g. `text`, `attributes`, `image`). */
  readonly modality: string;
  /** D_m: width of h^m in the mode it was built for. */
  readonly dim: number;
  /** `vector` (h^m [B, D_m]) or `tokens` (h^m = L tokens of width tokenDim, flattened: D_m = L * tokenDim). */
  readonly mode: FeatureMode;
  /** Width of one token in `tokens` mode (= dim in `vector` mode). */
  readonly tokenDim: number;
  /** Human-readable description for result tables, e.g. "BoW(GloVe-100 via wink), trainable". */
  readonly description: string;
  /** Prepare the batch `rows` of a split. `training` = gradients will be applied. */
  batch(split: SplitInputs, rows: Int32Array, training: boolean): EncodedBatch;
  /** Apply the accumulated host-table gradients (once per step, after every backward). */
  step?(): void;
  /** Copy of the host-side trainable state (best-model snapshots); dense params live in the ParamStore. */
  snapshot?(): Float32Array[];
  restore?(state: Float32Array[]): void;
}

/** What the trainer passes to models and plug-ins for one batch. */
export interface StepContext {
  /** 0-based epoch. */
  readonly epoch: number;
  readonly training: boolean;
  /** Row ids of the batch in its split (QMF's per-sample history uses them). */
  readonly rows: Int32Array;
  readonly labels: Int32Array;
  readonly numClasses: number;
  /**
   * Host copies of per-sample values recorded during the differentiable pass (read with
   * dataSync, e.g. QMF's per-sample losses), consumed by `afterStep` hooks.
   */
  readonly sink: Map<string, Float32Array>;
}

/** Output of a model's fusion + target mapping. */
export interface FusionOutput {
  /** [B, C]; argmax = prediction (logits, or Dirichlet parameters for TMC). */
  readonly scores: tf.Tensor2D;
  /** Anything the model's loss needs (per-modality logits, confidences, evidences). */
  readonly parts: Readonly<Record<string, tf.Tensor>>;
}

/**
 * A multimodal (or uni-modal) classifier: a fusion F and a target mapping over the features of
 * its modalities, and its base loss. IMML and the other plug-ins only use this interface.
 */
export interface ClsModel {
  /** Registry key. */
  readonly name: string;
  /** Display name in tables (e.g. "L-f", "QMF"). */
  readonly label: string;
  /** Feature mode wanted from every encoder. */
  readonly mode: FeatureMode;
  /**
   * F + target mapping: per-modality features (predominant first) -> scores. Row-wise: each
   * sample's scores and parts depend on its own features only (the trainer runs plug-ins' extra
   * rows, e.g. IMML's mixed samples, through one call together with the batch; the conformance
   * suite checks it for every registered model).
   */
  fuse(hs: tf.Tensor2D[], p: ParamTensors, ctx: StepContext): FusionOutput;
  /** The base loss L of the model on hard labels (ctx.labels). */
  loss(out: FusionOutput, p: ParamTensors, ctx: StepContext): tf.Scalar;
  /**
   * The downstream loss with soft targets lambda onehot(yA) + (1 - lambda) onehot(yB) (IMML's
   * L_beta, Eq. 6); by default soft cross-entropy on `scores`.
   */
  softLoss(out: FusionOutput, yA: Int32Array, yB: Int32Array, lambda: Float32Array, ctx: StepContext): tf.Scalar;
  /** Host-side work after a training step (e.g. QMF's history update from ctx.sink). */
  afterStep?(ctx: StepContext): void;
}

/** What a model factory gets. */
export interface ModelBuildContext {
  /** D_m of each modality, predominant first. */
  readonly dims: readonly number[];
  /** Token widths (tokens mode). */
  readonly tokenDims: readonly number[];
  readonly modalities: readonly string[];
  readonly numClasses: number;
  /** Training-set size (per-sample state such as QMF's history). */
  readonly trainSize: number;
  readonly store: ParamStore;
  readonly rng: Rng;
  /** Model-specific options (flat, from the config). */
  readonly options: Readonly<Record<string, number | string | boolean>>;
}

/** Features of a batch as a plug-in sees them. */
export interface PluginFeatures {
  /** Encoder outputs h^m. */
  readonly raw: tf.Tensor2D[];
  /** Features entering the fusion (h^m weighted by IMML's N_DK when IMML is on, else = raw). */
  readonly fused: tf.Tensor2D[];
}

/**
 * A plug-in adds terms to the loss of any model (and may weigh the features, as IMML does).
 * Hooks run in the order the plug-ins are listed.
 */
export interface ClsPlugin {
  readonly name: string;
  readonly label: string;
  /** Replace h^m before the fusion (IMML's N_DK). Only one plug-in may weigh. */
  weigh?(hs: tf.Tensor2D[], p: ParamTensors): tf.Tensor2D[];
  /**
   * Extra samples to run through the model's fusion in the same call as the training batch
   * (IMML's mixed samples of L_beta). `stacked` are the fusion's inputs so far, per modality: the
   * batch's fused features first, then the rows of the plug-ins before this one. Returns them with
   * this plug-in's rows appended (same widths), or undefined for none. Their output comes back to
   * `loss` as `extra`; one fusion call on B + R rows costs far less than two small ones, and
   * appending its own rows lets a plug-in build them in one op.
   */
  appendRows?(f: PluginFeatures, stacked: tf.Tensor2D[], p: ParamTensors, ctx: StepContext): tf.Tensor2D[] | undefined;
  /**
   * Extra loss terms for a training batch (already weighted by the plug-in's own coefficients).
   * `extra`: the model's output on the rows `appendRows` appended for this step, when it did.
   */
  loss(f: PluginFeatures, out: FusionOutput, model: ClsModel, p: ParamTensors, ctx: StepContext, extra?: FusionOutput): tf.Scalar;
  /** Before the first epoch (e.g. UMT trains its teachers, PMR computes its first prototypes). */
  beforeTraining?(host: TrainerHost): Promise<void> | void;
  /** After each epoch (PMR recomputes its prototypes). */
  afterEpoch?(host: TrainerHost, epoch: number): void;
  /** Host-side work before a training step (e.g. UMT looks up the teacher features of the batch). */
  beforeStep?(ctx: StepContext): void;
  /** Values to report with the result (e.g. PMR's last rho). */
  report?(): Record<string, number | string>;
}

/** A model trained inside a run (e.g. UMT's uni-modal teachers) on some of its modalities. */
export interface NestedModel {
  /** Display name in the log. */
  readonly label: string;
  /** Dataset modalities it reads (a subset of the run's). */
  readonly modalities: readonly string[];
  /** Label of its random stream (derived from the run seed). */
  readonly stream: string;
  readonly create: (ctx: ModelBuildContext) => ClsModel;
}

/** What the trainer exposes to plug-in hooks. */
export interface TrainerHost {
  readonly train: SplitInputs;
  readonly numClasses: number;
  readonly modalities: readonly string[];
  /** Feature mode of the run's model (and of its encoders). */
  readonly mode: FeatureMode;
  /** The run's configuration as plain data (the shipped variant resolved), e.g. for cache keys. */
  readonly settings: Readonly<Record<string, unknown>>;
  /**
   * Train `model` with fresh encoders of the run's configuration and the run's training loop
   * (early stopping on dev, no plug-ins); resolves to its encoder outputs h^m of every training
   * sample, one [trainSize * D_m] array per modality of `model.modalities`.
   */
  trainNested(model: NestedModel): Promise<Float32Array[]>;
  /** Features entering the fusion for `rows` of a split, computed without gradients ([rows, D_m] per modality, host copies). */
  fusedFeatures(split: SplitInputs, rows: Int32Array): Float32Array[];
  /** The seeded generator of the run (derive sub-streams from it). */
  readonly rng: Rng;
  readonly log: (msg: string) => void;
  /**
   * Lets another thread take the optimiser steps of the plug-in's parameter `name` (IMML's
   * projection heads on the graph thread): see DenseOptimizer.offload. Undefined where the run's
   * optimiser cannot share its state.
   */
  offloadParam(name: string): OffloadedParam | undefined;
}
