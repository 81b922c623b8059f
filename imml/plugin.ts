import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../src/rng';
import { ParamStore, constant, glorotUniform, type ParamTensors } from '../src/params';
import { rollRows } from './losses';
import { fusedMdkeLoss } from './mdke_fused';
import { gatherRows, matMulFast } from '../src/tf_ops';
import { validateImml, type ImmlOptions } from './options';
import type { BetaDraw, BetaMix, PluginLosses, RepresentationPlugin } from '../src/plugin';

// The hook types live in the core (src/plugin.ts); IMML implements them.
export type { BetaDraw, BetaMix } from '../src/plugin';
/** The three terms of Eq. 7 besides the base loss. */
export type ImmlLosses = PluginLosses;

/**
 * IMML as a plug-in (Section IV, Algorithm 1 of "Interventional Imbalanced Multi-Modal
 * Representation Learning via beta-Generalization Front-Door Criterion"). It wraps any model
 * that exposes per-modality representations h^m (predominant modality first), a fusion F and a
 * target mapping, and adds:
 * - the discriminative-knowledge networks N_DK^m: a trainable vector w^m (init 1) per modality,
 *   h^m_hat = h^m * w^m, used in the base model's forward pass too (Algorithm 1, line 2);
 * - projection heads P^m: R^{D_m} -> R^D (two layers with ReLU, as SimCLR's head [46]) and
 *   L_mdke (Eq. 2-3) on xi^m = P^m(h^m_hat);
 * - L_beta (Eq. 6): partners i' = i+1..i+N (mod B), lambda ~ Beta(alpha, beta), the host's own
 *   fusion and target mapping applied to the mixed features, soft targets.
 * One implementation serves link prediction and classification; the host supplies only the
 * loss of a mix (its fusion, target mapping and downstream loss with soft targets).
 */
export class ImmlPlugin implements RepresentationPlugin {
  readonly options: ImmlOptions;

  constructor(readonly dims: readonly number[], options: ImmlOptions, readonly store: ParamStore, readonly rng: Rng, readonly prefix = 'imml') {
    this.options = validateImml({ ...options });
    if (dims.length < 1) throw new Error('imml: at least one modality is needed');
    const D = this.options.projectionDim;
    dims.forEach((Dm, m) => {
      store.add(this.name(m, 'w'), [Dm], constant(1));
      if (this.options.useMdke && dims.length > 1) {
        store.add(this.name(m, 'W1'), [Dm, D], glorotUniform(rng.derive(`imml-W1-${m}`), Dm, D));
        store.add(this.name(m, 'b1'), [D]);
        store.add(this.name(m, 'W2'), [D, D], glorotUniform(rng.derive(`imml-W2-${m}`), D, D));
        store.add(this.name(m, 'b2'), [D]);
      }
    });
  }

  private name(m: number, what: string): string {
    return `${this.prefix}.${m}.${what}`;
  }

  /** h^m_hat = h^m * w^m for every modality (Algorithm 1, line 2). */
  weigh(hs: tf.Tensor2D[], p: ParamTensors): tf.Tensor2D[] {
    this.checkModalities(hs);
    return hs.map((h, m) => tf.mul(h, p[this.name(m, 'w')]) as tf.Tensor2D);
  }

  /** xi^m = P^m(h^m_hat). */
  project(h: tf.Tensor2D, m: number, p: ParamTensors): tf.Tensor2D {
    const hidden = tf.relu(tf.add(matMulFast(h, p[this.name(m, 'W1')] as tf.Tensor2D), p[this.name(m, 'b1')]));
    return tf.add(matMulFast(hidden as tf.Tensor2D, p[this.name(m, 'W2')] as tf.Tensor2D), p[this.name(m, 'b2')]) as tf.Tensor2D;
  }

  /**
   * L_mdke (Eq. 2) over the weighted features of the batch. `complete` (optional, one flag per
   * row) restricts it to the samples that have every modality: a sample without one has no
   * positive pair (its feature row is a zero placeholder).
   */
  mdke(weighted: tf.Tensor2D[], p: ParamTensors, complete?: Uint8Array): tf.Scalar {
    if (!this.options.useMdke || weighted.length < 2) return tf.scalar(0);
    let rows = weighted;
    const B = weighted[0].shape[0];
    const cap = this.options.mdkeRows > 0 ? this.options.mdkeRows : B;
    let keep = Int32Array.from({ length: B }, (_, i) => i).filter((i) => !complete || complete[i] === 1);
    if (keep.length > cap) keep = keep.subarray(0, cap);
    if (keep.length < 2) return tf.scalar(0);
    if (keep.length < B) rows = weighted.map((h) => gatherRows(h, keep));
    // the same loss as mdkeLoss(rows.map(project)) as one op on typed arrays (mdke_fused.ts)
    const heads = rows.map((_, m) => ({
      W1: p[this.name(m, 'W1')] as tf.Tensor2D, b1: p[this.name(m, 'b1')] as tf.Tensor1D,
      W2: p[this.name(m, 'W2')] as tf.Tensor2D, b2: p[this.name(m, 'b2')] as tf.Tensor1D,
    }));
    return fusedMdkeLoss(rows, heads, this.options.temperature);
  }

  /** Draw the (i, i') pairs and lambdas of one step for a batch of B samples. */
  drawBeta(B: number): BetaDraw {
    const { partners: N, betaFraction, alpha, beta } = this.options;
    const maxShift = Math.min(N, B - 1);
    const blocks: BetaDraw['blocks'] = [];
    if (maxShift < 1) return { blocks, batchSize: B };
    const draw = (rows: number): Float32Array => {
      const lam = new Float32Array(rows);
      for (let i = 0; i < rows; i++) lam[i] = this.rng.beta(alpha, beta);
      return lam;
    };
    if (betaFraction >= 1) {
      for (let n = 1; n <= maxShift; n++) blocks.push({ shift: n, rows: B, lambda: draw(B) });
    } else {
      const shift = 1 + Math.floor(this.rng.next() * maxShift);
      const rows = Math.max(1, Math.ceil(betaFraction * B));
      blocks.push({ shift, rows, lambda: draw(rows) });
    }
    return { blocks, batchSize: B };
  }

  /** The mixed features z(h^p_i, h^a_{i'}) of Eq. 6 for a draw (weighted = h^m_hat, predominant first). */
  mix(weighted: tf.Tensor2D[], draw: BetaDraw): BetaMix {
    const M = weighted.length;
    const perModality: tf.Tensor2D[][] = weighted.map(() => []);
    const anchors: number[] = [];
    const partners: number[] = [];
    const lambdas: number[] = [];
    for (const { shift, rows, lambda } of draw.blocks) {
      const lam = tf.tensor2d(lambda, [rows, 1]);
      const auxScale = tf.div(tf.sub(1, lam), M - 1);
      perModality[0].push(tf.mul(lam, tf.slice(weighted[0], 0, rows)) as tf.Tensor2D);
      for (let m = 1; m < M; m++) perModality[m].push(tf.mul(auxScale, tf.slice(rollRows(weighted[m], shift), 0, rows)) as tf.Tensor2D);
      for (let i = 0; i < rows; i++) {
        anchors.push(i);
        partners.push((i + shift) % draw.batchSize);
        lambdas.push(lambda[i]);
      }
    }
    const features = perModality.map((parts) => (parts.length === 1 ? parts[0] : (tf.concat(parts, 0) as tf.Tensor2D)));
    return { features, anchors: Int32Array.from(anchors), partners: Int32Array.from(partners), lambda: Float32Array.from(lambdas) };
  }

  /** Rows of x (one row per batch sample) for the mixed samples' anchors i, in mix order. */
  anchorRows<T extends tf.Tensor>(x: T, draw: BetaDraw): T {
    const parts = draw.blocks.map(({ rows }) => tf.slice(x, 0, rows));
    return (parts.length === 1 ? parts[0] : tf.concat(parts, 0)) as T;
  }

  /** Rows of x for the mixed samples' partners i', in mix order. */
  partnerRows<T extends tf.Tensor>(x: T, draw: BetaDraw): T {
    const parts = draw.blocks.map(({ shift, rows }) => tf.slice(rollRows(x, shift), 0, rows));
    return (parts.length === 1 ? parts[0] : tf.concat(parts, 0)) as T;
  }

  /**
   * gamma1 L_mdke + gamma2 L_beta for one batch. `betaLossOf` is the host's downstream loss of the
   * mixed samples: its fusion F and target mapping on `mix.features`, with soft targets
   * lambda y_{anchor} + (1 - lambda) y_{partner} (e.g. `mixedCrossEntropy`). `complete`: see `mdke`.
   */
  losses(weighted: tf.Tensor2D[], p: ParamTensors, draw: BetaDraw, betaLossOf: (mix: BetaMix) => tf.Scalar, complete?: Uint8Array): ImmlLosses {
    const { gamma1, gamma2, useBeta } = this.options;
    const mdke = this.mdke(weighted, p, complete);
    const beta = useBeta && weighted.length > 1 && draw.blocks.length > 0 ? betaLossOf(this.mix(weighted, draw)) : tf.scalar(0);
    const total = tf.add(tf.mul(gamma1, mdke), tf.mul(gamma2, beta)) as tf.Scalar;
    return { total, mdke, beta };
  }

  private checkModalities(hs: tf.Tensor2D[]): void {
    if (hs.length !== this.dims.length) throw new Error(`imml: expected ${this.dims.length} modalities, got ${hs.length}`);
    hs.forEach((h, m) => {
      if (h.shape[1] !== this.dims[m]) throw new Error(`imml: modality ${m} has width ${h.shape[1]}, expected ${this.dims[m]}`);
    });
  }
}

export type { ImmlOptions } from './options';
