import * as tf from '@tensorflow/tfjs';
import type { ParamTensors } from '../../src/params';
import { ProjectedTranslationModel, anyPresent, checkFuseInputs, maskedSum, type ProjectedTranslationOptions } from './projected_translation';
import type { TranslationSumSpec } from './translation_sum';

/** MMKRL's energy: the mean of E(s,s), E(s,m), E(m,s), E(m,m) (tail layout [s, m, s, m] scaled by 1/4). */
export const MMKRL_SPEC: TranslationSumSpec = {
  basis: ['s', 'm'],
  terms: [['s', 's'], ['s', 'm'], ['m', 's'], ['m', 'm']],
  weight: 1 / 4,
};

/**
 * MMKRL: score(h, r, t) = -(1/4)(||h_s+r-t_s||_1 + ||h_s+r-t_m||_1 + ||h_m+r-t_s||_1 + ||h_m+r-t_m||_1),
 * with the multimodal knowledge e_m = W [v_e; l_e]; auxiliary loss = mean over present entities
 * and coordinates of (e_s - e_m)^2 (the trainer multiplies it by options.auxWeight).
 *
 * Reference: Lu et al., "MMKRL: A robust embedding approach for multi-modal knowledge graph
 * representation learning", Applied Intelligence 52 (2022), doi:10.1007/s10489-021-02693-9.
 *
 * Ranking representation (width 4d): rep(e) = (1/4)[e_s, e_m, e_s, e_m]; tail query
 * (1/4)[h_s+r, h_s+r, h_m+r, h_m+r]; head query (1/4)[t_s-r, t_s-r, t_m-r, t_m-r];
 * score = -||q - rep(e)||_1 exactly (L1 is homogeneous: (1/4)|x| = |x/4|; rankForm 'l1').
 *
 * Interpretations:
 * - "Knowledge reconstruction" = the four translation terms between structural and multimodal
 *   embeddings, averaged (the paper sums plausibility functions; the mean only rescales, the
 *   margin of the loss then means a quarter as much).
 * - e_m is a linear projection (no bias) of the concatenation of whichever auxiliary features exist,
 *   blocks `mmkrl.W.<m>` [D_m, d] (W [v; l] = v W_v + l W_l); encode returns h^m = x_m W_m, fuse sums
 *   them. Init: Glorot uniform.
 * - "Knowledge alignment" = the MSE between e_s and e_m (the paper's norm constraints that pull the
 *   two spaces together), averaged over the entities of the batch that have at least one auxiliary
 *   modality and over the d coordinates. `auxiliaryLoss` returns it unweighted: the training step
 *   (src/train/multimodal_*.ts) multiplies it by options.auxWeight.
 * - The paper's adversarial training is not part of this model (a training-loop concern; not done).
 * - Missing modality: its block contributes zero; an entity with no auxiliary modality falls back to
 *   e_m = e_s and is left out of the alignment loss.
 * - Norm: L1; norm 2 is rejected. Structural and relation rows: TransE init; structural rows are
 *   renormalised to unit L2 norm after every step (`constrainStructural`), relation rows and e_m are not.
 */
export class MMKRL extends ProjectedTranslationModel {
  constructor(o: ProjectedTranslationOptions) {
    super('mmkrl', o, MMKRL_SPEC);
  }

  /**
   * The same alignment MSE on typed arrays (fused training): L = sum_u present_u ||s_u - m_u||^2 / C,
   * C = max(1, d * sum_u present_u); dL/ds_u = 2 present_u (s_u - m_u) / C = -dL/dm_u (times weight).
   */
  protected override basisAuxiliary(s: Float32Array, m: Float32Array, present: Uint8Array, U: number, weight: number, gS: Float32Array, gM: Float32Array): number {
    const d = this.dim;
    let count = 0;
    for (let u = 0; u < U; u++) count += present[u];
    const C = Math.max(1, d * count);
    const scale = (2 * weight) / C;
    let sq = 0;
    for (let u = 0; u < U; u++) {
      if (!present[u]) continue;
      for (let c = u * d; c < u * d + d; c++) {
        const diff = s[c] - m[c];
        sq += diff * diff;
        gS[c] += scale * diff;
        gM[c] -= scale * diff;
      }
    }
    return sq / C;
  }

  /**
   * Alignment MSE: sum_i present_i ||s_i - m_i||^2 / max(1, d * sum_i present_i), m_i = sum_m mask_im h^m_i
   * (before the fallback; entities without any modality are excluded). Unweighted (the trainer applies
   * auxWeight). hs [s, h^1..h^M] -> scalar.
   */
  auxiliaryLoss(hs: tf.Tensor2D[], masks: tf.Tensor2D[], _p: ParamTensors): tf.Scalar {
    checkFuseInputs(this.name, hs, masks, this.modalities.length);
    return tf.tidy(() => {
      const present = anyPresent(masks);
      const sq = tf.sum(tf.mul(present, tf.square(tf.sub(hs[0], maskedSum(hs.slice(1), masks)))));
      const count = tf.maximum(tf.mul(tf.sum(present), this.dim), 1);
      return tf.div(sq, count) as tf.Scalar;
    });
  }
}

/** Registry factory of {@link MMKRL}. */
export function createMmkrl(o: ProjectedTranslationOptions): MMKRL {
  return new MMKRL(o);
}
