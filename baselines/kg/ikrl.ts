/**
 * IKRL, plus the pieces that the TransE-family multimodal models (IKRL, TBKGE, MMKRL, TransAE) share:
 * a sum-of-L1-translations scorer over a concatenation layout, masked modality projections with a
 * structural fallback, option checks and the TransE initialisers. TBKGE, MMKRL and TransAE import
 * them from this file.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../src/rng';
import type { RankForm, Scorer, TripleKernel } from '../../src/scorer';
import type { ModalityFeatures } from '../../src/modality';
import type { FusedEncoder, FusedEncoding, MultimodalKgModel, MultimodalOptions } from '../../src/multimodal';
import { flushSubnormals, gatherRows, maskedFeatureRows, matMul, scatterAddRows } from './fused_dense';
import { ParamStore, glorotUniform, type ParamTensors } from '../../src/params';
import { checkTable, fillUniform, normalizeRowsL2 } from './common';
import type { Schema } from '../../src/options';
import { EMBEDDING_OPTIONS } from '../../src/scorer';
import { TRANSE_OPTIONS } from './transe';

/** The options of the TransE-family multimodal models (IKRL, TBKGE, TransAE, MMKRL): TransE's dim and norm. */
export const TRANSLATION_SUM_OPTIONS: Schema<Pick<MultimodalOptions, 'dim' | 'norm'>> = {
  dim: EMBEDDING_OPTIONS.dim,
  norm: TRANSE_OPTIONS.norm,
};

// ---------------------------------------------------------------- the scorer

/**
 * A sum of TransE L1 energies between component embeddings of the head and the tail:
 * E(h, r, t) = w * sum_j ||C_{a_j}(h) + r - C_{b_j}(t)||_1.
 * - basis: the independent per-entity vectors (width d each), e.g. `['s', 'i']` (structural, image).
 * - components: a basis name or a sum of them (`'s+m'` = s + m).
 * - terms: [a_j, b_j] pairs of (head component, tail component).
 * - weight w: 1 for a sum, 1/J for an average of the J terms.
 */
export interface TranslationSumSpec {
  readonly basis: readonly string[];
  readonly terms: ReadonlyArray<readonly [string, string]>;
  readonly weight: number;
}

/** x[..., start : start + size] along the last axis, any rank. */
function lastAxisSlice(x: tf.Tensor, start: number, size: number): tf.Tensor {
  const begin = x.shape.map(() => 0);
  const sizes = x.shape.map(() => -1);
  begin[begin.length - 1] = start;
  sizes[sizes.length - 1] = size;
  return tf.slice(x, begin, sizes);
}

/**
 * Scorer of a {@link TranslationSumSpec} on ranking representations:
 * score(h, r, t) = -w * sum_j ||C_{a_j}(h) + r - C_{b_j}(t)||_1 (higher = more plausible, <= 0).
 *
 * Why a layout: a sum of L1 distances is one L1 distance between concatenations, and L1 is
 * homogeneous (w|x| = |w x|), so with the representation rep(e) = [w C_{b_1}(e), ..., w C_{b_J}(e)]
 * (block j holds the tail-side component of term j, scaled by w; width J*d):
 * - tail query: q_j = w (C_{a_j}(h) + r), score(h, r, e) = -||q - rep(e)||_1 exactly;
 * - head query: the head-side components {a_j} are, as a multiset, the tail-side ones {b_j} (every
 *   energy here is symmetric in that sense; the constructor checks it), so term j is matched to a
 *   distinct block k = pi(j) with b_k = a_j and q_k = w (C_{b_j}(t) - r):
 *   score(e, r, t) = -||q - rep(e)||_1 exactly.
 * C_a(h) is read back from rep(h) as block k with b_k = a (divided by w; the queries use w r instead).
 * rankForm 'l1' (no additive constant). Fused kernel: {@link TranslationSumKernel} on representation rows
 * (negative-sampling training scores triples with it; see src/train/fused_multimodal_ns.ts).
 *
 * Shapes: h, t [..., J*d], r [..., d] -> [...] (leading dims broadcast); relationWidth = d.
 */
export class TranslationSumScorer implements Scorer {
  readonly entityWidth: number;
  readonly relationWidth: number;
  readonly rankForm: RankForm = 'l1';
  /** Fused typed-array score/backward on representation rows (same energy as `score`). */
  readonly kernel: TripleKernel;
  /** Tail-side component of each representation block, e.g. `['s', 'i', 's', 'i']`. */
  readonly blocks: readonly string[];
  /** Basis indices summed by each block. */
  private readonly blockBasis: number[][];
  /** Tail query block k = block tailSrc[k] of h plus w r. */
  private readonly tailSrc: number[];
  /** Head query block k = block headSrc[k] of t minus w r. */
  private readonly headSrc: number[];

  constructor(readonly name: string, readonly dim: number, readonly spec: TranslationSumSpec) {
    if (!Number.isInteger(dim) || dim <= 0) throw new Error(`${name}: dim must be a positive integer, got ${dim}`);
    if (!(spec.weight > 0 && Number.isFinite(spec.weight))) throw new Error(`${name}: weight must be positive, got ${spec.weight}`);
    const parse = (c: string): number[] =>
      c.split('+').map((b) => {
        const i = spec.basis.indexOf(b.trim());
        if (i < 0) throw new Error(`${name}: component '${c}' uses unknown basis '${b}' (basis: ${spec.basis.join(', ')})`);
        return i;
      });
    this.blocks = spec.terms.map(([, b]) => b);
    this.blockBasis = this.blocks.map(parse);
    spec.terms.forEach(([a]) => parse(a));
    const first = (c: string): number => {
      const k = this.blocks.indexOf(c);
      if (k < 0) throw new Error(`${name}: head component '${c}' is no tail component, so it cannot be read back from a representation`);
      return k;
    };
    this.tailSrc = spec.terms.map(([a]) => first(a));
    this.headSrc = new Array<number>(this.blocks.length);
    const used = new Array<boolean>(this.blocks.length).fill(false);
    spec.terms.forEach(([a, b]) => {
      const k = this.blocks.findIndex((c, i) => c === a && !used[i]);
      if (k < 0) throw new Error(`${name}: head components are not a permutation of tail components; no exact head query`);
      used[k] = true;
      this.headSrc[k] = first(b);
    });
    this.entityWidth = this.blocks.length * dim;
    this.relationWidth = dim;
    this.kernel = new TranslationSumKernel(dim, this.tailSrc, spec.weight);
  }

  /**
   * The ranking representation from the basis vectors: [w C_{b_1}, ..., w C_{b_J}].
   * basis: one [k, d] tensor per basis name, in spec order -> [k, J*d].
   */
  layout(basis: tf.Tensor2D[]): tf.Tensor2D {
    if (basis.length !== this.spec.basis.length) throw new Error(`${this.name}: layout needs ${this.spec.basis.length} basis tensors, got ${basis.length}`);
    return tf.tidy(() => {
      const w = this.spec.weight;
      const blocks = this.blockBasis.map((ids) => {
        const sum = ids.length === 1 ? basis[ids[0]] : tf.addN(ids.map((i) => basis[i]));
        return w === 1 ? sum : tf.mul(sum, w);
      });
      return tf.concat(blocks, -1) as tf.Tensor2D;
    });
  }

  /** -w * sum_j ||C_{a_j}(h) + r - C_{b_j}(t)||_1 = -||queryTail(h, r) - t||_1. Broadcasts leading dims. */
  score(h: tf.Tensor, r: tf.Tensor, t: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.neg(tf.sum(tf.abs(tf.sub(this.query(h, r, this.tailSrc, 1), t)), -1)));
  }

  /** Tail query [w (C_{a_j}(h) + r)]_j: score(h, r, e) = -||q - rep(e)||_1. [b, J*d], [b, d] -> [b, J*d]. */
  queryTail(h: tf.Tensor2D, r: tf.Tensor2D): tf.Tensor2D {
    return this.query(h, r, this.tailSrc, 1) as tf.Tensor2D;
  }

  /** Head query, block pi(j) = w (C_{b_j}(t) - r): score(e, r, t) = -||q - rep(e)||_1. [b, d], [b, J*d] -> [b, J*d]. */
  queryHead(r: tf.Tensor2D, t: tf.Tensor2D): tf.Tensor2D {
    return this.query(t, r, this.headSrc, -1) as tf.Tensor2D;
  }

  private query(x: tf.Tensor, r: tf.Tensor, src: number[], sign: 1 | -1): tf.Tensor {
    return tf.tidy(() => {
      const w = this.spec.weight;
      const wr = w === 1 ? r : tf.mul(r, w);
      const d = this.dim;
      const pieces = src.map((k) => (sign > 0 ? tf.add(lastAxisSlice(x, k * d, d), wr) : tf.sub(lastAxisSlice(x, k * d, d), wr)));
      return tf.concat(pieces, -1);
    });
  }

  /**
   * A table of representations of random entities: each basis vector uniform(-6/sqrt(d), 6/sqrt(d))
   * then L2-normalised (TransE's entity init), laid out as `layout` does. Only for code that treats
   * the scorer alone; a multimodal model's representations come from its `fuse`.
   */
  initEntities(table: Float32Array, rows: number, rng: Rng): void {
    checkTable(table, rows, this.entityWidth, `${this.name}.initEntities`);
    const d = this.dim;
    const nb = this.spec.basis.length;
    const basis = new Float32Array(nb * d);
    for (let i = 0; i < rows; i++) {
      initTransE(basis, nb, d, rng);
      this.blockBasis.forEach((ids, k) => {
        const off = i * this.entityWidth + k * d;
        for (let c = 0; c < d; c++) {
          let v = 0;
          for (const b of ids) v += basis[b * d + c];
          table[off + c] = this.spec.weight * v;
        }
      });
    }
  }

  /** Relation rows: uniform(-6/sqrt(d), 6/sqrt(d)), then unit L2 norm (TransE). */
  initRelations(table: Float32Array, rows: number, rng: Rng): void {
    checkTable(table, rows, this.relationWidth, `${this.name}.initRelations`);
    initTransE(table, rows, this.dim, rng);
  }
}

/**
 * Fused kernel of a {@link TranslationSumScorer} on representation rows (the layout's blocks):
 * score = -sum_k sum_c |h[src_k d + c] + w r_c - t[k d + c]| (src_k = the tail query's source block),
 * i.e. -||queryTail(h, r) - t||_1. Hand-derived gradient with D = h_block + w r - t_block:
 * d score / d h = -sign(D), d/d t = +sign(D), d/d r = -w sign(D) summed over blocks; sign(0) = 0
 * (tf.abs's gradient uses -1 there; both are subgradients, a measure-zero difference).
 */
export class TranslationSumKernel implements TripleKernel {
  private readonly src: Int32Array;

  constructor(private readonly dim: number, tailSrc: readonly number[], private readonly weight: number) {
    this.src = Int32Array.from(tailSrc, (k) => k * dim);
  }

  score(E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number): number {
    const d = this.dim;
    const w = this.weight;
    const src = this.src;
    let s = 0;
    for (let k = 0; k < src.length; k++) {
      const hb = hOff + src[k];
      const tb = tOff + k * d;
      for (let c = 0; c < d; c++) s += Math.abs(E[hb + c] + Math.fround(w * R[rOff + c]) - E[tb + c]);
    }
    return -s;
  }

  backward(
    E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number, g: number,
    gE: Float32Array, gHOff: number, gTOff: number, gR: Float32Array, gROff: number,
  ): void {
    const d = this.dim;
    const w = this.weight;
    const src = this.src;
    const ng = -g;
    for (let k = 0; k < src.length; k++) {
      const hb = hOff + src[k];
      const gh = gHOff + src[k];
      const tb = tOff + k * d;
      const gt = gTOff + k * d;
      for (let c = 0; c < d; c++) {
        const D = E[hb + c] + Math.fround(w * R[rOff + c]) - E[tb + c];
        // branch-free sign (as TransE's L1 kernel: random signs mispredict)
        const gd = ng * (+(D > 0) - +(D < 0));
        gE[gh + c] += gd;
        gR[gROff + c] += w * gd;
        gE[gt + c] -= gd;
      }
    }
  }
}

/**
 * Fused kernel of the cross-translation energies of IKRL, MMKRL (all four pairs of two basis
 * vectors) and TBKGE (the same plus the summed term) on *basis* rows [s | m] (width 2d), without
 * materialising the layout:
 * score = -w sum_c (|a - t_s| + |a - t_m| + |b - t_s| + |b - t_m| [+ |a + h_m - t_s - t_m|]),
 * a = h_s + r, b = h_m + r (per coordinate c). One pass loads 5 values per coordinate for all terms.
 * Hand-derived gradient, g_j = -w g sign(D_j) for the terms D_1..D_5 above (sign(0) = 0):
 * d/dh_s = g_1 + g_2 [+ g_5], d/dh_m = g_3 + g_4 [+ g_5], d/dt_s = -(g_1 + g_3 [+ g_5]),
 * d/dt_m = -(g_2 + g_4 [+ g_5]), d/dr = sum_j g_j. Equals `TranslationSumScorer.score` on
 * `layout([s, m])` up to float rounding (w applied once); checked against autodiff in the
 * conformance suite. `forSpec` returns undefined for any other energy (those train through the
 * layout kernel).
 */
export class CrossTranslationKernel implements TripleKernel {
  private constructor(private readonly dim: number, private readonly weight: number, private readonly sumTerm: boolean) {}

  /** The kernel of `spec` if its terms are {ss, sm, ms, mm} (+ (s+m, s+m)) over a 2-vector basis. */
  static forSpec(dim: number, spec: TranslationSumSpec): CrossTranslationKernel | undefined {
    if (spec.basis.length !== 2) return undefined;
    const [x, y] = spec.basis;
    const key = (t: readonly [string, string]): string => t.map((c) => c.split('+').map((b) => b.trim()).sort().join('+')).join('|');
    const pairs = [[x, x], [x, y], [y, x], [y, y]].map(([a, b]) => `${a}|${b}`);
    const sum = [x, y].sort().join('+');
    const got = spec.terms.map(key).sort();
    const four = [...pairs].sort();
    const five = [...pairs, `${sum}|${sum}`].sort();
    if (got.join(',') === four.join(',')) return new CrossTranslationKernel(dim, spec.weight, false);
    if (got.join(',') === five.join(',')) return new CrossTranslationKernel(dim, spec.weight, true);
    return undefined;
  }

  score(E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number): number {
    const d = this.dim;
    let s = 0;
    for (let c = 0; c < d; c++) {
      const hm = E[hOff + d + c];
      const ts = E[tOff + c];
      const tm = E[tOff + d + c];
      const r = R[rOff + c];
      const a = E[hOff + c] + r;
      const b = hm + r;
      s += Math.abs(a - ts) + Math.abs(a - tm) + Math.abs(b - ts) + Math.abs(b - tm);
      if (this.sumTerm) s += Math.abs(a + hm - ts - tm);
    }
    return -this.weight * s;
  }

  backward(
    E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number, g: number,
    gE: Float32Array, gHOff: number, gTOff: number, gR: Float32Array, gROff: number,
  ): void {
    const d = this.dim;
    const ng = -g * this.weight;
    const sumTerm = this.sumTerm;
    for (let c = 0; c < d; c++) {
      const hm = E[hOff + d + c];
      const ts = E[tOff + c];
      const tm = E[tOff + d + c];
      const r = R[rOff + c];
      const a = E[hOff + c] + r;
      const b = hm + r;
      // branch-free signs (as TransE's L1 kernel: random signs mispredict)
      const D1 = a - ts;
      const D2 = a - tm;
      const D3 = b - ts;
      const D4 = b - tm;
      const g1 = ng * (+(D1 > 0) - +(D1 < 0));
      const g2 = ng * (+(D2 > 0) - +(D2 < 0));
      const g3 = ng * (+(D3 > 0) - +(D3 < 0));
      const g4 = ng * (+(D4 > 0) - +(D4 < 0));
      let g5 = 0;
      if (sumTerm) {
        const D5 = a + hm - ts - tm;
        g5 = ng * (+(D5 > 0) - +(D5 < 0));
      }
      gE[gHOff + c] += g1 + g2 + g5;
      gE[gHOff + d + c] += g3 + g4 + g5;
      gE[gTOff + c] -= g1 + g3 + g5;
      gE[gTOff + d + c] -= g2 + g4 + g5;
      gR[gROff + c] += g1 + g2 + g3 + g4 + g5;
    }
  }
}

// ---------------------------------------------------------------- shared model pieces

/**
 * TransE's initialiser (Bordes et al. 2013, Algorithm 1): rows*dim values uniform(-6/sqrt(d), 6/sqrt(d)),
 * then every row L2-normalised.
 */
export function initTransE(table: Float32Array, rows: number, dim: number, rng: Rng): void {
  fillUniform(table, rows * dim, 6 / Math.sqrt(dim), rng);
  normalizeRowsL2(table, dim, rows);
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

  protected constructor(readonly name: string, o: MultimodalOptions, spec: TranslationSumSpec) {
    this.dim = checkMultimodalOptions(name, o);
    this.modalities = [...o.modalities];
    this.structuralWidth = this.dim;
    this.scorer = new TranslationSumScorer(name, this.dim, spec);
    this.projections = addProjections(this.params, name, this.modalities, this.dim, o.rng.derive(`${name}-projections`));
    const kernel = CrossTranslationKernel.forSpec(this.dim, spec);
    if (kernel) this.fusedEncoder = { rowWidth: 2 * this.dim, kernel, encode: (ids, S) => this.encodeBasis(ids, S) };
  }

  /**
   * Typed-array twin of encode + fuse for the fused step: rows [s | m], m = sum_m mask_m x_m W_m
   * (one dense product per modality; m = s without any modality). Backward: dW_m = (mask_m x_m)^T dm
   * (one more product per modality), ds = d[s] (+ d[m] on fallback rows), plus the auxiliary loss.
   */
  private encodeBasis(ids: Int32Array, S: Float32Array): FusedEncoding {
    const U = ids.length;
    const d = this.dim;
    const inputs = this.modalities.map((f) => maskedFeatureRows(f, ids));
    const present = new Uint8Array(U);
    for (const inp of inputs) for (let u = 0; u < U; u++) present[u] |= inp.mask[u];
    const M = new Float32Array(U * d);
    inputs.forEach((inp, m) => scatterAddRows(M, d, inp.at, matMul(inp.x, this.params.get(this.projections[m]).data, inp.P, this.modalities[m].dim, d)));
    const W2 = 2 * d;
    const rows = new Float32Array(U * W2);
    for (let u = 0; u < U; u++) {
      rows.set(S.subarray(u * d, u * d + d), u * W2);
      rows.set((present[u] ? M : S).subarray(u * d, u * d + d), u * W2 + d);
    }
    // the auxiliary loss and its unit-weight gradients, scaled by auxWeight in backward
    let auxLoss = 0;
    let auxS: Float32Array | undefined;
    let auxM: Float32Array | undefined;
    if (this.basisAuxiliary) {
      auxS = new Float32Array(U * d);
      auxM = new Float32Array(U * d);
      auxLoss = this.basisAuxiliary(S, M, present, U, 1, auxS, auxM);
    }
    return {
      rows,
      auxLoss,
      backward: (dRows, auxWeight, gS) => {
        const gM = new Float32Array(U * d);
        for (let u = 0; u < U; u++) {
          const o = u * W2;
          for (let c = 0; c < d; c++) {
            gS[u * d + c] = dRows[o + c];
            if (present[u]) gM[u * d + c] = dRows[o + d + c];
            else gS[u * d + c] += dRows[o + d + c]; // the fallback block is s itself
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
        inputs.forEach((inp, m) => (grads[this.projections[m]] = matMul(inp.x, gatherRows(gM, d, inp.at), this.modalities[m].dim, inp.P, d, true)));
        return grads;
      },
    };
  }

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

  /** Structural rows: TransE init, uniform(-6/sqrt(d), 6/sqrt(d)) then unit L2 norm. */
  /** Unit L2 norm for the touched structural rows after each step (Bordes et al. 2013, Algorithm 1; the IKRL/TransAE papers keep the TransE constraints). */
  constrainStructural(table: Float32Array, rows: Int32Array, count: number): void {
    normalizeRowsL2(table, this.structuralWidth, table.length / this.structuralWidth, rows, count);
  }

  initStructural(table: Float32Array, rows: number, rng: Rng): void {
    checkTable(table, rows, this.structuralWidth, `${this.name}.initStructural`);
    initTransE(table, rows, this.dim, rng);
  }

  /** Relation rows: TransE init, uniform(-6/sqrt(d), 6/sqrt(d)) then unit L2 norm. */
  initRelations(table: Float32Array, rows: number, rng: Rng): void {
    this.scorer.initRelations(table, rows, rng);
  }
}

// ---------------------------------------------------------------- IKRL

/** IKRL's energy: E = ||h_s+r-t_s|| + ||h_s+r-t_i|| + ||h_i+r-t_s|| + ||h_i+r-t_i|| (tail layout [s, i, s, i]). */
export const IKRL_SPEC: TranslationSumSpec = {
  basis: ['s', 'i'],
  terms: [['s', 's'], ['s', 'i'], ['i', 's'], ['i', 'i']],
  weight: 1,
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
 * - The paper's norm constraints (||e_s||, ||e_i||, ||r|| <= 1) are not enforced here: structural and
 *   relation rows are L2-normalised at init only (TransE init); the margin loss belongs to the trainer.
 */
export class IKRL extends ProjectedTranslationModel {
  constructor(o: MultimodalOptions) {
    super('ikrl', o, IKRL_SPEC);
  }
}

/** Registry factory of {@link IKRL}. */
export function createIkrl(o: MultimodalOptions): IKRL {
  return new IKRL(o);
}
