import * as tf from '@tensorflow/tfjs';
import type { ParamTensors } from '../../src/params';
import type { ClsModel, FusionOutput, ModelBuildContext, StepContext } from '../../src/classification/types';
import { addLinear, crossEntropy, crossEntropyPerSample, linear, softLogitsLoss, stopGradient } from './common';

/**
 * QMF's per-sample training history of one modality (official code QingyangZhang/QMF,
 * `src/utils/utils.py` class `History`): the cumulative sum of each training sample's loss
 * ("correctness"), min-max normalised over all samples when read.
 */
export class QmfHistory {
  readonly cumulative: Float64Array;

  constructor(readonly size: number) {
    this.cumulative = new Float64Array(size);
  }

  /** correctness[rows] += losses (History.correctness_update). */
  add(rows: Int32Array, losses: Float32Array): void {
    for (let i = 0; i < rows.length; i++) this.cumulative[rows[i]] += losses[i];
  }

  /** Min and max of the history over the samples not in `rows`. */
  rangeExcept(rows: Int32Array): { min: number; max: number } {
    const inBatch = new Set<number>(rows);
    let min = Infinity;
    let max = -Infinity;
    const c = this.cumulative;
    for (let i = 0; i < c.length; i++) {
      if (inBatch.has(i)) continue;
      const v = c[i];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    return { min, max };
  }
}

/**
 * QMF's ranking regulariser of one modality (train_qmf.py `rank_loss` + History
 * `get_target_margin`), differentiable in `conf` [B]:
 * c = history(rows) + current per-sample losses (the official code updates the history before
 * computing the target), normalised by the min and max of the whole updated history;
 * pairs (i, i+1 mod B); target t = sign(c_i - c_{i+1}), margin = |c_i - c_{i+1}|;
 * loss = mean_i max(0, t (conf_i - conf_{i+1} - margin / t')) with t' = t where t != 0 else 1
 * (torch's MarginRankingLoss(margin=0) with y = -t, as the official code calls it).
 * `currentLoss` [B] must be detached; `histBatch` are the history values of the batch rows
 * before this step; `others` the min/max of the history over the samples outside the batch.
 */
export function qmfRankLoss(conf: tf.Tensor1D, currentLoss: tf.Tensor1D, histBatch: Float32Array, others: { min: number; max: number }): tf.Scalar {
  return tf.tidy(() => {
    const B = conf.shape[0];
    const c = tf.add(tf.tensor1d(histBatch), currentLoss) as tf.Tensor1D;
    let lo = tf.min(c);
    let hi = tf.max(c);
    if (Number.isFinite(others.min)) {
      lo = tf.minimum(lo, others.min);
      hi = tf.maximum(hi, others.max);
    }
    const range = tf.maximum(tf.sub(hi, lo), 1e-12);
    const n = tf.div(tf.sub(c, lo), range) as tf.Tensor1D;
    const roll = <T extends tf.Tensor1D>(x: T): T => (B > 1 ? (tf.concat([tf.slice(x, 1, B - 1), tf.slice(x, 0, 1)]) as T) : x);
    const n2 = roll(n);
    const target = tf.sign(tf.sub(n, n2));
    const margin = tf.abs(tf.sub(n, n2));
    const targetNonZero = tf.where(tf.equal(target, 0), tf.onesLike(target), target);
    const conf2 = tf.add(roll(conf), tf.div(margin, targetNonZero));
    return tf.mean(tf.relu(tf.mul(target, tf.sub(conf, conf2)))) as tf.Scalar;
  });
}

/**
 * Quality-aware Multimodal Fusion (QMF; Zhang, Wu, Liu, Zhang, Zhou, Hu, Peng, "Provable
 * Dynamic Fusion for Low-Quality Multimodal Data", ICML 2023; official code QingyangZhang/QMF,
 * `late_fusion.py` with `df = True` and `train_qmf.py`):
 * per modality a linear classifier (logits_m); energy confidence conf_m = logsumexp(logits_m) / 10;
 * fused = sum_m logits_m * conf_m with the confidences detached; loss = sum_m CE(logits_m) +
 * CE(fused) + sum_m rankLoss_m, where rankLoss_m ties conf_m to the sample's cumulative
 * training loss ({@link qmfRankLoss}, {@link QmfHistory}). Prediction = argmax of the fused logits.
 */
export class Qmf implements ClsModel {
  readonly name = 'qmf';
  readonly label = 'QMF';
  readonly mode = 'vector' as const;
  readonly histories: QmfHistory[];
  private readonly rankWeight: number;

  constructor(ctx: ModelBuildContext) {
    if (ctx.dims.length < 2) throw new Error('qmf needs at least two modalities');
    ctx.dims.forEach((d, m) => addLinear(ctx.store, ctx.rng, `head.${m}`, d, ctx.numClasses));
    this.histories = ctx.dims.map(() => new QmfHistory(ctx.trainSize));
    this.rankWeight = Number(ctx.options.qmfRankWeight ?? 1);
  }

  fuse(hs: tf.Tensor2D[], p: ParamTensors): FusionOutput {
    const logits = hs.map((h, m) => linear(h, p, `head.${m}`));
    const confs = logits.map((l) => tf.div(tf.logSumExp(l, 1, true), 10) as tf.Tensor2D); // [B, 1]
    const fused = tf.addN(logits.map((l, m) => tf.mul(l, stopGradient(confs[m])))) as tf.Tensor2D;
    const parts: Record<string, tf.Tensor> = {};
    logits.forEach((l, m) => {
      parts[`logits.${m}`] = l;
      parts[`conf.${m}`] = confs[m];
    });
    return { scores: fused, parts };
  }

  loss(out: FusionOutput, _p: ParamTensors, ctx: StepContext): tf.Scalar {
    const M = this.histories.length;
    const terms: tf.Scalar[] = [crossEntropy(out.scores, ctx.labels)];
    for (let m = 0; m < M; m++) {
      const logits = out.parts[`logits.${m}`] as tf.Tensor2D;
      const perSample = crossEntropyPerSample(logits, ctx.labels);
      terms.push(tf.mean(perSample) as tf.Scalar);
      if (!ctx.training || this.rankWeight === 0) continue;
      const detached = stopGradient(perSample);
      const current = detached.dataSync() as Float32Array;
      ctx.sink.set(`qmf.loss.${m}`, Float32Array.from(current));
      const h = this.histories[m];
      const histBatch = new Float32Array(ctx.rows.length);
      for (let i = 0; i < ctx.rows.length; i++) histBatch[i] = h.cumulative[ctx.rows[i]];
      const conf = tf.reshape(out.parts[`conf.${m}`], [-1]) as tf.Tensor1D;
      terms.push(tf.mul(this.rankWeight, qmfRankLoss(conf, detached, histBatch, h.rangeExcept(ctx.rows))) as tf.Scalar);
    }
    return tf.addN(terms) as tf.Scalar;
  }

  softLoss = softLogitsLoss;

  /** History update with this step's per-sample losses (recorded by `loss`). */
  afterStep(ctx: StepContext): void {
    this.histories.forEach((h, m) => {
      const l = ctx.sink.get(`qmf.loss.${m}`);
      if (l) h.add(ctx.rows, l);
    });
  }
}
