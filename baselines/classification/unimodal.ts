import * as tf from '@tensorflow/tfjs';
import type { ParamTensors } from '../../src/params';
import type { ClsModel, FusionOutput, ModelBuildContext, StepContext } from '../../src/classification/types';
import { addLinear, crossEntropy, linear, softLogitsLoss } from './common';

/**
 * Uni-modal classifier: one encoder f^m and a linear layer, cross-entropy loss. The rows of
 * Table I it stands for, as in the MMBT/QMF code (facebookresearch/mmbt, QingyangZhang/QMF):
 * - `bow`: Bow (Mikolov et al. 2013 [54] as cited): GloVe bag of words + linear layer
 *   (GloveBowClf). Here the bag is our embedding-bag encoder (trainable unless `bow-fixed`).
 * - `img`: the image-only row (ResNet-152 [55] in the paper). Without images, it runs on the
 *   auxiliary modality the data has (HFM: the 5 image-attribute words), labelled as such.
 * - `bert`: BERT [45] ([CLS] + linear), only on user-supplied per-sample text features; on our
 *   machines there is no BERT, so this row needs `--features text=FILE`.
 * With one modality the IMML plug-in reduces to its N_DK weights (no pair for L_mdke or L_beta).
 */
export class UniModal implements ClsModel {
  readonly mode = 'vector' as const;

  constructor(readonly name: string, readonly label: string, private readonly ctx: ModelBuildContext) {
    if (ctx.dims.length !== 1) throw new Error(`${name}: a uni-modal model takes exactly one modality, got ${ctx.dims.length}`);
    addLinear(ctx.store, ctx.rng, 'head.0', ctx.dims[0], ctx.numClasses);
  }

  fuse(hs: tf.Tensor2D[], p: ParamTensors): FusionOutput {
    return { scores: linear(hs[0], p, 'head.0'), parts: {} };
  }

  loss(out: FusionOutput, _p: ParamTensors, ctx: StepContext): tf.Scalar {
    return crossEntropy(out.scores, ctx.labels);
  }

  softLoss = softLogitsLoss;
}
