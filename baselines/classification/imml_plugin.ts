import * as tf from '@tensorflow/tfjs';
import type { ParamStore, ParamTensors } from '../../src/params';
import type { Rng } from '../../src/rng';
import type { ClsModel, ClsPlugin, FusionOutput, PluginFeatures, StepContext, TrainerHost } from '../../src/classification/types';
import { ImmlPlugin } from '../../imml/plugin';
import type { ImmlOptions } from '../../imml/options';
import type { BetaDraw, BetaMix } from '../../src/plugin';
import { scaledRows } from '../../src/tf_ops';

/**
 * IMML (Li, Song, Zheng, Li, Sun, Xiong, "Interventional Imbalanced Multi-Modal Representation
 * Learning via beta-Generalization Front-Door Criterion"; Section IV, Algorithm 1) on any
 * classification model, through the shared
 * plug-in `imml/plugin.ts` (the only implementation of N_DK, P^m, L_mdke and L_beta):
 * - the weighted features h^m * w^m replace h^m in the model's forward pass (`weigh`);
 * - gamma1 L_mdke + gamma2 L_beta is added to the model's loss, where L_beta runs the model's
 *   own fusion and target mapping (`model.fuse`) on the mixed features of the plug-in and its
 *   soft-target downstream loss (`model.softLoss`: soft cross-entropy for logits models,
 *   TMC's evidential loss for TMC) with targets lambda y_i + (1 - lambda) y_{i'}.
 * Nothing here depends on the model.
 */
export class IMMLClsPlugin implements ClsPlugin {
  readonly name = 'imml';
  readonly label = 'IMML';
  readonly imml: ImmlPlugin;
  private sums = { mdke: 0, beta: 0, steps: 0 };
  /** L_mdke of the last step, when it ran on the graph thread (see settleLateMdke). */
  private lateMdke?: () => number;
  /** This step's draw and mix (from `appendRows`), consumed by `loss`. */
  private pending?: { draw: BetaDraw; mix: BetaMix; rows: Int32Array };

  constructor(dims: readonly number[], options: ImmlOptions, store: ParamStore, rng: Rng) {
    this.imml = new ImmlPlugin(dims, options, store, rng.derive('imml'));
  }

  /** The projection heads are stepped on the graph thread that computes L_mdke, where it runs there. */
  beforeTraining(host: TrainerHost): void {
    this.imml.offloadHeads((name) => host.offloadParam(name));
  }

  weigh(hs: tf.Tensor2D[], p: ParamTensors): tf.Tensor2D[] {
    return this.imml.weigh(hs, p);
  }

  /** The mixed samples of this step's L_beta draw, appended to the fusion's inputs (one op per modality) to be fused with the batch. */
  appendRows(f: PluginFeatures, stacked: tf.Tensor2D[], p: ParamTensors, ctx: StepContext): tf.Tensor2D[] | undefined {
    this.pending = undefined;
    if (!ctx.training) return undefined;
    // L_mdke needs only these features: it runs on the graph thread while the trainer fuses
    this.imml.startMdke(f.fused, p);
    if (!this.imml.options.useBeta || f.fused.length < 2) return undefined;
    const draw = this.imml.drawBeta(ctx.rows.length);
    if (draw.blocks.length === 0) return undefined;
    // the mix's sources are batch rows, the first rows of `stacked`
    const mix = this.imml.mix(f.fused, draw);
    this.pending = { draw, mix, rows: ctx.rows };
    return stacked.map((s, m) => scaledRows(s, mix.sources[m], mix.scales[m], true));
  }

  loss(f: PluginFeatures, _out: FusionOutput, model: ClsModel, p: ParamTensors, ctx: StepContext, extra?: FusionOutput): tf.Scalar {
    if (!ctx.training) return tf.scalar(0);
    const pending = this.pending;
    this.pending = undefined;
    if (extra && (!pending || pending.rows !== ctx.rows)) throw new Error('imml: got fused extra rows, but appendRows was not called for this batch');
    // without the trainer's joint fusion (appendRows not called), draw here and fuse the mix alone
    const draw = pending?.draw ?? this.imml.drawBeta(ctx.rows.length);
    const l = this.imml.losses(
      f.fused, p, draw,
      (mix) => {
        const yA = Int32Array.from(mix.anchors, (i) => ctx.labels[i]);
        const yB = Int32Array.from(mix.partners, (i) => ctx.labels[i]);
        return model.softLoss(extra ?? model.fuse(mix.features, p, ctx), yA, yB, mix.lambda, ctx);
      },
      undefined,
      pending?.mix,
    );
    this.settleLateMdke();
    if (l.lateMdke) this.lateMdke = l.lateMdke;
    else this.sums.mdke += (l.mdke.dataSync() as Float32Array)[0];
    this.sums.beta += (l.beta.dataSync() as Float32Array)[0];
    this.sums.steps++;
    return l.total;
  }

  /** Adds the last step's L_mdke when it came from the graph thread (known after that step's backward pass). */
  private settleLateMdke(): void {
    if (this.lateMdke) this.sums.mdke += this.lateMdke();
    this.lateMdke = undefined;
  }

  report(): Record<string, number | string> {
    this.settleLateMdke();
    const n = Math.max(1, this.sums.steps);
    return { immlMeanMdke: this.sums.mdke / n, immlMeanBeta: this.sums.beta / n };
  }
}
