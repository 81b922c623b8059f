/**
 * The core's plug-in hook interface: a plug-in that reweighs a model's per-modality
 * representations h^m and adds loss terms computed on mixed samples. The training steps call
 * these hooks only; the implementation (imml/, "Interventional Imbalanced Multi-Modal
 * Representation Learning via beta-Generalization Front-Door Criterion") is injected by src/app.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ParamTensors } from './params';
import type { Rng } from './rng';

/** The mixed samples z(h^p_i, h^a_{i'}) of one L_beta evaluation (Eq. 6). */
export interface BetaMix {
  /**
   * Mixed per-modality inputs for the host's fusion F: [lambda h^p_i, (1-lambda)/(M-1) h^a_{i'}, ...],
   * each [rows, D_m]; built when first read (a host that fuses the mix with its batch builds the
   * stacked rows itself from `sources` and `scales`).
   */
  readonly features: tf.Tensor2D[];
  /** Per modality m, the batch row of each mixed row: features[m][r] = scales[m][r] * weighted[m][sources[m][r]]. */
  sources: Int32Array[];
  scales: Float32Array[];
  /** Batch row i of each mixed sample (its predominant modality and its own label/context). */
  anchors: Int32Array;
  /** Batch row i' of each mixed sample (its auxiliary modalities and the second label). */
  partners: Int32Array;
  /** lambda ~ Beta(alpha, beta) per mixed sample: target = lambda y_i + (1 - lambda) y_{i'}. */
  lambda: Float32Array;
}

/** Which (i, i') pairs and lambdas a step uses; drawn before the differentiable pass. */
export interface BetaDraw {
  /** One block per shift n: anchors 0..rows-1, partners (i + n) mod B. */
  blocks: { shift: number; rows: number; lambda: Float32Array }[];
  batchSize: number;
}

/** The extra loss terms a plug-in adds to a step (IMML: the terms of Eq. 7 besides the base loss). */
export interface PluginLosses {
  /** gamma1 L_mdke + gamma2 L_beta (add the base loss to get L_imml). */
  total: tf.Scalar;
  mdke: tf.Scalar;
  beta: tf.Scalar;
  /**
   * Set when L_mdke ran on another thread: `mdke` and L_mdke's share of `total` are then 0 in the
   * forward pass, the share is added to lossAndGrads' loss after the backward pass
   * (addLateLossTerm), and this gives L_mdke for reports (call it after that pass).
   */
  lateMdke?: () => number;
}

/** What a training step needs from a representation plug-in (IMML implements it). */
export interface RepresentationPlugin {
  /** The plug-in's own random stream (checkpointed with the trainer's). */
  readonly rng: Rng;
  /** Reweighted h^m, used in the model's forward pass too. */
  weigh(hs: tf.Tensor2D[], p: ParamTensors): tf.Tensor2D[];
  /** The (i, i') pairs and lambdas of one batch of B rows, drawn before the differentiable pass. */
  drawBeta(B: number): BetaDraw;
  /** Rows of x (one per batch sample) for the mixed samples' anchors i, in mix order. */
  anchorRows<T extends tf.Tensor>(x: T, draw: BetaDraw): T;
  /** The extra loss terms; `betaLossOf` is the host's downstream loss of the mixed samples. */
  losses(weighted: tf.Tensor2D[], p: ParamTensors, draw: BetaDraw, betaLossOf: (mix: BetaMix) => tf.Scalar, complete?: Uint8Array): PluginLosses;
}
