import * as tf from '@tensorflow/tfjs';
import { pickGiven, resolveOptions, type Schema } from '../../src/options';
import type { ParamTensors } from '../../src/params';
import type { ClsModel, FusionOutput, ModelBuildContext, StepContext } from '../../src/classification/types';
import { addLinear, crossEntropy, crossEntropyPerSample, linear, softLogitsLoss, stopGradient } from './common';

/** QMF's option: the weight of its confidence-ranking regulariser (the official code's 1). */
export const QMF_OPTIONS: Schema<{ qmfRankWeight: number }> = {
  qmfRankWeight: { type: 'number', default: 1, min: 0, help: 'QMF: weight of the confidence-ranking loss' },
};

/**
 * QMF's per-sample training history of one modality (official code QingyangZhang/QMF,
 * `src/utils/utils.py` class `History`): the cumulative sum of each training sample's loss
 * ("correctness"), min-max normalised over all samples when read.
 */
export class QMFHistory {
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
 * Pair targets of QMF's ranking regulariser (History.get_target_margin), on the host:
 * c = history(rows) + current per-sample losses (the official code updates the history before
 * computing the target), min-max normalised over the whole updated history (`others` = min/max
 * of the history outside the batch); pairs (i, i+1 mod B); target = sign(c_i - c_{i+1}),
 * margin = |c_i - c_{i+1}| (normalised values).
 */
export function qmfRankTargets(currentLoss: Float32Array, histBatch: Float32Array, others: { min: number; max: number }): { target: Float32Array; margin: Float32Array } {
  const B = currentLoss.length;
  const c = new Float64Array(B);
  let lo = others.min;
  let hi = others.max;
  for (let i = 0; i < B; i++) {
    c[i] = histBatch[i] + currentLoss[i];
    if (!(c[i] >= lo)) lo = c[i];
    if (!(c[i] <= hi)) hi = c[i];
  }
  const range = hi - lo > 0 ? hi - lo : 1;
  const target = new Float32Array(B);
  const margin = new Float32Array(B);
  for (let i = 0; i < B; i++) {
    const a = (c[i] - lo) / range;
    const b = (c[(i + 1) % B] - lo) / range;
    target[i] = a > b ? 1 : a < b ? -1 : 0;
    margin[i] = Math.abs(a - b);
  }
  return { target, margin };
}

/**
 * QMF's ranking regulariser of one modality (train_qmf.py `rank_loss`), differentiable in
 * `conf` [B]: mean_i max(0, t_i (conf_i - conf_{i+1} - margin_i / t'_i)) with t' = t where
 * t != 0 else 1 — torch's MarginRankingLoss(margin=0)(conf, roll(conf, -1) + margin / t', -t) as
 * the official code calls it; targets from {@link qmfRankTargets}.
 */
export function qmfRankLoss(conf: tf.Tensor1D, target: Float32Array, margin: Float32Array): tf.Scalar {
  return tf.tidy(() => {
    const B = conf.shape[0];
    const conf2 = B > 1 ? tf.concat([tf.slice(conf, 1, B - 1), tf.slice(conf, 0, 1)]) : conf;
    const shift = Float32Array.from(margin, (m, i) => m / (target[i] === 0 ? 1 : target[i]));
    const diff = tf.sub(conf, tf.add(conf2, tf.tensor1d(shift)));
    return tf.mean(tf.relu(tf.mul(tf.tensor1d(target), diff))) as tf.Scalar;
  });
}

/**
 * Quality-aware Multimodal Fusion (QMF; Zhang, Wu, Liu, Zhang, Zhou, Hu, Peng, "Provable
 * Dynamic Fusion for Low-Quality Multimodal Data", ICML 2023; official code QingyangZhang/QMF,
 * `late_fusion.py` with `df = True` and `train_qmf.py`):
 * per modality a linear classifier (logits_m); energy confidence conf_m = logsumexp(logits_m) / 10;
 * fused = sum_m logits_m * conf_m with the confidences detached; loss = sum_m CE(logits_m) +
 * CE(fused) + sum_m rankLoss_m, where rankLoss_m ties conf_m to the sample's cumulative
 * training loss ({@link qmfRankLoss}, {@link QMFHistory}). Prediction = argmax of the fused logits.
 */
export class QMF implements ClsModel {
  readonly name = 'qmf';
  readonly label = 'QMF';
  readonly mode = 'vector' as const;
  readonly histories: QMFHistory[];
  private readonly rankWeight: number;

  constructor(ctx: ModelBuildContext) {
    if (ctx.dims.length < 2) throw new Error('qmf needs at least two modalities');
    ctx.dims.forEach((d, m) => addLinear(ctx.store, ctx.rng, `head.${m}`, d, ctx.numClasses));
    this.histories = ctx.dims.map(() => new QMFHistory(ctx.trainSize));
    this.rankWeight = resolveOptions(QMF_OPTIONS, pickGiven(QMF_OPTIONS, ctx.options), 'qmf').qmfRankWeight;
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
      const current = Float32Array.from(perSample.dataSync() as Float32Array);
      ctx.sink.set(`qmf.loss.${m}`, current);
      const h = this.histories[m];
      const histBatch = new Float32Array(ctx.rows.length);
      for (let i = 0; i < ctx.rows.length; i++) histBatch[i] = h.cumulative[ctx.rows[i]];
      const { target, margin } = qmfRankTargets(current, histBatch, h.rangeExcept(ctx.rows));
      const conf = tf.reshape(out.parts[`conf.${m}`], [-1]) as tf.Tensor1D;
      terms.push(tf.mul(this.rankWeight, qmfRankLoss(conf, target, margin)) as tf.Scalar);
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
