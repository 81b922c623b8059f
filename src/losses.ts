import { component, lookup, pickGiven, resolveOptions, type Registry, type Schema } from './options';

/**
 * Training losses over raw score arrays, each computing the scalar loss AND its gradient
 * with respect to every score in one pass (the hot path of negative-sampling training).
 *
 * Conventions everywhere in this file:
 * - scores are "higher = more plausible" (a distance model reports score = -d or gamma - d);
 * - `pos` has shape [batch], `neg` has shape [batch * k], the k negatives of positive i at
 *   `neg[i*k .. i*k+k-1]` (the layout `NegativeSampler.sample` produces);
 * - gradients are written (overwritten, not accumulated) as d loss / d score into caller-owned
 *   buffers, which may be longer than needed (preallocated for the largest batch);
 * - arithmetic is float64 (JS numbers), read from and stored to Float32Arrays;
 * - nothing is allocated per call except a scratch buffer that grows once to the largest k.
 */

/** Options understood by `createLoss`; each loss reads only its own. */
export interface LossOptions {
  /** Margin ranking: the margin m in max(0, m - pos + neg). Default 1 (Bordes et al. 2013). */
  margin?: number;
  /**
   * NSSA: the margin gamma added to every score, loss terms log s(gamma + score). Default 0,
   * which is right when the scorer already reports score = gamma - d (RotatE with
   * `ScorerOptions.gamma`); set gamma here only for a scorer reporting plain -d.
   */
  gamma?: number;
  /** NSSA: self-adversarial temperature alpha >= 0; 0 = uniform weights 1/k. Default 1 (Sun et al. 2019). */
  adversarialTemperature?: number;
  /** BCE: label smoothing eps in [0, 1): positive label 1 - eps, negative label eps. Default 0. */
  labelSmoothing?: number;
}

/** Margin ranking's option (Bordes et al. 2013: margin 1). */
export const MARGIN_LOSS_OPTIONS: Schema<{ margin: number }> = {
  margin: { type: 'number', default: 1, min: 0, help: 'margin m of max(0, m - pos + neg)' },
};

/** NSSA's options (Sun et al. 2019: temperature 1; gamma 0 when the scorer reports gamma - d). */
export const NSSA_LOSS_OPTIONS: Schema<{ gamma: number; adversarialTemperature: number }> = {
  gamma: { type: 'number', default: 0, help: 'margin gamma added to every score' },
  adversarialTemperature: { type: 'number', default: 1, min: 0, help: 'self-adversarial temperature alpha (0 = uniform)' },
};

/** BCE's option: label smoothing eps in [0, 1). */
export const BCE_LOSS_OPTIONS: Schema<{ labelSmoothing: number }> = {
  labelSmoothing: { type: 'number', default: 0, min: 0, below: 1, help: 'label smoothing eps' },
};

/**
 * A negative-sampling loss: loss = L(pos, neg) and dL/dscore in one pass.
 * Shapes: pos [batch], neg [batch*k] (negatives of positive i at i*k..i*k+k-1),
 * gradPos [>= batch], gradNeg [>= batch*k]. Scores: higher = more plausible.
 */
export interface NegativeSamplingLoss {
  /** Registry key (see `LOSSES`). */
  readonly name: string;
  /**
   * Computes the loss, averaged as documented by each implementation, and overwrites
   * gradPos[0..batch) and gradNeg[0..batch*k) with d loss / d score.
   * @returns the scalar loss.
   */
  compute(pos: Float32Array, neg: Float32Array, batch: number, k: number, gradPos: Float32Array, gradNeg: Float32Array): number;
}

/**
 * Numerically stable softplus(x) = log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)).
 * Scalar, float64. Note -log sigmoid(x) = softplus(-x); finite for |x| up to ~1.7e308.
 */
export function softplus(x: number): number {
  return (x > 0 ? x : 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/**
 * Numerically stable log sigmoid(x) = -softplus(-x) = min(x, 0) - log1p(exp(-|x|)).
 * Scalar, float64; always <= 0.
 */
export function logSigmoid(x: number): number {
  return (x < 0 ? x : 0) - Math.log1p(Math.exp(-Math.abs(x)));
}

/**
 * Numerically stable sigmoid(x) = 1 / (1 + exp(-x)), evaluated through exp(-|x|) so that
 * no intermediate overflows. Scalar, float64, in [0, 1].
 */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** softplus(x) and, through `sig`, sigmoid(x) from one exp(-|x|) (internal hot-path helper). */
let sig = 0;
function softplusAndSigmoid(x: number): number {
  const e = Math.exp(-Math.abs(x));
  const d = 1 / (1 + e);
  if (x >= 0) {
    sig = d;
    return x + Math.log1p(e);
  }
  sig = e * d;
  return Math.log1p(e);
}

function checkShapes(
  name: string, pos: Float32Array, neg: Float32Array, batch: number, k: number,
  gradPos: Float32Array, gradNeg: Float32Array,
): void {
  if (!(Number.isInteger(batch) && batch > 0 && Number.isInteger(k) && k > 0)) {
    throw new Error(`${name}: batch and k must be positive integers, got batch=${batch}, k=${k}`);
  }
  const nk = batch * k;
  if (pos.length < batch || gradPos.length < batch) {
    throw new Error(`${name}: pos/gradPos need >= ${batch} entries, got ${pos.length}/${gradPos.length}`);
  }
  if (neg.length < nk || gradNeg.length < nk) {
    throw new Error(`${name}: neg/gradNeg need >= ${nk} entries, got ${neg.length}/${gradNeg.length}`);
  }
}

function checkFinite(name: string, option: string, v: number, min: number, maxExclusive = Infinity): void {
  if (!(Number.isFinite(v) && v >= min && v < maxExclusive)) {
    throw new Error(`${name}: option ${option} must be a finite number in [${min}, ${maxExclusive}), got ${v}`);
  }
}

/**
 * Pairwise margin ranking loss, TransE (Bordes et al. 2013, "Translating Embeddings for
 * Modeling Multi-relational Data", eq. 1) with PyKEEN's `MarginRankingLoss` mean reduction:
 * L = 1/(batch*k) * sum_i sum_j max(0, margin - pos_i + neg_ij).
 * Bordes et al. sum over the batch; the mean only rescales the learning rate.
 * Gradient (subgradient 0 at the hinge kink): dL/dpos_i = -#{j active}/(batch*k),
 * dL/dneg_ij = +1/(batch*k) if margin - pos_i + neg_ij > 0 else 0.
 * Shapes: pos [batch], neg [batch*k]. Higher score = more plausible, so the loss pushes
 * pos up and neg down until pos_i >= neg_ij + margin.
 */
export class MarginRankingLoss implements NegativeSamplingLoss {
  readonly name = 'margin';
  /** The margin m (> 0 in practice; default 1). */
  readonly margin: number;

  constructor(options: LossOptions = {}) {
    this.margin = options.margin ?? MARGIN_LOSS_OPTIONS.margin.default;
    checkFinite(this.name, 'margin', this.margin, 0);
  }

  compute(pos: Float32Array, neg: Float32Array, batch: number, k: number, gradPos: Float32Array, gradNeg: Float32Array): number {
    checkShapes(this.name, pos, neg, batch, k, gradPos, gradNeg);
    const m = this.margin;
    const inv = 1 / (batch * k);
    let loss = 0;
    for (let i = 0; i < batch; i++) {
      const p = pos[i];
      const base = i * k;
      let active = 0;
      for (let j = 0; j < k; j++) {
        const v = m - p + neg[base + j];
        if (v > 0) {
          loss += v;
          active++;
          gradNeg[base + j] = inv;
        } else {
          gradNeg[base + j] = 0;
        }
      }
      gradPos[i] = -active * inv;
    }
    return loss * inv;
  }
}

/**
 * Softplus (logistic) loss as in ComplEx (Trouillon et al. 2016, "Complex Embeddings for
 * Simple Link Prediction", eq. 11 without the regulariser) and PyKEEN's `SoftplusLoss`
 * (labels +1/-1, mean over all scores):
 * L = 1/(batch + batch*k) * (sum_i softplus(-pos_i) + sum_ij softplus(neg_ij)).
 * Gradient: dL/dpos_i = -sigmoid(-pos_i)/N, dL/dneg_ij = sigmoid(neg_ij)/N, N = batch*(1+k).
 * Shapes: pos [batch], neg [batch*k]; higher score = more plausible.
 */
export class SoftplusLoss implements NegativeSamplingLoss {
  readonly name = 'softplus';

  compute(pos: Float32Array, neg: Float32Array, batch: number, k: number, gradPos: Float32Array, gradNeg: Float32Array): number {
    checkShapes(this.name, pos, neg, batch, k, gradPos, gradNeg);
    const inv = 1 / (batch * (1 + k));
    const nk = batch * k;
    let loss = 0;
    for (let i = 0; i < batch; i++) {
      loss += softplusAndSigmoid(-pos[i]);
      gradPos[i] = -sig * inv;
    }
    for (let q = 0; q < nk; q++) {
      loss += softplusAndSigmoid(neg[q]);
      gradNeg[q] = sig * inv;
    }
    return loss * inv;
  }
}

/**
 * Binary cross-entropy on sigmoid(score) with labels 1 (positives) and 0 (negatives),
 * PyKEEN's `BCEWithLogitsLoss` with mean reduction over all scores, optional label smoothing
 * eps as in PyKEEN for two classes (y+ = 1 - eps, y- = eps):
 * L = 1/(batch + batch*k) * sum_s [softplus(s) - y_s * s]   (= -y log sigmoid(s) - (1-y) log(1 - sigmoid(s))).
 * Gradient: dL/ds = (sigmoid(s) - y_s)/N, N = batch*(1+k). With eps = 0 this equals `SoftplusLoss`.
 * Shapes: pos [batch], neg [batch*k]; higher score = more plausible.
 */
export class BCELoss implements NegativeSamplingLoss {
  readonly name = 'bce';
  /** Label smoothing eps in [0, 1). */
  readonly labelSmoothing: number;

  constructor(options: LossOptions = {}) {
    this.labelSmoothing = options.labelSmoothing ?? 0;
    checkFinite(this.name, 'labelSmoothing', this.labelSmoothing, 0, 1);
  }

  compute(pos: Float32Array, neg: Float32Array, batch: number, k: number, gradPos: Float32Array, gradNeg: Float32Array): number {
    checkShapes(this.name, pos, neg, batch, k, gradPos, gradNeg);
    const yPos = 1 - this.labelSmoothing;
    const yNeg = this.labelSmoothing;
    const inv = 1 / (batch * (1 + k));
    const nk = batch * k;
    let loss = 0;
    for (let i = 0; i < batch; i++) {
      const s = pos[i];
      loss += softplusAndSigmoid(s) - yPos * s;
      gradPos[i] = (sig - yPos) * inv;
    }
    for (let q = 0; q < nk; q++) {
      const s = neg[q];
      loss += softplusAndSigmoid(s) - yNeg * s;
      gradNeg[q] = (sig - yNeg) * inv;
    }
    return loss * inv;
  }
}

/**
 * Self-adversarial negative-sampling loss of RotatE (Sun et al. 2019, "RotatE: Knowledge Graph
 * Embedding by Relational Rotation in Complex Space", eq. 5 with the weights of eq. 4).
 * The paper writes it with distances d: -log s(gamma - d_pos) - sum_j p_j log s(d_neg_j - gamma).
 * With score = -d (higher = more plausible) it reads, per positive i:
 * l_i = -log s(gamma + pos_i) - sum_j w_ij log s(-(gamma + neg_ij)),  w_ij = softmax_j(alpha * neg_ij),
 * and the returned loss is the official code's L = (1/batch sum_i -log s(gamma + pos_i)
 * + 1/batch sum_i -sum_j w_ij log s(-(gamma + neg_ij))) / 2 (subsampling weights not applied).
 * The weights w are constants (detached, no gradient flows through them); alpha = 0 gives
 * w_ij = 1/k, the plain negative-sampling loss of the official code.
 * Gradient: dL/dpos_i = -sigmoid(-(gamma + pos_i))/(2 batch), dL/dneg_ij = w_ij sigmoid(gamma + neg_ij)/(2 batch).
 * If the scorer already reports score = gamma - d (RotatE scorer with `ScorerOptions.gamma`),
 * leave gamma = 0 here. Shapes: pos [batch], neg [batch*k].
 */
export class NSSALoss implements NegativeSamplingLoss {
  readonly name = 'nssa';
  /** Margin gamma added to every score (default 0, see `LossOptions.gamma`). */
  readonly gamma: number;
  /** Adversarial temperature alpha >= 0 (default 1; 0 = uniform weights). */
  readonly adversarialTemperature: number;
  private weights = new Float64Array(0);

  constructor(options: LossOptions = {}) {
    this.gamma = options.gamma ?? NSSA_LOSS_OPTIONS.gamma.default;
    this.adversarialTemperature = options.adversarialTemperature ?? NSSA_LOSS_OPTIONS.adversarialTemperature.default;
    checkFinite(this.name, 'gamma', this.gamma, -Infinity);
    checkFinite(this.name, 'adversarialTemperature', this.adversarialTemperature, 0);
  }

  compute(pos: Float32Array, neg: Float32Array, batch: number, k: number, gradPos: Float32Array, gradNeg: Float32Array): number {
    checkShapes(this.name, pos, neg, batch, k, gradPos, gradNeg);
    if (this.weights.length < k) this.weights = new Float64Array(k);
    const w = this.weights;
    const gamma = this.gamma;
    const alpha = this.adversarialTemperature;
    const inv = 0.5 / batch;
    const uniform = 1 / k;
    let loss = 0;
    for (let i = 0; i < batch; i++) {
      const sp = gamma + pos[i];
      loss += softplusAndSigmoid(-sp);
      gradPos[i] = -sig * inv;
      const base = i * k;
      if (alpha === 0) {
        for (let j = 0; j < k; j++) w[j] = uniform;
      } else {
        let m = -Infinity;
        for (let j = 0; j < k; j++) {
          const a = alpha * neg[base + j];
          if (a > m) m = a;
        }
        let z = 0;
        for (let j = 0; j < k; j++) {
          const e = Math.exp(alpha * neg[base + j] - m);
          w[j] = e;
          z += e;
        }
        const iz = 1 / z;
        for (let j = 0; j < k; j++) w[j] *= iz;
      }
      for (let j = 0; j < k; j++) {
        const sn = gamma + neg[base + j];
        const wj = w[j];
        loss += wj * softplusAndSigmoid(sn);
        gradNeg[base + j] = wj * sig * inv;
      }
    }
    return loss * inv;
  }
}

/**
 * Registry of negative-sampling losses by name: `margin` (TransE margin ranking), `softplus`
 * (ComplEx logistic), `bce` (binary cross-entropy, optional label smoothing), `nssa`
 * (RotatE self-adversarial). Each entry declares the `LossOptions` fields it reads.
 */
export const LOSSES = {
  margin: component(MARGIN_LOSS_OPTIONS, (o): NegativeSamplingLoss => new MarginRankingLoss(o)),
  softplus: component({}, (): NegativeSamplingLoss => new SoftplusLoss()),
  bce: component(BCE_LOSS_OPTIONS, (o): NegativeSamplingLoss => new BCELoss(o)),
  nssa: component(NSSA_LOSS_OPTIONS, (o): NegativeSamplingLoss => new NSSALoss(o)),
} satisfies Registry<void, NegativeSamplingLoss>;

/** Names accepted by `createLoss`: 'margin' | 'softplus' | 'bce' | 'nssa'. */
export type LossName = keyof typeof LOSSES;

/**
 * Builds a negative-sampling loss by registry name (see `LOSSES`).
 * Throws, listing the known names, for an unknown name.
 */
export function createLoss(name: LossName | string, options: LossOptions = {}): NegativeSamplingLoss {
  const entry: Registry<void, NegativeSamplingLoss>[string] = lookup(LOSSES, name, 'loss');
  return entry.create(resolveOptions(entry.options, pickGiven(entry.options, options), `loss ${name}`));
}

/** The loss keys of a training config (the schema `train` composes). */
export interface LossConfig {
  /** Negative-sampling loss: `margin`, `softplus`, `bce`, `nssa`. 1vsAll uses `ce`; KvsAll `bce` or `ce`. */
  loss: LossName | 'ce';
  /** Margin gamma: of the margin-ranking loss and of NSSA (added to the score). */
  margin: number;
  /** Self-adversarial temperature alpha of NSSA (Sun et al. 2019); 0 = uniform weights. */
  adversarialTemperature: number;
  /** Label smoothing for BCE-type losses. */
  labelSmoothing: number;
  /**
   * Apply the negative-sampling loss to each energy term of the model separately and sum the
   * weighted losses (the official IKRL training: one hinge per energy). Needs a fused kernel that
   * scores its terms (`TermKernel` in src/scorer.ts: IKRL, TBKGE, MMKRL).
   */
  perTermLoss: boolean;
  /** `none`, `l2` (squared L2 of the batch's rows) or `n3` (nuclear 3-norm, Lacroix et al. 2018). */
  regularizer: 'none' | 'l2' | 'n3';
  regWeight: number;
}

/** Options, defaults and help of the loss and regulariser keys. */
export const LOSS_OPTIONS: Schema<LossConfig> = {
  loss: { type: 'enum', default: 'margin', values: [...(Object.keys(LOSSES) as LossName[]), 'ce'], help: 'margin, softplus, bce, nssa (negative sampling); ce (1vsall); bce or ce (kvsall)' },
  margin: { type: 'number', default: 1, min: 0, help: 'margin gamma (margin loss, NSSA)' },
  adversarialTemperature: { type: 'number', default: 0, min: 0, help: 'NSSA self-adversarial temperature (0 = uniform)' },
  labelSmoothing: { type: 'number', default: 0, min: 0, below: 1, help: 'label smoothing for BCE-type losses' },
  perTermLoss: { type: 'bool', default: false, help: 'one loss per energy term, summed with the model\'s term weights (IKRL\'s official training; ikrl, tbkge, mmkrl)' },
  regularizer: { type: 'enum', default: 'none', values: ['none', 'l2', 'n3'], help: 'regulariser' },
  regWeight: { type: 'number', default: 0, min: 0, help: 'regulariser weight' },
};
