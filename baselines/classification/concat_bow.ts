import * as tf from '@tensorflow/tfjs';
import type { ParamTensors } from '../../src/params';
import type { ClsModel, FusionOutput, ModelBuildContext, StepContext } from '../../src/classification/types';
import { addLinear, crossEntropy, linear, softLogitsLoss } from './common';

/**
 * Concatenation fusion: logits = W [h^1; ...; h^M] + b, loss = CE. As MMBT's
 * `MultimodalConcatBowClf` (facebookresearch/mmbt, used by QMF [19] for its C-Bow row): GloVe
 * bag-of-words text features concatenated with the image features, one linear classifier.
 * Here the non-text modality is whatever the data has (HFM: attribute words through their own
 * bag-of-words encoder; no images on our machines).
 */
export class ConcatClassifier implements ClsModel {
  readonly mode = 'vector' as const;

  constructor(readonly name: string, readonly label: string, ctx: ModelBuildContext) {
    addLinear(ctx.store, ctx.rng, 'head.concat', ctx.dims.reduce((a, b) => a + b, 0), ctx.numClasses);
  }

  fuse(hs: tf.Tensor2D[], p: ParamTensors): FusionOutput {
    const cat = hs.length === 1 ? hs[0] : (tf.concat(hs, 1) as tf.Tensor2D);
    return { scores: linear(cat, p, 'head.concat'), parts: {} };
  }

  loss(out: FusionOutput, _p: ParamTensors, ctx: StepContext): tf.Scalar {
    return crossEntropy(out.scores, ctx.labels);
  }

  softLoss = softLogitsLoss;
}

/** C-Bow: {@link ConcatClassifier} on bag-of-words text features. */
export function concatBow(ctx: ModelBuildContext): ConcatClassifier {
  return new ConcatClassifier('concat-bow', 'C-Bow', ctx);
}
