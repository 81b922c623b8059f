import * as tf from '@tensorflow/tfjs';
import { pickGiven, resolveOptions, type Schema } from '../../src/options';
import type { ParamTensors } from '../../src/params';
import type { ClsModel, FusionOutput, ModelBuildContext, StepContext } from '../../src/classification/types';
import { addLinear, digamma, lgamma, lgammaHost, linear, mixedTargets, oneHot } from './common';

/** TMC's option: epochs over which the KL term's weight anneals to 1 (the official code's 10). */
export const TMC_OPTIONS: Schema<{ tmcAnnealingEpochs: number }> = {
  tmcAnnealingEpochs: { type: 'int', default: 10, min: 1, max: 1_000_000, help: 'TMC: annealing epochs of the KL term' },
};

/**
 * Dempster–Shafer combination of two Dirichlet opinions (TMC, Han et al. ICLR 2021, official code
 * hanmenghan/TMC and QMF's `TMC.DS_Combin_two`): with K classes, per view v
 * b^v = (alpha^v - 1) / S^v, u^v = K / S^v; conflict C = sum_{i != j} b^1_i b^2_j;
 * b = (b^1 b^2 + b^1 u^2 + b^2 u^1) / (1 - C), u = u^1 u^2 / (1 - C); S = K / u; alpha = b S + 1.
 * alpha1, alpha2: [B, K] -> [B, K].
 */
export function dsCombineTwo(alpha1: tf.Tensor2D, alpha2: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const K = alpha1.shape[1];
    const S1 = tf.sum(alpha1, 1, true);
    const S2 = tf.sum(alpha2, 1, true);
    const b1 = tf.div(tf.sub(alpha1, 1), S1);
    const b2 = tf.div(tf.sub(alpha2, 1), S2);
    const u1 = tf.div(K, S1);
    const u2 = tf.div(K, S2);
    // sum_{i,j} b1_i b2_j - sum_i b1_i b2_i = (sum b1)(sum b2) - sum b1 b2
    const b1b2 = tf.mul(b1, b2);
    const conflict = tf.sub(tf.mul(tf.sum(b1, 1, true), tf.sum(b2, 1, true)), tf.sum(b1b2, 1, true));
    const norm = tf.sub(1, conflict);
    const b = tf.div(tf.add(tf.add(b1b2, tf.mul(b1, u2)), tf.mul(b2, u1)), norm);
    const u = tf.div(tf.mul(u1, u2), norm);
    const S = tf.div(K, u);
    return tf.add(tf.mul(b, S), 1) as tf.Tensor2D;
  });
}

/**
 * KL(Dir(alpha) || Dir(1)) per row, [B, 1] (TMC's `KL(alpha, c)`):
 * ln Gamma(S) - sum ln Gamma(alpha_k) - ln Gamma(K) + sum (alpha_k - 1)(psi(alpha_k) - psi(S)).
 */
export function klToUniformDirichlet(alpha: tf.Tensor2D): tf.Tensor2D {
  const K = alpha.shape[1];
  const S = tf.sum(alpha, 1, true);
  const lnB = tf.sub(lgamma(S), tf.sum(lgamma(alpha), 1, true));
  const lnBUni = -lgammaHost(K); // sum ln Gamma(1) = 0
  const dg = tf.sub(digamma(alpha), digamma(S));
  return tf.add(tf.add(tf.sum(tf.mul(tf.sub(alpha, 1), dg), 1, true), lnB), lnBUni) as tf.Tensor2D;
}

/**
 * TMC's loss of one opinion for targets y [B, K] (rows sum to 1): mean over rows of
 * sum_k y_k (psi(S) - psi(alpha_k)) + annealing * KL(Dir(~alpha) || Dir(1)) with
 * ~alpha = (alpha - 1)(1 - y) + 1 (the evidence of the target removed), annealing = min(1, t/T).
 * For one-hot y this is TMC's `ce_loss` exactly; for soft y (IMML's L_beta) it is its natural
 * extension (our reading: TMC defines no soft-target loss).
 */
export function tmcLoss(alpha: tf.Tensor2D, y: tf.Tensor2D, annealing: number): tf.Scalar {
  return tf.tidy(() => {
    const S = tf.sum(alpha, 1, true);
    const A = tf.sum(tf.mul(y, tf.sub(digamma(S), digamma(alpha))), 1, true);
    if (annealing <= 0) return tf.mean(A) as tf.Scalar;
    const alp = tf.add(tf.mul(tf.sub(alpha, 1), tf.sub(1, y)), 1) as tf.Tensor2D;
    return tf.mean(tf.add(A, tf.mul(annealing, klToUniformDirichlet(alp)))) as tf.Scalar;
  });
}

/**
 * Trusted Multi-view Classification (TMC; Han, Zhang, Fu, Zhou, ICLR 2021; official code
 * hanmenghan/TMC, text-image version in QingyangZhang/QMF `src/models/tmc.py` + `train_tmc.py`):
 * per modality a linear classifier, evidence = softplus(logits), alpha = evidence + 1; the
 * opinions are fused by the Dempster–Shafer rule ({@link dsCombineTwo}, folded left for more
 * than two modalities as TMC's `DS_Combin`); loss = sum over the views and the combination of
 * {@link tmcLoss} with annealing min(1, epoch / annealingEpochs) (QMF's train_tmc: 10 epochs).
 * Prediction = argmax of the combined alpha.
 */
export class TMC implements ClsModel {
  readonly name = 'tmc';
  readonly label = 'TMC';
  readonly mode = 'vector' as const;
  private readonly annealingEpochs: number;

  constructor(ctx: ModelBuildContext) {
    this.annealingEpochs = resolveOptions(TMC_OPTIONS, pickGiven(TMC_OPTIONS, ctx.options), 'tmc').tmcAnnealingEpochs;
    ctx.dims.forEach((d, m) => addLinear(ctx.store, ctx.rng, `head.${m}`, d, ctx.numClasses));
  }

  fuse(hs: tf.Tensor2D[], p: ParamTensors): FusionOutput {
    const alphas = hs.map((h, m) => tf.add(tf.softplus(linear(h, p, `head.${m}`)), 1) as tf.Tensor2D);
    let combined = alphas[0];
    for (let m = 1; m < alphas.length; m++) combined = dsCombineTwo(combined, alphas[m]);
    const parts: Record<string, tf.Tensor> = {};
    alphas.forEach((a, m) => (parts[`alpha.${m}`] = a));
    return { scores: combined, parts };
  }

  private annealing(epoch: number): number {
    return Math.min(1, epoch / this.annealingEpochs);
  }

  loss(out: FusionOutput, _p: ParamTensors, ctx: StepContext): tf.Scalar {
    const y = oneHot(ctx.labels, ctx.numClasses);
    const a = this.annealing(ctx.epoch);
    const views = Object.keys(out.parts).filter((k) => k.startsWith('alpha.'));
    let total = tmcLoss(out.scores, y, a);
    // with one modality the combination is the view itself: count it once
    if (views.length > 1) for (const k of views) total = tf.add(total, tmcLoss(out.parts[k] as tf.Tensor2D, y, a)) as tf.Scalar;
    return total;
  }

  /** IMML's L_beta on TMC: {@link tmcLoss} of the combined opinion with the mixed soft targets. */
  softLoss(out: FusionOutput, yA: Int32Array, yB: Int32Array, lambda: Float32Array, ctx: StepContext): tf.Scalar {
    return tmcLoss(out.scores, mixedTargets(yA, yB, lambda, ctx.numClasses), this.annealing(ctx.epoch));
  }
}
