import * as tf from '@tensorflow/tfjs';
import type { ParamTensors } from '../../src/params';
import type { ClsModel, FusionOutput, ModelBuildContext, StepContext } from '../../src/classification/types';
import { addLinear, crossEntropy, linear, softLogitsLoss } from './common';

/**
 * Late fusion (L-f), as in QMF's code (QingyangZhang/QMF, `MultimodalLateFusionClf` with
 * `df = False`, trained by its train.py): one linear classifier per modality on h^m, the fused
 * logits are their average (0.5 txt + 0.5 img for two modalities), loss = CE(fused logits).
 * Zhang et al., "Provable Dynamic Fusion for Low-Quality Multimodal Data", ICML 2023 [19].
 */
export class LateFusion implements ClsModel {
  readonly name = 'late-fusion';
  readonly label = 'L-f';
  readonly mode = 'vector' as const;
  private readonly M: number;

  constructor(ctx: ModelBuildContext) {
    this.M = ctx.dims.length;
    ctx.dims.forEach((d, m) => addLinear(ctx.store, ctx.rng, `head.${m}`, d, ctx.numClasses));
  }

  fuse(hs: tf.Tensor2D[], p: ParamTensors): FusionOutput {
    const logits = hs.map((h, m) => linear(h, p, `head.${m}`));
    const fused = tf.div(tf.addN(logits), this.M) as tf.Tensor2D;
    const parts: Record<string, tf.Tensor> = {};
    logits.forEach((l, m) => (parts[`logits.${m}`] = l));
    return { scores: fused, parts };
  }

  loss(out: FusionOutput, _p: ParamTensors, ctx: StepContext): tf.Scalar {
    return crossEntropy(out.scores, ctx.labels);
  }

  softLoss = softLogitsLoss;
}
