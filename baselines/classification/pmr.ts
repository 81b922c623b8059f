import * as tf from '@tensorflow/tfjs';
import { defaultsOf, type Schema } from '../../src/options';
import type { ParamTensors } from '../../src/params';
import type { Rng } from '../../src/rng';
import type { ClsModel, ClsPlugin, FusionOutput, PluginFeatures, StepContext, TrainerHost } from '../../src/classification/types';
import { crossEntropy, euclideanDistances } from './common';

/** Options of {@link PMRPlugin} (defaults of the official code's arguments). */
export interface PmrOptions {
  /** alpha: weight of the prototype cross-entropy of the weaker modality (official default 1.0). */
  alpha: number;
  /** Momentum of the prototype update: P <- (1 - m) P_new + m P_old (official 0.2). */
  momentum: number;
  /** Fraction of the training set averaged into the prototypes (official: the first 1/10 of the shuffled loader). */
  fraction: number;
  /** Epochs [start, end] in which the modulation is applied (official 0..100). */
  startEpoch: number;
  endEpoch: number;
}

/** PMR's options with their defaults (the official code's arguments). */
export const PMR_OPTIONS: Schema<PmrOptions> = {
  alpha: { type: 'number', default: 1, min: 0, help: 'weight of the prototype loss' },
  momentum: { type: 'number', default: 0.2, min: 0, max: 1, help: 'momentum of the prototype update' },
  fraction: { type: 'number', default: 0.1, above: 0, max: 1, help: 'fraction of the training set averaged into the prototypes' },
  startEpoch: { type: 'int', default: 0, min: 0, max: 1_000_000, help: 'first epoch of the modulation' },
  endEpoch: { type: 'int', default: 100, min: 0, max: 1_000_000, help: 'last epoch of the modulation' },
};

export const DEFAULT_PMR: PmrOptions = defaultsOf(PMR_OPTIONS);

/**
 * Class means of `features` ([n * D], rows aligned with `labels`) as [C * D]; a class without
 * samples keeps `fallback`'s row (zeros when there is none).
 */
export function classMeans(features: Float32Array, labels: ArrayLike<number>, numClasses: number, D: number, fallback?: Float32Array): Float32Array {
  const sums = new Float64Array(numClasses * D);
  const counts = new Float64Array(numClasses);
  for (let i = 0; i < labels.length; i++) {
    const k = labels[i];
    counts[k]++;
    for (let j = 0; j < D; j++) sums[k * D + j] += features[i * D + j];
  }
  const out = new Float32Array(numClasses * D);
  for (let k = 0; k < numClasses; k++) {
    for (let j = 0; j < D; j++) out[k * D + j] = counts[k] > 0 ? sums[k * D + j] / counts[k] : (fallback?.[k * D + j] ?? 0);
  }
  return out;
}

/**
 * Prototypical Modal Rebalance (PMR; Fan, Xu, Wu, Lu, Yang, "PMR: Prototypical Modal Rebalance for
 * Multimodal Learning", CVPR 2023; official code fanyunfeng-bit/Modal-Imbalance-PMR,
 * `main_Prototype_grad.py`), as a plug-in on any model:
 * - prototypes p_k^m = mean of the class-k features of modality m over a random `fraction` of the
 *   training set, computed before training and after every epoch, with momentum from the second
 *   update on (the official `calculate_prototype`);
 * - prototype logits s^m_k = -||h^m - p_k^m||_2;
 * - per batch, score^m = sum_i softmax(s^m)_i[y_i]; with two modalities rho = score^1 / score^2:
 *   rho > 1 adds alpha * CE(s^2, y), rho < 1 adds alpha * CE(s^1, y) (the weaker modality gets the
 *   prototype loss). With more modalities every modality scoring below the best one gets it
 *   (our generalisation; identical for two).
 * h^m are the features entering the fusion (IMML-weighted when IMML is also on).
 */
export class PMRPlugin implements ClsPlugin {
  readonly name = 'pmr';
  readonly label = 'PMR';
  readonly options: PmrOptions;
  prototypes: Float32Array[] = [];
  private lastRho = NaN;
  private applied = [0, 0];

  constructor(readonly dims: readonly number[], readonly numClasses: number, options: Partial<PmrOptions>, private readonly rng: Rng) {
    this.options = { ...DEFAULT_PMR, ...options };
    if (dims.length < 2) throw new Error('pmr needs at least two modalities');
  }

  private update(host: TrainerHost, epoch: number): void {
    const n = host.train.size;
    const k = Math.max(1, Math.round(n * this.options.fraction));
    const order = Int32Array.from({ length: n }, (_, i) => i);
    this.rng.shuffle(order);
    const rows = order.slice(0, k).sort();
    const feats = host.fusedFeatures(host.train, rows);
    const labels = Array.from(rows, (r) => host.train.labels[r]);
    const m0 = this.options.momentum;
    this.prototypes = feats.map((f, m) => {
      const fresh = classMeans(f, labels, this.numClasses, this.dims[m], this.prototypes[m]);
      if (epoch <= 0 || !this.prototypes[m]) return fresh;
      const old = this.prototypes[m];
      for (let i = 0; i < fresh.length; i++) fresh[i] = (1 - m0) * fresh[i] + m0 * old[i];
      return fresh;
    });
  }

  beforeTraining(host: TrainerHost): void {
    this.update(host, 0);
  }

  afterEpoch(host: TrainerHost, epoch: number): void {
    this.update(host, epoch);
  }

  /** Prototype logits -||h - p_k|| of modality m: [B, C]. */
  prototypeLogits(h: tf.Tensor2D, m: number): tf.Tensor2D {
    const P = tf.tensor2d(this.prototypes[m], [this.numClasses, this.dims[m]]);
    return tf.neg(euclideanDistances(h, P)) as tf.Tensor2D;
  }

  loss(f: PluginFeatures, _out: FusionOutput, _model: ClsModel, _p: ParamTensors, ctx: StepContext): tf.Scalar {
    const { alpha, startEpoch, endEpoch } = this.options;
    if (!ctx.training || ctx.epoch < startEpoch || ctx.epoch > endEpoch || this.prototypes.length === 0) return tf.scalar(0);
    const logits = f.fused.map((h, m) => this.prototypeLogits(h, m));
    const onehot = tf.oneHot(tf.tensor1d(ctx.labels, 'int32'), this.numClasses).toFloat();
    const scores = logits.map((s) => (tf.sum(tf.mul(tf.softmax(s), onehot)).dataSync() as Float32Array)[0]);
    const best = Math.max(...scores);
    this.lastRho = scores[0] / scores[1];
    const terms: tf.Scalar[] = [];
    scores.forEach((s, m) => {
      if (s < best) {
        this.applied[m] = (this.applied[m] ?? 0) + 1;
        terms.push(tf.mul(alpha, crossEntropy(logits[m], ctx.labels)) as tf.Scalar);
      }
    });
    return terms.length === 0 ? tf.scalar(0) : (tf.addN(terms) as tf.Scalar);
  }

  report(): Record<string, number | string> {
    const out: Record<string, number> = { pmrLastRho: this.lastRho };
    this.applied.forEach((c, m) => (out[`pmrStepsOnModality${m}`] = c));
    return out;
  }
}
