/**
 * The model pieces IKRL, TBKGE and MMKRL share (TransAE uses the option checks and the masking
 * helpers too): option checks, per-modality projection blocks, the masked sum with its structural
 * fallback, and {@link ProjectedTranslationModel}, a translation-sum model over the basis [s, m]
 * with its typed-array encoder for fused negative-sampling training.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../src/rng';
import type { ModalityFeatures } from '../../src/modality';
import type { FusedEncoder, FusedEncoding, MultimodalKgModel, MultimodalOptions, RankingView } from '../../src/multimodal';
import { FeatureRowsBuffer, FlagScratch, Scratch, flushSubnormals, gatherRows, isIdentity, matMul } from './fused_dense';
import { scatterAddRows } from '../../src/rows';
import { ParamStore, glorotUniform, type ParamTensors } from '../../src/params';
import { checkTable, normalizeRowsL2 } from './common';
import { CrossTranslationKernel, TranslationSumScorer, initTransE, type TranslationSumSpec } from './translation_sum';
import type { Schema } from '../../src/options';
import { EMBEDDING_OPTIONS } from '../../src/scorer';
import { TRANSE_OPTIONS } from './transe';

/** The options of the TransE-family multimodal models (IKRL, TBKGE, TransAE, MMKRL): TransE's dim and norm. */
export const TRANSLATION_SUM_OPTIONS: Schema<Pick<MultimodalOptions, 'dim' | 'norm'>> = {
  dim: EMBEDDING_OPTIONS.dim,
  norm: TRANSE_OPTIONS.norm,
};

/** Which energy IKRL, TBKGE and MMKRL rank with (IKRL paper, Table 2: SBR, IBR, UNION). */
export type RankEnergy = 'full' | 'structure' | 'auxiliary' | 'union';

/** The options of IKRL, TBKGE and MMKRL: TransE's dim and norm, and the energy they rank with. */
export const PROJECTED_TRANSLATION_OPTIONS: Schema<Pick<MultimodalOptions, 'dim' | 'norm'> & { rankEnergy: RankEnergy }> = {
  ...TRANSLATION_SUM_OPTIONS,
  rankEnergy: {
    type: 'enum', default: 'full', values: ['full', 'structure', 'auxiliary', 'union'],
    help: "energy to rank with: full (the training energy), structure ||h_s+r-t_s|| (IKRL's SBR), auxiliary ||h_m+r-t_m|| (IBR), union, the sum of the two (UNION)",
  },
};

/** What the factories of IKRL, TBKGE and MMKRL receive. */
export type ProjectedTranslationOptions = MultimodalOptions & { rankEnergy?: RankEnergy };

/** The terms each ranking energy keeps, over a basis [s, m]. */
function rankTerms(rankEnergy: Exclude<RankEnergy, 'full'>, [s, m]: readonly string[]): [string, string][] {
  if (rankEnergy === 'structure') return [[s, s]];
  if (rankEnergy === 'auxiliary') return [[m, m]];
  return [[s, s], [m, m]];
}

/**
 * Validates the options the TransE-family multimodal models use and returns `dim`. Throws on
 * norm 2: these models rank with an exact L1 layout (a sum of L2 distances is not one L2 distance).
 */
export function checkMultimodalOptions(model: string, o: MultimodalOptions): number {
  const dim = o?.dim;
  if (!Number.isInteger(dim) || dim <= 0) throw new Error(`${model}: dim must be a positive integer, got ${dim}`);
  if (o.norm === 2) {
    throw new Error(`${model}: norm 2 is not supported; ${model} ranks with the L1 norm (a sum of L1 energies is one L1 distance between concatenations, which makes its ranking exact); use norm 1`);
  }
  if (o.norm !== 1) throw new Error(`${model}: norm must be 1, got ${o.norm}`);
  if (!o.modalities || o.modalities.length === 0) throw new Error(`${model}: needs at least one auxiliary modality (image or text features)`);
  for (const f of o.modalities) {
    if (!Number.isInteger(f.dim) || f.dim <= 0) throw new Error(`${model}: modality '${f.modality}' has dim ${f.dim}`);
  }
  if (!(o.auxWeight >= 0 && Number.isFinite(o.auxWeight))) throw new Error(`${model}: auxWeight must be finite and >= 0, got ${o.auxWeight}`);
  return dim;
}

/** Throws unless `features` are [k, modalities[m].dim] each, one per modality. */
export function checkFeatures(model: string, modalities: readonly ModalityFeatures[], structural: tf.Tensor2D, features: tf.Tensor2D[]): void {
  if (features.length !== modalities.length) throw new Error(`${model}: expected ${modalities.length} feature matrices, got ${features.length}`);
  features.forEach((f, m) => {
    if (f.shape[1] !== modalities[m].dim || f.shape[0] !== structural.shape[0]) {
      throw new Error(`${model}: features of '${modalities[m].modality}' are [${f.shape}], expected [${structural.shape[0]}, ${modalities[m].dim}]`);
    }
  });
}

/** Throws unless there are 1 + M representations and M masks. */
export function checkFuseInputs(model: string, hs: tf.Tensor2D[], masks: tf.Tensor2D[], numModalities: number): void {
  if (hs.length !== numModalities + 1) throw new Error(`${model}: expected ${numModalities + 1} representations (structural first), got ${hs.length}`);
  if (masks.length !== numModalities) throw new Error(`${model}: expected ${numModalities} masks, got ${masks.length}`);
}

/**
 * Registers one projection block W_m [D_m, d] per modality under `${prefix}.W.${m}`, so that the
 * projection of the concatenation [x_1; ...; x_M] by W = [W_1; ...; W_M] is sum_m x_m W_m.
 * Init: Glorot uniform of the whole [sum_m D_m, d] matrix (every block uses its limit).
 */
export function addProjections(store: ParamStore, prefix: string, modalities: readonly ModalityFeatures[], dim: number, rng: Rng): string[] {
  const fanIn = modalities.reduce((a, f) => a + f.dim, 0);
  return modalities.map((f, m) => {
    const name = `${prefix}.W.${m}`;
    store.add(name, [f.dim, dim], glorotUniform(rng.derive(name), fanIn, dim));
    return name;
  });
}

/** 1 where the entity has at least one auxiliary modality: 1 - prod_m (1 - mask_m). masks [k, 1] -> [k, 1]. */
export function anyPresent(masks: tf.Tensor2D[]): tf.Tensor2D {
  return tf.tidy(() => {
    if (masks.length === 1) return tf.clone(masks[0]);
    let absent: tf.Tensor = tf.sub(1, masks[0]);
    for (let m = 1; m < masks.length; m++) absent = tf.mul(absent, tf.sub(1, masks[m]));
    return tf.sub(1, absent) as tf.Tensor2D;
  });
}

/** sum_m mask_m * h_m: a missing modality contributes zero (as its zero feature row would). */
export function maskedSum(hs: tf.Tensor2D[], masks: tf.Tensor2D[]): tf.Tensor2D {
  return tf.tidy(() => tf.addN(hs.map((h, m) => tf.mul(h, masks[m]))) as tf.Tensor2D);
}

/** present * aux + (1 - present) * structural: the structural fallback of entities without any modality. */
export function withFallback(aux: tf.Tensor2D, structural: tf.Tensor2D, present: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.mul(present, aux), tf.mul(tf.sub(1, present), structural)) as tf.Tensor2D);
}

/**
 * The common shape of IKRL, TBKGE and MMKRL: basis [s, m] with s the structural row and m the
 * projection of the concatenated auxiliary features, m = sum_m x_m W_m (linear, no bias), scored by
 * a {@link TranslationSumScorer}.
 * - encode: [s, x_1 W_1, ..., x_M W_M]: h^m is modality m's projected representation (width d), so
 *   IMML weights and mixes d-dimensional representations.
 * - fuse: m = sum_m mask_m h^m; an entity with no auxiliary modality at all gets m = s (structural
 *   fallback); an entity with some modalities uses those (the missing blocks count as zeros, as in
 *   the zero-filled concatenation). Then the scorer's layout of [s, m].
 */
export abstract class ProjectedTranslationModel implements MultimodalKgModel {
  readonly scorer: TranslationSumScorer;
  readonly structuralWidth: number;
  readonly params = new ParamStore();
  readonly modalities: readonly ModalityFeatures[];
  readonly dim: number;
  /** Parameter names of the projection blocks W_m, in modality order. */
  readonly projections: readonly string[];
  /** Fused negative-sampling path: rows [s | m] and the cross-translation kernel (when it covers the spec). */
  readonly fusedEncoder?: FusedEncoder;
  /** Ranking with part of the energy (option rankEnergy other than 'full'). */
  readonly ranking?: RankingView;

  protected constructor(readonly name: string, o: ProjectedTranslationOptions, spec: TranslationSumSpec) {
    this.dim = checkMultimodalOptions(name, o);
    this.modalities = [...o.modalities];
    this.structuralWidth = this.dim;
    this.scorer = new TranslationSumScorer(name, this.dim, spec);
    const rankEnergy = o.rankEnergy ?? 'full';
    if (rankEnergy !== 'full') {
      const view = new TranslationSumScorer(`${name} (${rankEnergy})`, this.dim, { basis: spec.basis, terms: rankTerms(rankEnergy, spec.basis), weight: 1 });
      this.ranking = { scorer: view, table: (rep, n) => this.scorer.viewTable(view, rep, n) };
    }
    this.projections = addProjections(this.params, name, this.modalities, this.dim, o.rng.derive(`${name}-projections`));
    const kernel = CrossTranslationKernel.forSpec(this.dim, spec);
    if (kernel) this.fusedEncoder = { rowWidth: 2 * this.dim, kernel, encode: (ids, S) => this.encodeBasis(ids, S) };
  }

  /**
   * Typed-array twin of encode + fuse for the fused step: rows [s | m], m = sum_m mask_m x_m W_m
   * (one dense product per modality, over the entities that have it; m = s without any modality).
   * Backward: dW_m = (mask_m x_m)^T dm (one more product per modality), ds = d[s] (+ d[m] on
   * fallback rows), plus the auxiliary loss. Buffers are reused from batch to batch (see
   * FusedEncoding: what encode and backward return is valid until the next encode).
   */
  private encodeBasis(ids: Int32Array, S: Float32Array): FusedEncoding {
    const U = ids.length;
    const d = this.dim;
    const W2 = 2 * d;
    const buf = (this.scratch ??= new BasisBuffers(this.modalities));
    const inputs = buf.features.map((f) => f.gather(ids));
    const present = buf.present.zeros(U);
    for (const inp of inputs) for (let u = 0; u < U; u++) present[u] |= inp.mask[u];
    const M = buf.M.zeros(U * d);
    inputs.forEach((inp, m) => {
      const xw = matMul(inp.x, this.params.get(this.projections[m]).data, inp.P, this.modalities[m].dim, d, false, false, buf.products[m].take(inp.P * d));
      scatterAddRows(M, inp.at, xw, d);
    });
    const rows = buf.rows.take(U * W2);
    for (let u = 0; u < U; u++) {
      const o = u * W2;
      const s = u * d;
      const m = present[u] ? M : S;
      // row copies (memcpy) rather than element loops: the same floats
      rows.set(S.subarray(s, s + d), o);
      rows.set(m.subarray(s, s + d), o + d);
    }
    // the auxiliary loss and its unit-weight gradients, scaled by auxWeight in backward
    let auxLoss = 0;
    let auxS: Float32Array | undefined;
    let auxM: Float32Array | undefined;
    if (this.basisAuxiliary) {
      auxS = buf.auxS.zeros(U * d);
      auxM = buf.auxM.zeros(U * d);
      auxLoss = this.basisAuxiliary(S, M, present, U, 1, auxS, auxM);
    }
    return {
      rows,
      auxLoss,
      backward: (dRows, auxWeight, gS) => {
        const gM = buf.gM.take(U * d);
        for (let u = 0; u < U; u++) {
          const o = u * W2;
          const s = u * d;
          if (present[u]) {
            gS.set(dRows.subarray(o, o + d), s);
            gM.set(dRows.subarray(o + d, o + W2), s);
          } else {
            // the fallback block is s itself
            for (let c = 0; c < d; c++) {
              gS[s + c] = dRows[o + c] + dRows[o + d + c];
              gM[s + c] = 0;
            }
          }
        }
        if (auxS && auxM && auxWeight > 0) {
          for (let i = 0; i < U * d; i++) {
            gS[i] += auxWeight * auxS[i];
            gM[i] += auxWeight * auxM[i];
          }
        }
        flushSubnormals(gM, present, d);
        const grads: Record<string, Float32Array> = {};
        // dW_m = x_m^T dm over the rows that have modality m (x_m stored [P, D_m]: transA)
        inputs.forEach((inp, m) => {
          const D = this.modalities[m].dim;
          const dm = isIdentity(inp.at, U) ? gM : gatherRows(gM, d, inp.at, buf.gathered.take(inp.P * d));
          grads[this.projections[m]] = matMul(inp.x, dm, D, inp.P, d, true, false, buf.grads[m].take(D * d));
        });
        return grads;
      },
    };
  }

  private scratch?: BasisBuffers;

  /** Typed-array twin of `auxiliaryLoss` for the fused path (see ProjectedBasis.auxiliary); none by default. */
  protected basisAuxiliary?(s: Float32Array, m: Float32Array, present: Uint8Array, U: number, weight: number, gS: Float32Array, gM: Float32Array): number;

  /** [s, x_1 W_1, ..., x_M W_M]: structural [k, d] (returned as is), features [k, D_m] -> [k, d] each. */
  encode(structural: tf.Tensor2D, features: tf.Tensor2D[], p: ParamTensors): tf.Tensor2D[] {
    checkFeatures(this.name, this.modalities, structural, features);
    return [structural, ...features.map((x, m) => tf.matMul(x, p[this.projections[m]] as tf.Tensor2D) as tf.Tensor2D)];
  }

  /** The auxiliary embedding m with its structural fallback. hs [s, h^1..h^M], masks [k, 1] each -> [k, d]. */
  auxiliary(hs: tf.Tensor2D[], masks: tf.Tensor2D[]): tf.Tensor2D {
    checkFuseInputs(this.name, hs, masks, this.modalities.length);
    return tf.tidy(() => withFallback(maskedSum(hs.slice(1), masks), hs[0], anyPresent(masks)));
  }

  /** Ranking representation: the scorer's layout of [s, m]. -> [k, scorer.entityWidth]. */
  fuse(hs: tf.Tensor2D[], masks: tf.Tensor2D[], _p: ParamTensors): tf.Tensor2D {
    return tf.tidy(() => this.scorer.layout([hs[0], this.auxiliary(hs, masks)]));
  }

  /**
   * Unit L2 norm for the touched structural rows after each step (Bordes et al. 2013, Algorithm 1;
   * IKRL keeps TransE's constraints). Relation rows and the projections are not constrained.
   */
  constrainStructural(table: Float32Array, rows: Int32Array, count: number): void {
    normalizeRowsL2(table, this.structuralWidth, table.length / this.structuralWidth, rows, count);
  }

  /** Structural rows: TransE init, uniform(-6/sqrt(d), 6/sqrt(d)) then unit L2 norm. */
  initStructural(table: Float32Array, rows: number, rng: Rng): void {
    checkTable(table, rows, this.structuralWidth, `${this.name}.initStructural`);
    initTransE(table, rows, this.dim, rng);
  }

  /** Relation rows: TransE init, uniform(-6/sqrt(d), 6/sqrt(d)) then unit L2 norm. */
  initRelations(table: Float32Array, rows: number, rng: Rng): void {
    this.scorer.initRelations(table, rows, rng);
  }
}


/** The buffers of {@link ProjectedTranslationModel}'s fused encoder, reused from batch to batch. */
class BasisBuffers {
  readonly features: FeatureRowsBuffer[];
  readonly products: Scratch[];
  readonly grads: Scratch[];
  readonly M = new Scratch();
  readonly rows = new Scratch();
  readonly auxS = new Scratch();
  readonly auxM = new Scratch();
  readonly gM = new Scratch();
  readonly gathered = new Scratch();
  /** Per entity of the batch: does it have any modality. */
  readonly present = new FlagScratch();

  constructor(modalities: readonly ModalityFeatures[]) {
    this.features = modalities.map((f) => new FeatureRowsBuffer(f));
    this.products = modalities.map(() => new Scratch());
    this.grads = modalities.map(() => new Scratch());
  }
}
