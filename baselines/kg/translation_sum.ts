/**
 * The translation-sum base of the TransE-family multimodal models (IKRL, TBKGE, MMKRL, TransAE):
 * an energy that sums TransE L1 translations between component embeddings of the head and the tail,
 * its scorer over a concatenation layout (exact L1 ranking), and its fused typed-array kernels
 * (the layout kernel, and the cross-translation kernel of IKRL, TBKGE and MMKRL on basis rows).
 * The models themselves live in ikrl.ts, tbkge.ts, mmkrl.ts and transae.ts; their shared model
 * pieces (projections, fallback, options) in projected_translation.ts.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../src/rng';
import type { RankForm, Scorer, TermKernel, TripleKernel } from '../../src/scorer';
import type { HeadQueryKernel } from '../../src/multimodal';
import { checkTable, fillUniform, normalizeRowsL2 } from './common';

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
  /** Weight of each term's loss under per-term training (config `perTermLoss`), in `terms` order; default all 1. */
  readonly termLossWeights?: readonly number[];
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
  readonly blockBasis: readonly number[][];
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

  /**
   * The layout of `view` (another spec over the same basis) from this scorer's representations:
   * each basis vector is read from a block of this layout that holds it alone (divided by w).
   * rep [n, entityWidth] -> [n, view.entityWidth]. Throws if a basis vector has no block of its own.
   */
  viewTable(view: TranslationSumScorer, rep: Float32Array, n: number): Float32Array {
    const d = this.dim;
    if (view.dim !== d || view.spec.basis.join() !== this.spec.basis.join()) throw new Error(`${view.name}: a view needs the basis [${this.spec.basis.join(', ')}] at dim ${d}`);
    if (rep.length !== n * this.entityWidth) throw new Error(`${this.name}: expected ${n} x ${this.entityWidth} representations, got ${rep.length} floats`);
    const source = this.spec.basis.map((b, i) => {
      const k = this.blockBasis.findIndex((ids) => ids.length === 1 && ids[0] === i);
      if (k < 0) throw new Error(`${this.name}: basis '${b}' has no block of its own in the layout [${this.blocks.join(', ')}]`);
      return k * d;
    });
    const W = this.entityWidth;
    const V = view.entityWidth;
    const scale = view.spec.weight / this.spec.weight;
    const out = new Float32Array(n * V);
    for (let e = 0; e < n; e++) {
      view.blockBasis.forEach((ids, k) => {
        for (let c = 0; c < d; c++) {
          let v = 0;
          for (const b of ids) v += rep[e * W + source[b] + c];
          out[e * V + k * d + c] = scale * v;
        }
      });
    }
    return out;
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
 * Head queries ({@link HeadQueryKernel}): q = h_block + w r per block (float64), so a triple that
 * shares h and r with another loads only its tail row; same bits as score/backward.
 */
export class TranslationSumKernel implements TripleKernel, HeadQueryKernel {
  private readonly src: Int32Array;
  readonly queryWidth: number;

  constructor(private readonly dim: number, tailSrc: readonly number[], private readonly weight: number) {
    this.src = Int32Array.from(tailSrc, (k) => k * dim);
    this.queryWidth = tailSrc.length * dim;
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

  headQuery(E: Float32Array, hOff: number, R: Float32Array, rOff: number, q: Float64Array): void {
    const d = this.dim;
    const w = this.weight;
    const src = this.src;
    for (let k = 0; k < src.length; k++) {
      const hb = hOff + src[k];
      for (let c = 0; c < d; c++) q[k * d + c] = E[hb + c] + Math.fround(w * R[rOff + c]);
    }
  }

  scoreQuery(q: Float64Array, E: Float32Array, tOff: number): number {
    const n = this.queryWidth;
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.abs(q[i] - E[tOff + i]);
    return -s;
  }

  backwardQuery(q: Float64Array, E: Float32Array, tOff: number, g: number, gE: Float32Array, gHOff: number, gTOff: number, gR: Float32Array, gROff: number): void {
    const d = this.dim;
    const w = this.weight;
    const src = this.src;
    const ng = -g;
    for (let k = 0; k < src.length; k++) {
      const gh = gHOff + src[k];
      const tb = tOff + k * d;
      const gt = gTOff + k * d;
      const qb = k * d;
      for (let c = 0; c < d; c++) {
        const D = q[qb + c] - E[tb + c];
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
 * Head queries ({@link HeadQueryKernel}): q = [a, b (, a + h_m)] per coordinate (float64), the very
 * intermediates score/backward compute, so triples sharing h and r (a positive and its
 * tail-corrupted negatives) load only their tail rows; same bits as score/backward.
 */
export class CrossTranslationKernel implements TermKernel, HeadQueryKernel {
  readonly queryWidth: number;
  readonly termCount: number;

  /** termLossWeights in the kernel's term order: (s,s), (s,m), (m,s), (m,m) [, (s+m, s+m)]. */
  private constructor(private readonly dim: number, private readonly weight: number, private readonly sumTerm: boolean, readonly termLossWeights: readonly number[]) {
    this.queryWidth = (sumTerm ? 3 : 2) * dim;
    this.termCount = sumTerm ? 5 : 4;
  }

  /** The kernel of `spec` if its terms are {ss, sm, ms, mm} (+ (s+m, s+m)) over a 2-vector basis. */
  static forSpec(dim: number, spec: TranslationSumSpec): CrossTranslationKernel | undefined {
    if (spec.basis.length !== 2) return undefined;
    const [x, y] = spec.basis;
    const key = (t: readonly [string, string]): string => t.map((c) => c.split('+').map((b) => b.trim()).sort().join('+')).join('|');
    const pairs = [[x, x], [x, y], [y, x], [y, y]].map(([a, b]) => `${a}|${b}`);
    const sum = [x, y].sort().join('+');
    const got = spec.terms.map(key);
    const sumTerm = got.length === 5;
    const order = sumTerm ? [...pairs, `${sum}|${sum}`] : pairs;
    if ([...got].sort().join(',') !== [...order].sort().join(',')) return undefined;
    const given = spec.termLossWeights ?? spec.terms.map(() => 1);
    if (given.length !== spec.terms.length || !given.every((v) => v >= 0 && Number.isFinite(v))) {
      throw new Error(`termLossWeights: expected ${spec.terms.length} finite weights >= 0, got [${given.join(', ')}]`);
    }
    return new CrossTranslationKernel(dim, spec.weight, sumTerm, order.map((k) => given[got.indexOf(k)]));
  }

  /** Term j alone: -w ||C_a(h) + r - C_b(t)||_1 for the j-th pair of the kernel's term order. */
  scoreTerm(j: number, E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number): number {
    const d = this.dim;
    let s = 0;
    if (j === 4) {
      for (let c = 0; c < d; c++) s += Math.abs(E[hOff + c] + R[rOff + c] + E[hOff + d + c] - E[tOff + c] - E[tOff + d + c]);
    } else {
      const h = hOff + (j >= 2 ? d : 0);
      const t = tOff + (j % 2 === 1 ? d : 0);
      for (let c = 0; c < d; c++) s += Math.abs(E[h + c] + R[rOff + c] - E[t + c]);
    }
    return -this.weight * s;
  }

  backwardTerm(
    j: number, E: Float32Array, hOff: number, R: Float32Array, rOff: number, tOff: number, g: number,
    gE: Float32Array, gHOff: number, gTOff: number, gR: Float32Array, gROff: number,
  ): void {
    const d = this.dim;
    const ng = -g * this.weight;
    if (j === 4) {
      for (let c = 0; c < d; c++) {
        const D = E[hOff + c] + R[rOff + c] + E[hOff + d + c] - E[tOff + c] - E[tOff + d + c];
        const gd = ng * (+(D > 0) - +(D < 0));
        gE[gHOff + c] += gd;
        gE[gHOff + d + c] += gd;
        gE[gTOff + c] -= gd;
        gE[gTOff + d + c] -= gd;
        gR[gROff + c] += gd;
      }
      return;
    }
    const hb = j >= 2 ? d : 0;
    const tb = j % 2 === 1 ? d : 0;
    for (let c = 0; c < d; c++) {
      const D = E[hOff + hb + c] + R[rOff + c] - E[tOff + tb + c];
      const gd = ng * (+(D > 0) - +(D < 0));
      gE[gHOff + hb + c] += gd;
      gE[gTOff + tb + c] -= gd;
      gR[gROff + c] += gd;
    }
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

  headQuery(E: Float32Array, hOff: number, R: Float32Array, rOff: number, q: Float64Array): void {
    const d = this.dim;
    for (let c = 0; c < d; c++) {
      const hm = E[hOff + d + c];
      const r = R[rOff + c];
      const a = E[hOff + c] + r;
      q[c] = a;
      q[d + c] = hm + r;
      if (this.sumTerm) q[2 * d + c] = a + hm;
    }
  }

  scoreQuery(q: Float64Array, E: Float32Array, tOff: number): number {
    const d = this.dim;
    let s = 0;
    if (this.sumTerm) {
      for (let c = 0; c < d; c++) {
        const ts = E[tOff + c];
        const tm = E[tOff + d + c];
        const a = q[c];
        const b = q[d + c];
        s += Math.abs(a - ts) + Math.abs(a - tm) + Math.abs(b - ts) + Math.abs(b - tm);
        s += Math.abs(q[2 * d + c] - ts - tm);
      }
    } else {
      for (let c = 0; c < d; c++) {
        const ts = E[tOff + c];
        const tm = E[tOff + d + c];
        const a = q[c];
        const b = q[d + c];
        s += Math.abs(a - ts) + Math.abs(a - tm) + Math.abs(b - ts) + Math.abs(b - tm);
      }
    }
    return -this.weight * s;
  }

  backwardQuery(q: Float64Array, E: Float32Array, tOff: number, g: number, gE: Float32Array, gHOff: number, gTOff: number, gR: Float32Array, gROff: number): void {
    const d = this.dim;
    const ng = -g * this.weight;
    const sumTerm = this.sumTerm;
    for (let c = 0; c < d; c++) {
      const ts = E[tOff + c];
      const tm = E[tOff + d + c];
      const a = q[c];
      const b = q[d + c];
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
        const D5 = q[2 * d + c] - ts - tm;
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

/**
 * TransE's initialiser (Bordes et al. 2013, Algorithm 1): rows*dim values uniform(-6/sqrt(d), 6/sqrt(d)),
 * then every row L2-normalised.
 */
export function initTransE(table: Float32Array, rows: number, dim: number, rng: Rng): void {
  fillUniform(table, rows * dim, 6 / Math.sqrt(dim), rng);
  normalizeRowsL2(table, dim, rows);
}

