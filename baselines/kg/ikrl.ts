import { ProjectedTranslationModel, type ProjectedTranslationOptions } from './projected_translation';
import type { TranslationSumSpec } from './translation_sum';

/**
 * IKRL's energy: E = ||h_s+r-t_s|| + ||h_s+r-t_i|| + ||h_i+r-t_s|| + ||h_i+r-t_i|| (tail layout
 * [s, i, s, i]). Under per-term training (`perTermLoss`) the cross terms' hinges weigh 0.5: the
 * official code (thunlp/IKRL, Train.cpp) steps them at rate_m = 0.5 rate, the others at rate.
 */
export const IKRL_SPEC: TranslationSumSpec = {
  basis: ['s', 'i'],
  terms: [['s', 's'], ['s', 'i'], ['i', 's'], ['i', 'i']],
  weight: 1,
  termLossWeights: [1, 0.5, 0.5, 1],
};

/**
 * IKRL: score(h, r, t) = -(||h_s+r-t_s||_1 + ||h_s+r-t_i||_1 + ||h_i+r-t_s||_1 + ||h_i+r-t_i||_1),
 * with the image-based entity e_i = W v_e.
 *
 * Reference: Ruobing Xie, Zhiyuan Liu, Huanbo Luan, Maosong Sun, "Image-embodied Knowledge
 * Representation Learning", IJCAI 2017 (official code thunlp/IKRL).
 *
 * Ranking representation (width 4d): rep(e) = [e_s, e_i, e_s, e_i]; tail query
 * [h_s+r, h_s+r, h_i+r, h_i+r]; head query [t_s-r, t_s-r, t_i-r, t_i-r]; score = -||q - rep(e)||_1
 * exactly (rankForm 'l1'). Relations: d floats; structural rows: d floats.
 *
 * Interpretations (stated because the paper leaves them open or our setting differs):
 * - One image vector per entity (the feature files hold one row per entity): the paper's attention
 *   over an entity's images, softmax_j(e_s . W v_j), has a single term of weight 1, so e_i = W v_e.
 * - With several auxiliary modalities (image and text) their concatenation [x_1; ...; x_M] is the
 *   "image" input: e_i = W [x_1; ...; x_M] = sum_m x_m W_m, stored as blocks `ikrl.W.<m>` [D_m, d].
 *   encode returns h^m = x_m W_m (per-modality projected representations); fuse sums them.
 * - W is linear without bias, as in the paper (e_i = W v); init Glorot uniform of the whole matrix
 *   (the official code draws tiny uniform values; the paper does not say).
 * - Missing modality: its block contributes zero (its feature row is zero; fuse also multiplies by the
 *   mask); an entity with no auxiliary modality at all falls back to e_i = e_s.
 * - Norm: L1 (the official code's default, L1_flag = 1); norm 2 is rejected (ranking is exact only for L1).
 * - Norm constraints: structural rows are TransE-initialised and renormalised to unit L2 norm after
 *   every step (`constrainStructural`, the paper's ||e_s|| <= 1 as TransE enforces it); relation
 *   rows are unit-norm at init only, and e_i = W v_e is not constrained (the paper's ||r|| <= 1 and
 *   ||e_i|| <= 1 are not enforced here). The margin loss belongs to the trainer: one hinge on the
 *   whole energy by default, one per term with `perTermLoss` (the official code).
 * - Ranking: the whole energy by default (our reading of "the energy" at test time); the paper
 *   reports its structure-based, image-based and union representations separately, which
 *   `rankEnergy` structure / auxiliary / union give.
 * - Not implemented from the official code: its extra hinge with a corrupted relation on E(s,s),
 *   its soft penalty keeping ||e_i|| <= 1, and its SGD with a decaying rate.
 */
export class IKRL extends ProjectedTranslationModel {
  constructor(o: ProjectedTranslationOptions) {
    super('ikrl', o, IKRL_SPEC);
  }
}

/** Registry factory of {@link IKRL}. */
export function createIkrl(o: ProjectedTranslationOptions): IKRL {
  return new IKRL(o);
}
