import * as tf from '@tensorflow/tfjs';
import type { Schema } from '../../src/options';
import type { ParamTensors } from '../../src/params';
import type { ClsModel, ClsPlugin, FusionOutput, PluginFeatures, StepContext, TrainerHost } from '../../src/classification/types';

/** UMT's options: the distillation weight (our reading of the paper: 1) and where teachers are cached. */
export const UMT_OPTIONS: Schema<{ umtScale: number; teacherCache: string }> = {
  umtScale: { type: 'number', default: 1, min: 0, help: 'UMT: weight of the feature distillation' },
  teacherCache: { type: 'string', default: '', help: "UMT: cache the teachers' features here ('' = none)" },
};

/**
 * Uni-Modal Teacher (UMT; Du, Teng, Li, Lu, Chen, Zhao, Cheng, Huang, "On Uni-Modal Feature
 * Learning in Supervised Multi-Modal Learning", ICML 2023 [23]), as a plug-in on any model:
 * first one uni-modal model per modality is trained (the same encoder configuration plus a
 * linear classifier, cross-entropy, early stopping on dev); its encoder is then frozen and its
 * features h_T^m of every training sample are fixed. The multimodal student adds
 * scale * sum_m MSE(h^m, h_T^m) (mean over the elements) to its own loss (for L-f: CE of the
 * fused logits, as the paper; with TMC/QMF their losses).
 *
 * The paper distils from uni-modal teachers that are often pre-trained (the IMML paper notes
 * CLIP); ours are trained from scratch on the same data, and the official code could not be
 * read here, so the distillation target (the encoder output, before any IMML weighting) and the
 * default scale 1 are our reading of the paper.
 */
export class UmtPlugin implements ClsPlugin {
  readonly name = 'umt';
  readonly label = 'UMT';
  /** Frozen teacher features per modality, [trainSize * D_m] (read-only after beforeTraining). */
  teacher: Float32Array[] = [];
  private batchTargets: Float32Array[] = [];
  private batchRows = 0;

  constructor(readonly dims: readonly number[], readonly scale = UMT_OPTIONS.umtScale.default) {}

  async beforeTraining(host: TrainerHost & { trainTeacher(m: number): Promise<Float32Array> }): Promise<void> {
    this.teacher = [];
    for (let m = 0; m < this.dims.length; m++) {
      host.log(`umt: training the uni-modal teacher of '${host.modalities[m]}'`);
      const f = await host.trainTeacher(m);
      if (f.length !== host.train.size * this.dims[m]) throw new Error(`umt: teacher of modality ${m} gave ${f.length} floats, expected ${host.train.size}*${this.dims[m]}`);
      this.teacher.push(f);
    }
  }

  beforeStep(ctx: StepContext): void {
    if (!ctx.training) return;
    this.batchRows = ctx.rows.length;
    this.batchTargets = this.teacher.map((t, m) => {
      const D = this.dims[m];
      const out = new Float32Array(ctx.rows.length * D);
      for (let i = 0; i < ctx.rows.length; i++) out.set(t.subarray(ctx.rows[i] * D, ctx.rows[i] * D + D), i * D);
      return out;
    });
  }

  loss(f: PluginFeatures, _out: FusionOutput, _model: ClsModel, _p: ParamTensors, ctx: StepContext): tf.Scalar {
    if (!ctx.training || this.teacher.length === 0) return tf.scalar(0);
    if (this.batchRows !== ctx.rows.length) throw new Error('umt: beforeStep was not called for this batch');
    const terms = f.raw.map((h, m) => tf.mean(tf.squaredDifference(h, tf.tensor2d(this.batchTargets[m], [ctx.rows.length, this.dims[m]]))) as tf.Scalar);
    return tf.mul(this.scale, tf.addN(terms)) as tf.Scalar;
  }
}
