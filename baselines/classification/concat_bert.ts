import type { ModelBuildContext } from '../../src/classification/types';
import { ConcatClassifier } from './concat_bow';

/**
 * ConcatBERT (C-BERT, MMBT's `MultimodalConcatBertClf` as used by QMF [19]): BERT's pooled
 * [CLS] vector concatenated with the image features, one linear classifier. There is no BERT
 * on our machines: this runs on user-supplied per-sample text features (`--features
 * text=FILE`); run on any other text encoder it is a substitute and the result tables say so.
 */
export function concatBert(ctx: ModelBuildContext): ConcatClassifier {
  return new ConcatClassifier('concat-bert', 'C-BERT', ctx);
}
