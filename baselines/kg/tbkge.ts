import { ProjectedTranslationModel, type ProjectedTranslationOptions } from './projected_translation';
import type { TranslationSumSpec } from './translation_sum';

/**
 * TBKGE's energy E(s,s) + E(m,m) + E(m,s) + E(s,m) + E(s+m, s+m), E(a,b) = ||h_a + r - t_b||_1
 * (tail layout [s, m, s, m, s+m]).
 */
export const TBKGE_SPEC: TranslationSumSpec = {
  basis: ['s', 'm'],
  terms: [['s', 's'], ['m', 'm'], ['m', 's'], ['s', 'm'], ['s+m', 's+m']],
  weight: 1,
};

/**
 * TBKGE: score(h, r, t) = -(||h_s+r-t_s||_1 + ||h_m+r-t_m||_1 + ||h_s+r-t_m||_1 + ||h_m+r-t_s||_1
 * + ||(h_s+h_m)+r-(t_s+t_m)||_1), with the multimodal entity e_m = W [v_e; l_e].
 *
 * Reference: Hatem Mousselly-Sergieh, Teresa Botschen, Iryna Gurevych, Stefan Roth, "A Multimodal
 * Translation-Based Approach for Knowledge Graph Representation Learning", *SEM 2018.
 *
 * Ranking representation (width 5d): rep(e) = [e_s, e_m, e_s, e_m, e_s+e_m]; tail query
 * [h_s+r, h_m+r, h_m+r, h_s+r, h_s+h_m+r]; head query [t_s-r, t_m-r, t_m-r, t_s-r, t_s+t_m-r];
 * score = -||q - rep(e)||_1 exactly (rankForm 'l1'). Block pairing, tail side: |h_s+r-t_s| (s,s),
 * |h_m+r-t_m| (m,m), |h_m+r-t_s| (m,s), |h_s+r-t_m| (s,m), |h_s+h_m+r-t_s-t_m|; head side (candidate
 * e = h): |t_s-r-h_s|, |t_m-r-h_m|, |t_m-r-h_s| (s,m), |t_s-r-h_m| (m,s), |t_s+t_m-r-h_s-h_m|.
 *
 * Interpretations:
 * - e_m is a linear projection (no bias, no nonlinearity) of the concatenation of whichever
 *   auxiliary features exist ([v_e; l_e], or one of them), stored as blocks `tbkge.W.<m>` [D_m, d]
 *   with W [v; l] = v W_v + l W_l; encode returns h^m = x_m W_m, fuse sums them. Init: Glorot uniform.
 * - One relation vector r (width d) shared by all five terms.
 * - Missing modality: its block contributes zero; an entity with no auxiliary modality falls back to
 *   e_m = e_s (then the energy is that of TransE on e_s, counted four times, plus the (s+m) term on 2 e_s).
 * - Norm: L1; norm 2 is rejected (ranking is exact only for L1). Structural and relation rows: TransE
 *   init (uniform(-6/sqrt(d), 6/sqrt(d)), unit L2 norm); structural rows are renormalised to unit L2
 *   norm after every step (`constrainStructural`, TransE's constraint), relation rows and e_m are not.
 */
export class TBKGE extends ProjectedTranslationModel {
  constructor(o: ProjectedTranslationOptions) {
    super('tbkge', o, TBKGE_SPEC);
  }
}

/** Registry factory of {@link TBKGE}. */
export function createTbkge(o: ProjectedTranslationOptions): TBKGE {
  return new TBKGE(o);
}
