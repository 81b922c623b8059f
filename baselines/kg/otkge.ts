import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../src/rng';
import type { MultimodalKgModel, MultimodalOptions } from '../../src/multimodal';
import type { Schema } from '../../src/options';
import { EMBEDDING_OPTIONS } from '../../src/scorer';
import type { ModalityFeatures } from '../../src/modality';
import { ParamStore, glorotUniform, type ParamTensors } from '../../src/params';
import { gatherRows, matMulFast, takeRows } from '../../src/tf_ops';
import { tensorMatMul } from '../../src/dense/tf_loss';
import { hostValues } from '../../src/backend';
import { ComplEx } from './complex';

/** OTKGE's own options (Cao et al. 2022): fusion weights and the Sinkhorn transport. */
export interface OtkgeOwnOptions {
  dim: number;
  /** Fusion weight alpha of the image modality. */
  imageWeight: number;
  /** Fusion weight gamma of the text modality (and of any other modality). */
  textWeight: number;
  /** Scale of the OT cost (v_k - s_j)^2 * scale. */
  otScale: number;
  /** Entropic regularisation epsilon of Sinkhorn. */
  otEpsilon: number;
  /** Sinkhorn iterations. */
  otIterations: number;
}

/** What OTKGE's factory receives. */
export type OtkgeOptions = MultimodalOptions & OtkgeOwnOptions;

/** OTKGE's options with their defaults (WN9 values of the official code). */
export const OTKGE_OPTIONS: Schema<OtkgeOwnOptions> = {
  dim: EMBEDDING_OPTIONS.dim,
  imageWeight: { type: 'number', default: 0.1, min: 0, help: 'fusion weight of the image modality (OTKGE a)' },
  textWeight: { type: 'number', default: 0.8, min: 0, help: 'fusion weight of the text modality (OTKGE g)' },
  otScale: { type: 'number', default: 100, above: 0, help: 'OTKGE: scale of the OT cost' },
  otEpsilon: { type: 'number', default: 0.1, above: 0, help: 'OTKGE: entropic regularisation of Sinkhorn' },
  otIterations: { type: 'int', default: 50, min: 1, max: 100_000, help: 'OTKGE: Sinkhorn iterations' },
};

/**
 * OTKGE: multi-modal knowledge graph embeddings via optimal transport.
 *
 * Reference: Cao, Xu, Yang, He, Cao, Huang, "OTKGE: Multi-modal Knowledge Graph Embeddings via
 * Optimal Transport", NeurIPS 2022 (official code Lion-ZS/OTKGE, read for the recipe, not copied).
 *
 * Structural entities E_s have 2*rank columns ([re | im], ComplEx). For every auxiliary modality
 * m (image V, text L) an entropic optimal-transport plan between the coordinates of an entity's
 * modality vector (d_m points, uniform mass) and of its structural vector (2*rank points, uniform
 * mass), cost C_kj = (v_k - s_j)^2 * scale, gives a transport matrix T_m = d_m * P_m + Delta_m
 * (Delta_m learnable, Glorot init) that carries modality features into the structural space. The
 * fused entity is  E = c_s E_s + sum_m w_m V_m T_m  and triples are scored by ComplEx; training is
 * 1-vs-all cross-entropy with reciprocal relations and N3 (presets), as in the official code.
 *
 * Interpretations (the method, not the code's accidents), each a choice of ours:
 * - The plan P_m is the mean of the per-entity Sinkhorn plans over a seeded random sample of
 *   `planSample` entities that have the modality, recomputed at the start of every epoch from the
 *   current E_s (the code averages entities 0..9 only, on every forward pass). It is not
 *   differentiated (the code computes it under no_grad too).
 * - Sinkhorn uses the Gibbs kernel exp(-C / epsilon). The code's kernel is exp(-0.1 C) (it
 *   multiplies the cost by its "reg" instead of dividing), i.e. epsilon = 10; that is our default.
 * - T_m = d_m * P_m makes every modality coordinate spread its value over the structural
 *   coordinates with weights summing to 1 (barycentric map). The code scales the plan by
 *   2*rank*scale instead, which makes every entity's image/text part a large near-constant
 *   vector; we do not reproduce that.
 * - Fusion weights: a (image) and g (text) as in the paper (0.1 / 0.8 on WN, 0.1 / 0.7 on FB). The
 *   structural weight 1 - a - g multiplies a free embedding table, so it only rescales that table:
 *   we fold it into the table (fused = E_s + sum_m w_m V_m T_m, E_s initialised at
 *   (1 - a - g) * 1e-3). It is the same model, but without the fold Adagrad's scale-free steps make
 *   the structural part's logits grow (1 - a - g)^-2 times slower, which the paper's 200 epochs
 *   absorb and a CPU schedule of a few epochs cannot (measured on WN9-IMG, dim 200: valid MRR 0.36
 *   after 3 epochs unfolded, against 0.75 for ComplEx after 1). Entities lacking a modality
 *   (mask 0) have a zero feature row, so their modality part vanishes.
 */
export class Otkge implements MultimodalKgModel {
  readonly name = 'otkge';
  readonly scorer: ComplEx;
  readonly structuralWidth: number;
  readonly params = new ParamStore();
  readonly modalities: readonly ModalityFeatures[];
  /** Fusion weight per modality (image -> imageWeight, text -> textWeight, others -> textWeight). */
  readonly weights: number[];
  /** Current mean plans d_m * P_m, [d_m, 2*rank] each (not trained). */
  readonly plans: Float32Array[];
  /** Entities whose plans are averaged per refresh. */
  readonly planSample: number;
  readonly buffers: Record<string, Float32Array> = {};

  constructor(private readonly o: OtkgeOptions, planSample = 32) {
    this.scorer = new ComplEx({ dim: o.dim });
    this.structuralWidth = 2 * o.dim;
    this.modalities = o.modalities;
    this.planSample = planSample;
    this.weights = o.modalities.map((m) => (m.modality === 'image' ? o.imageWeight : o.textWeight));
    const total = this.weights.reduce((a, b) => a + b, 0);
    if (!(total < 1)) throw new Error(`otkge: fusion weights ${this.weights.join(' + ')} must sum to < 1 (structural weight 1 - a - g)`);
    this.plans = o.modalities.map((m) => new Float32Array(m.dim * this.structuralWidth));
    this.plans.forEach((plan, i) => (this.buffers[`otkge.plan.${i}`] = plan));
    o.modalities.forEach((m, i) => {
      this.params.add(`otkge.delta.${i}`, [m.dim, this.structuralWidth], glorotUniform(o.rng.derive(`otkge-delta-${i}`), m.dim, this.structuralWidth));
    });
  }

  /** [E_s rows, raw modality features...]. */
  encode(structural: tf.Tensor2D, features: tf.Tensor2D[]): tf.Tensor2D[] {
    return [structural, ...features];
  }

  /** h_s + sum_m w_m mask_m (h_m T_m), T_m = plan_m + Delta_m (structural weight folded into E_s). */
  fuse(hs: tf.Tensor2D[], masks: tf.Tensor2D[], p: ParamTensors): tf.Tensor2D {
    return tf.tidy(() => {
      let fused: tf.Tensor = hs[0];
      this.modalities.forEach((m, i) => {
        const T = tf.add(tf.tensor2d(this.plans[i], [m.dim, this.structuralWidth]), p[`otkge.delta.${i}`]) as tf.Tensor2D;
        fused = tf.add(fused, maskedProduct(hs[i + 1], T, masks[i], this.weights[i]));
      });
      return fused as tf.Tensor2D;
    });
  }

  /** Mean entropic OT plan per modality over a seeded sample of entities (see class comment). */
  refresh(structural: Float32Array, numEntities: number, rng: Rng): void {
    const S = this.structuralWidth;
    this.modalities.forEach((m, i) => {
      const present: number[] = [];
      for (let e = 0; e < numEntities; e++) if (m.mask[e]) present.push(e);
      const sample = sampleWithoutReplacement(present, Math.min(this.planSample, present.length), rng);
      const mean = new Float64Array(m.dim * S);
      for (const e of sample) {
        const plan = sinkhornPlan(m.data.subarray(e * m.dim, (e + 1) * m.dim), structural.subarray(e * S, (e + 1) * S), this.o.otScale, this.o.otEpsilon, this.o.otIterations);
        for (let k = 0; k < mean.length; k++) mean[k] += plan[k];
      }
      const out = this.plans[i];
      const scale = sample.length > 0 ? m.dim / sample.length : 0;
      for (let k = 0; k < out.length; k++) out[k] = mean[k] * scale;
    });
  }

  initStructural(table: Float32Array, rows: number, rng: Rng): void {
    // kbc / OTKGE: embeddings scaled by init_size 1e-3, times the folded structural weight.
    const scale = 1e-3 * (1 - this.weights.reduce((a, b) => a + b, 0));
    for (let i = 0; i < rows * this.structuralWidth; i++) table[i] = scale * rng.normal();
  }

  initRelations(table: Float32Array, rows: number, rng: Rng): void {
    for (let i = 0; i < rows * this.scorer.relationWidth; i++) table[i] = 1e-3 * rng.normal();
  }
}

/**
 * w * mask * (h T) for [n, d_m] rows h. The [n, d_m] x [d_m, W] product runs in the dense engine
 * when the run set one, and only over the rows whose mask is non-zero: a zero mask zeroes its row
 * anyway, and a partial modality (image features for 399 of WN9-IMG's 6,555 entities) then costs
 * 399 rows, not 6,555. With most rows present (FB-IMG's text: 11,744 of 11,757) it is the plain
 * product: a missing row is a zero row, and moving the present rows out and back costs more than
 * the few products it saves.
 */
function maskedProduct(h: tf.Tensor2D, T: tf.Tensor2D, mask: tf.Tensor2D, weight: number): tf.Tensor2D {
  const values = mask.dataSync();
  const rows = h.shape[0];
  let present = 0;
  for (let r = 0; r < rows; r++) if (values[r] !== 0) present++;
  if (present === 0 || present >= 0.75 * rows) return tf.mul(tf.mul(weight, mask), tensorMatMul(h, T, matMulFast));
  const ids = new Int32Array(present);
  const kept = new Float32Array(present);
  for (let r = 0, q = 0; r < rows; r++) {
    if (values[r] !== 0) {
      ids[q] = r;
      kept[q++] = values[r];
    }
  }
  const part = tf.mul(tf.mul(weight, tf.tensor2d(kept, [present, 1])), tensorMatMul(gatherRows(h, ids), T, matMulFast)) as tf.Tensor2D;
  return scatterRows(part, ids, rows);
}

/** [rows, W] with row ids[q] = x[q] and zeros elsewhere, differentiable (the gradient gathers dy's rows). */
function scatterRows(x: tf.Tensor2D, ids: Int32Array, rows: number): tf.Tensor2D {
  const W = x.shape[1];
  const op = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const src = hostValues(args[0] as tf.Tensor);
    const out = new Float32Array(rows * W);
    for (let q = 0; q < ids.length; q++) out.set(src.subarray(q * W, (q + 1) * W), ids[q] * W);
    return { value: tf.tensor2d(out, [rows, W]), gradFunc: (dy: tf.Tensor) => takeRows(dy, ids) };
  }) as never) as unknown as (t: tf.Tensor2D) => tf.Tensor2D;
  return op(x);
}

/**
 * Entropic OT plan (Cuturi 2013) between the coordinates of x (uniform mass 1/dx) and y (uniform
 * mass 1/dy) with cost (x_k - y_j)^2 * scale and kernel exp(-C / epsilon). Returns P [dx, dy]
 * (row-major, float64), total mass 1.
 *
 * The first Sinkhorn iteration runs in the log domain, which cannot underflow however large the
 * scale. The rest are the plain scaling iterations u = a / K v, v = b / K^T u on the kernel
 * K = exp(F + G - C / epsilon) built from those potentials (stabilised by absorption, Schmitzer
 * 2019, "Stabilized sparse scaling algorithms for entropy regularized transport problems"): in
 * exact arithmetic every iterate equals the log-domain one, but an iteration is two multiply-add
 * sweeps instead of two sweeps of exp, ~10x faster. When a scaling leaves [1e-100, 1e100] it is
 * absorbed into the potentials and K is rebuilt.
 */
export function sinkhornPlan(x: ArrayLike<number>, y: ArrayLike<number>, scale: number, epsilon: number, iterations: number): Float64Array {
  const dx = x.length;
  const dy = y.length;
  const c = new Float64Array(dx * dy);
  for (let k = 0; k < dx; k++) {
    for (let j = 0; j < dy; j++) {
      const d = x[k] - y[j];
      c[k * dy + j] = (d * d * scale) / epsilon;
    }
  }
  const a = 1 / dx;
  const b = 1 / dy;
  const F = new Float64Array(dx);
  const G = new Float64Array(dy);
  if (iterations <= 0) return buildKernel(c, F, G, dx, dy, new Float64Array(dx * dy));
  logDomainIteration(c, F, G, dx, dy, Math.log(a), Math.log(b));
  const K = buildKernel(c, F, G, dx, dy, new Float64Array(dx * dy));
  // K^T too, so that both half-steps are dot products over contiguous rows (fastest in JS).
  const KT = transpose(K, dx, dy, new Float64Array(dx * dy));
  const u = new Float64Array(dx).fill(1);
  const v = new Float64Array(dy).fill(1);
  for (let it = 1; it < iterations; it++) {
    for (let j = 0; j < dy; j++) {
      const row = j * dx;
      let sum = 0;
      for (let k = 0; k < dx; k++) sum += KT[row + k] * u[k];
      v[j] = b / sum;
    }
    for (let k = 0; k < dx; k++) {
      const row = k * dy;
      let sum = 0;
      for (let j = 0; j < dy; j++) sum += K[row + j] * v[j];
      u[k] = a / sum;
    }
    if (!scalingsInRange(u) || !scalingsInRange(v)) {
      for (let k = 0; k < dx; k++) F[k] += Math.log(u[k]);
      for (let j = 0; j < dy; j++) G[j] += Math.log(v[j]);
      transpose(buildKernel(c, F, G, dx, dy, K), dx, dy, KT);
      u.fill(1);
      v.fill(1);
    }
  }
  for (let k = 0; k < dx; k++) {
    const row = k * dy;
    for (let j = 0; j < dy; j++) K[row + j] *= u[k] * v[j];
  }
  return K;
}

/** G_j = log b - LSE_k (F_k - c_kj), then F_k = log a - LSE_j (G_j - c_kj). */
function logDomainIteration(c: Float64Array, F: Float64Array, G: Float64Array, dx: number, dy: number, logA: number, logB: number): void {
  const colMax = new Float64Array(dy).fill(-Infinity);
  for (let k = 0; k < dx; k++) {
    const row = k * dy;
    for (let j = 0; j < dy; j++) {
      const z = F[k] - c[row + j];
      if (z > colMax[j]) colMax[j] = z;
    }
  }
  const colSum = new Float64Array(dy);
  for (let k = 0; k < dx; k++) {
    const row = k * dy;
    for (let j = 0; j < dy; j++) colSum[j] += Math.exp(F[k] - c[row + j] - colMax[j]);
  }
  for (let j = 0; j < dy; j++) G[j] = logB - (colMax[j] + Math.log(colSum[j]));
  for (let k = 0; k < dx; k++) {
    const row = k * dy;
    let m = -Infinity;
    for (let j = 0; j < dy; j++) {
      const z = G[j] - c[row + j];
      if (z > m) m = z;
    }
    let sum = 0;
    for (let j = 0; j < dy; j++) sum += Math.exp(G[j] - c[row + j] - m);
    F[k] = logA - (m + Math.log(sum));
  }
}

/** K_kj = exp(F_k + G_j - c_kj), into `out`. */
function buildKernel(c: Float64Array, F: Float64Array, G: Float64Array, dx: number, dy: number, out: Float64Array): Float64Array {
  for (let k = 0; k < dx; k++) {
    const row = k * dy;
    for (let j = 0; j < dy; j++) out[row + j] = Math.exp(F[k] + G[j] - c[row + j]);
  }
  return out;
}

function transpose(m: Float64Array, rows: number, cols: number, out: Float64Array): Float64Array {
  for (let r = 0; r < rows; r++) for (let q = 0; q < cols; q++) out[q * rows + r] = m[r * cols + q];
  return out;
}

function scalingsInRange(s: Float64Array): boolean {
  for (let i = 0; i < s.length; i++) if (!(s[i] > 1e-100 && s[i] < 1e100)) return false;
  return true;
}

function sampleWithoutReplacement(items: number[], count: number, rng: Rng): number[] {
  const a = items.slice();
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(rng.next() * (a.length - i));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, count).sort((p, q) => p - q);
}

/** Registry factory. */
export function createOtkge(o: OtkgeOptions): Otkge {
  return new Otkge(o);
}
