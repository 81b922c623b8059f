import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../src/rng';
import { ParamStore, addLateLossTerm, constant, glorotUniform, type OffloadedParam, type ParamTensors } from '../src/params';
import { rollRows } from './losses';
import { startFusedMdke, type OffloadedHead, type PendingMdke } from './mdke_fused';
import { gatherRows, matMulFast, scaledRows, weightedSum } from '../src/tf_ops';
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
  /** This step's L_mdke, started by `startMdke` and collected by `losses`. */
  private started?: { weighted: tf.Tensor2D[]; complete?: Uint8Array; pending?: PendingMdke };
  /** The projection heads' parameters, when the graph thread steps them (see `offloadHeads`). */
  private offloaded?: OffloadedHead[];

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

  /**
   * Lets the dense engine's graph thread take the optimiser steps of the projection heads: where
   * L_mdke runs there (`startMdke`), the thread steps each head from the gradients it has just
   * computed, beside the host's own step, and only the features' gradients come back. `offload` is
   * the trainer's (DenseOptimizer.offload); the numbers are those of stepping the heads on the
   * host. Where any head cannot be offloaded, or gamma1 is 0 (the term is then only reported and
   * the heads get no gradient), nothing changes.
   */
  offloadHeads(offload: (name: string) => OffloadedParam | undefined): void {
    this.offloaded = undefined;
    if (!this.options.useMdke || this.dims.length < 2 || this.options.gamma1 === 0) return;
    const heads = this.dims.map((_, m) => ['W1', 'b1', 'W2', 'b2'].map((w) => offload(this.name(m, w))));
    if (heads.every((hd) => hd.every((q) => q !== undefined))) this.offloaded = heads as unknown as OffloadedHead[];
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

  /** The L_mdke that `startMdke` began for these features, if it did (a run for other features is drained). */
  private takeStarted(weighted: tf.Tensor2D[], complete: Uint8Array | undefined): { pending?: PendingMdke } | undefined {
    const started = this.started;
    this.started = undefined;
    if (!started) return undefined;
    if (started.weighted === weighted && started.complete === complete) return started;
    started.pending?.lateValue?.();
    return undefined;
  }

  /**
   * Starts this step's L_mdke (with the weight `losses` gives it) on the dense engine's graph thread
   * where it has one, so that it runs while the host computes its own loss; `losses` with the same
   * features collects it. The numbers are the same as without the call (the reported loss to float
   * rounding: its L_mdke share is then added in float64 after the backward pass).
   */
  startMdke(weighted: tf.Tensor2D[], p: ParamTensors, complete?: Uint8Array): void {
    this.started = { weighted, complete, pending: this.beginMdke(weighted, p, complete, this.mdkeWeight(), true) };
  }

  /** The weight L_mdke gets inside `losses`: gamma1, or 1 when gamma1 is 0 (the term is then only reported). */
  private mdkeWeight(): number {
    return this.options.gamma1 !== 0 ? this.options.gamma1 : 1;
  }

  /**
   * weight * L_mdke (Eq. 2) over the weighted features of the batch, read and (off-thread, where the
   * engine can) started. `complete` (optional, one flag per row) restricts it to the samples that
   * have every modality: a sample without one has no positive pair (its feature row is a zero
   * placeholder). Undefined when there is no L_mdke to compute.
   */
  private beginMdke(weighted: tf.Tensor2D[], p: ParamTensors, complete: Uint8Array | undefined, weight: number, offThread: boolean): PendingMdke | undefined {
    if (!this.options.useMdke || weighted.length < 2) return undefined;
    let rows = weighted;
    const B = weighted[0].shape[0];
    const cap = this.options.mdkeRows > 0 ? this.options.mdkeRows : B;
    let keep = Int32Array.from({ length: B }, (_, i) => i).filter((i) => !complete || complete[i] === 1);
    if (keep.length > cap) keep = keep.subarray(0, cap);
    if (keep.length < 2) return undefined;
    if (keep.length < B) rows = weighted.map((h) => gatherRows(h, keep));
    // the same loss as mdkeLoss(rows.map(project)) as one op on typed arrays (mdke_fused.ts)
    const heads = rows.map((_, m) => ({
      W1: p[this.name(m, 'W1')] as tf.Tensor2D, b1: p[this.name(m, 'b1')] as tf.Tensor1D,
      W2: p[this.name(m, 'W2')] as tf.Tensor2D, b2: p[this.name(m, 'b2')] as tf.Tensor1D,
    }));
    return startFusedMdke(rows, heads, this.options.temperature, weight, undefined, offThread, offThread ? this.offloaded : undefined);
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

  /**
   * The mixed features z(h^p_i, h^a_{i'}) of Eq. 6 for a draw (weighted = h^m_hat, predominant
   * first): row r of modality m is scale_r^m * weighted[m][source_r^m], with scale lambda and
   * source i (the anchor) for the predominant modality, (1 - lambda) / (M - 1) and i' = (i + n)
   * mod B for the others. `features` is built when first read, one op per modality
   * ({@link scaledRows}) instead of the slice / roll / multiply / concat chain of every block (a
   * dozen small tfjs ops each), with the same float32 products; a row that several blocks use gets
   * its gradient terms summed in block order.
   */
  mix(weighted: tf.Tensor2D[], draw: BetaDraw): BetaMix {
    const M = weighted.length;
    const total = draw.blocks.reduce((s, b) => s + b.rows, 0);
    const anchors = new Int32Array(total);
    const partners = new Int32Array(total);
    const lambda = new Float32Array(total);
    const auxScale = new Float32Array(total);
    let r = 0;
    for (const { shift, rows, lambda: lam } of draw.blocks) {
      for (let i = 0; i < rows; i++, r++) {
        anchors[r] = i;
        partners[r] = (i + shift) % draw.batchSize;
        lambda[r] = lam[i];
        // float32 (1 - lambda) / (M - 1), as tfjs' sub and div of the float32 lambda compute it
        auxScale[r] = Math.fround(Math.fround(1 - lam[i]) / (M - 1));
      }
    }
    const sources = weighted.map((_, m) => (m === 0 ? anchors : partners));
    const scales = weighted.map((_, m) => (m === 0 ? lambda : auxScale));
    let features: tf.Tensor2D[] | undefined;
    return {
      get features() {
        return (features ??= weighted.map((h, m) => scaledRows(h, sources[m], scales[m])));
      },
      sources, scales, anchors, partners, lambda,
    };
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
   * `mixed`: `mix(weighted, draw)` when the host already built it (to fuse it with its batch).
   */
  losses(weighted: tf.Tensor2D[], p: ParamTensors, draw: BetaDraw, betaLossOf: (mix: BetaMix) => tf.Scalar, complete?: Uint8Array, mixed?: BetaMix): ImmlLosses {
    const { gamma1, gamma2, useBeta } = this.options;
    // gamma1 L_mdke as one op (its gradients need no rescaling), L_mdke itself for the report
    const weight = this.mdkeWeight();
    const started = this.takeStarted(weighted, complete);
    const pending = started ? started.pending : this.beginMdke(weighted, p, complete, weight, false);
    const mdkeWeighted = pending?.finish() ?? tf.scalar(0);
    const late = pending?.lateValue;
    // off-thread, the op's forward value is 0: its value joins the reported loss after the backward pass
    if (late) addLateLossTerm(() => (gamma1 !== 0 ? late() : 0));
    const mdke = gamma1 !== 0 && !late ? (tf.div(mdkeWeighted, gamma1) as tf.Scalar) : mdkeWeighted;
    const beta = useBeta && weighted.length > 1 && draw.blocks.length > 0 ? betaLossOf(mixed ?? this.mix(weighted, draw)) : tf.scalar(0);
    // mdkeWeighted is gamma1 L_mdke already; with gamma1 = 0 it is only reported
    const total = weightedSum([mdkeWeighted, beta], [gamma1 !== 0 ? 1 : 0, gamma2]);
    return late ? { total, mdke, beta, lateMdke: () => late() / weight } : { total, mdke, beta };
  }

  private checkModalities(hs: tf.Tensor2D[]): void {
    if (hs.length !== this.dims.length) throw new Error(`imml: expected ${this.dims.length} modalities, got ${hs.length}`);
    hs.forEach((h, m) => {
      if (h.shape[1] !== this.dims[m]) throw new Error(`imml: modality ${m} has width ${h.shape[1]}, expected ${this.dims[m]}`);
    });
  }
}

export type { ImmlOptions } from './options';
