/**
 * Suite of the multimodal KG models: one spec factory run against every model in the multimodal
 * registry (also those added later), with one auxiliary modality (image or text) and with two, on a
 * 7-entity fixture whose entities have both, one or none of the modalities. Generic checks apply to
 * every model; a float64 plain-JS reference of the paper energy, the documented layout, the
 * structural fallback and the auxiliary loss, written independently here, is required for every
 * registered model: a model without one in REFERENCES fails these checks (it is not skipped).
 */
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { selectBackend } from '../../../src/backend';
import { Rng } from '../../../src/rng';
import type { ModalityFeatures } from '../../../src/modality';
import type { MultimodalKgModel, MultimodalOptions } from '../../../src/multimodal';
import type { RankForm } from '../../../src/scorer';
import { lossAndGrads, type ParamTensors } from '../../../src/params';
import { MULTIMODAL_MODELS, createMultimodalModel, isMultimodalModel, multimodalModelNames, type MultimodalComponent } from '../../../baselines/kg/multimodal_registry';
import type { OtkgeOptions } from '../../../baselines/kg/otkge';
import { TranslationSumScorer } from '../../../baselines/kg/translation_sum';
import { rankFormRef } from './rank_form_ref';
import { createEngine } from '../../../src/dense/select';
import { setTensorEngine } from '../../../src/dense/tf_loss';
import type { DenseHead } from '../../../src/dense/head';
import { hasHeadQueries } from '../../../src/multimodal';
import { resolveMethod } from '../../../eval/link_prediction';

type Vec = ArrayLike<number>;

// ---------------------------------------------------------------- fixture

const K = 7;
const DIM = 4;
const FEATURE_DIMS: Record<string, number> = { image: 5, text: 3 };
/** Entity 0, 3, 6: both; 1, 5: image only; 2: text only; 4: none. */
const MASKS: Record<string, number[]> = { image: [1, 1, 0, 1, 0, 1, 1], text: [1, 0, 1, 1, 0, 0, 1] };
const NO_MODALITY = 4;
const CONFIGS: string[][] = [['image'], ['text'], ['image', 'text']];
/** Triples (h, r, t) over entities with both, one and no modality, and h == t once. */
const HEADS = [0, 4, 1, 2, 5, 3];
const RELS = [0, 1, 2, 1, 0, 2];
const TAILS = [3, 2, 4, 6, 5, 1];
const NR = 3;
/** options.auxWeight: the trainer applies it, so auxiliaryLoss must not depend on it. */
const AUX_WEIGHT = 0.7;

function uniform(rng: Rng, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (2 * rng.next() - 1) * scale;
  return a;
}

function makeFeatures(modality: string, rng: Rng): ModalityFeatures {
  const dim = FEATURE_DIMS[modality];
  const mask = Uint8Array.from(MASKS[modality]);
  const data = new Float32Array(K * dim);
  for (let i = 0; i < K; i++) if (mask[i]) data.set(uniform(rng, dim), i * dim);
  return { modality, source: `random fixture (${modality})`, rows: K, dim, data, mask };
}

function makeOptions(modalities: ModalityFeatures[], seed: number): OtkgeOptions {
  return {
    dim: DIM, norm: 1, modalities, imageWeight: 0.1, textWeight: 0.7,
    otScale: 100, otEpsilon: 10, otIterations: 30, auxWeight: AUX_WEIGHT, rng: new Rng(seed),
  };
}

const row = (a: Vec, i: number, w: number): number[] => Array.from({ length: w }, (_, k) => a[i * w + k]);

function expectClose(actual: number, expected: number, atol: number, rtol: number, what: string): void {
  const tol = atol + rtol * Math.abs(expected);
  if (!(Math.abs(actual - expected) <= tol)) {
    expect.fail(`${what}: got ${actual}, expected ${expected} (|diff| ${Math.abs(actual - expected)} > ${tol})`);
  }
}

function expectAllClose(actual: Vec, expected: Vec, atol: number, rtol: number, what: string): void {
  expect(actual.length, `${what}: length`).to.equal(expected.length);
  for (let i = 0; i < actual.length; i++) expectClose(actual[i], expected[i], atol, rtol, `${what}[${i}]`);
}


/** Rank of each entry (1 + number of strictly larger entries). */
const ranksOf = (xs: number[]): number[] => xs.map((x) => 1 + xs.filter((y) => y > x).length);

// ---------------------------------------------------------------- references (float64, independent)

/** What a reference sees: the structural rows, the features and the model's parameters by name. */
interface Ctx {
  S: Float32Array;
  feats: ModalityFeatures[];
  param(name: string): Float32Array;
}

/** Per-entity component vectors, e.g. { s, i }. */
type Comps = Record<string, number[]>;

interface Reference {
  /** The entity's components as the paper defines them (with the documented fallback). */
  comps(ctx: Ctx, e: number): Comps;
  /** The paper's energy (lower = more plausible); score = -energy. */
  energy(h: Comps, r: number[], t: Comps): number;
  /** The documented ranking representation of an entity. */
  layout(c: Comps): number[];
  /** The documented representation of an entity with no auxiliary modality, from its structural row. */
  fallback(s: number[]): number[];
  /** The model's auxiliary loss over all K entities (undefined: the model has none). */
  aux?(ctx: Ctx): number;
  /** The documented fast-ranking form of the fused rows. */
  rankForm: RankForm;
}

const add = (a: number[], b: number[]): number[] => a.map((x, i) => x + b[i]);
const scale = (a: number[], c: number): number[] => a.map((x) => x * c);
const l1 = (a: number[], r: number[], b: number[]): number => a.reduce((acc, x, i) => acc + Math.abs(x + r[i] - b[i]), 0);
const structural = (ctx: Ctx, e: number): number[] => row(ctx.S, e, DIM);
const present = (ctx: Ctx, e: number): boolean => ctx.feats.some((f) => f.mask[e] === 1);
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** x_e W over the present modalities, W blocks `${prefix}.W.<m>` [D_m, d] (a linear projection of the concatenation). */
function project(ctx: Ctx, e: number, prefix: string, withBias?: string): number[] {
  const out = withBias ? Array.from(ctx.param(withBias)) : new Array<number>(DIM).fill(0);
  ctx.feats.forEach((f, m) => {
    if (!f.mask[e]) return;
    const W = ctx.param(`${prefix}.W.${m}`);
    for (let c = 0; c < DIM; c++) for (let k = 0; k < f.dim; k++) out[c] += f.data[e * f.dim + k] * W[k * DIM + c];
  });
  return out;
}

/** m_e = W x_e, or s_e for an entity without any auxiliary modality. */
const projected = (prefix: string) => (ctx: Ctx, e: number): Comps => {
  const s = structural(ctx, e);
  return { s, m: present(ctx, e) ? project(ctx, e, prefix) : s };
};

function transaeCode(ctx: Ctx, e: number): number[] {
  return project(ctx, e, 'transae.enc', 'transae.enc.b').map(sigmoid);
}

/** Re(sum_k h_k r_k conj(t_k)) over [re | im] rows of 2 * DIM: ComplEx's score. */
function complexScore(h: number[], r: number[], t: number[]): number {
  let s = 0;
  for (let k = 0; k < DIM; k++) {
    const [a, b, c, d, e, f] = [h[k], h[DIM + k], r[k], r[DIM + k], t[k], t[DIM + k]];
    s += (a * c - b * d) * e + (a * d + b * c) * f;
  }
  return s;
}

/**
 * Entropic OT plan between the coordinates of x and y (uniform masses 1/|x|, 1/|y|), cost
 * (x_k - y_j)^2 * scale, Gibbs kernel G = exp(-cost / epsilon): plain Sinkhorn scaling from u = 1,
 * alternately v = b / (G^T u) and u = a / (G v), for `iterations` rounds; P = diag(u) G diag(v).
 */
function sinkhornRef(x: number[], y: number[], scale: number, epsilon: number, iterations: number): number[][] {
  const G = x.map((xk) => y.map((yj) => Math.exp(-((xk - yj) ** 2) * scale / epsilon)));
  let u = x.map(() => 1);
  let v = y.map(() => 1);
  for (let it = 0; it < iterations; it++) {
    v = y.map((_, j) => 1 / y.length / x.reduce((acc, _x, k) => acc + G[k][j] * u[k], 0));
    u = x.map((_, k) => 1 / x.length / y.reduce((acc, _y, j) => acc + G[k][j] * v[j], 0));
  }
  return G.map((gk, k) => gk.map((g, j) => u[k] * g * v[j]));
}

/** OTKGE's options of makeOptions: fusion weight per modality, OT scale, epsilon, iterations. */
const OTKGE = { weight: { image: 0.1, text: 0.7 } as Record<string, number>, scale: 100, epsilon: 10, iterations: 30 };

/**
 * OTKGE (Cao et al. 2022) as this project defines it (baselines/kg/otkge.ts): the plan of modality m
 * is d_m times the mean Sinkhorn plan over the entities that have m (the fixture has fewer than the
 * plan sample, so all of them), between their feature and structural coordinates; the entity is
 * E_s + sum_m w_m mask_m x_m (plan_m + Delta_m), scored by ComplEx.
 */
function otkgeEntity(ctx: Ctx, e: number): number[] {
  const W = 2 * DIM;
  const out = row(ctx.S, e, W);
  ctx.feats.forEach((f, m) => {
    if (!f.mask[e]) return;
    const holders = Array.from({ length: K }, (_, i) => i).filter((i) => f.mask[i]);
    const plan = Array.from({ length: f.dim }, () => new Array<number>(W).fill(0));
    for (const i of holders) {
      const p = sinkhornRef(row(f.data, i, f.dim), row(ctx.S, i, W), OTKGE.scale, OTKGE.epsilon, OTKGE.iterations);
      for (let k = 0; k < f.dim; k++) for (let j = 0; j < W; j++) plan[k][j] += (f.dim * p[k][j]) / holders.length;
    }
    const delta = ctx.param(`otkge.delta.${m}`);
    for (let j = 0; j < W; j++) {
      let v = 0;
      for (let k = 0; k < f.dim; k++) v += f.data[e * f.dim + k] * (plan[k][j] + delta[k * W + j]);
      out[j] += OTKGE.weight[f.modality] * v;
    }
  });
  return out;
}

const REFERENCES: Record<string, Reference> = {
  otkge: {
    comps: (ctx, e) => ({ e: otkgeEntity(ctx, e) }),
    energy: (h, r, t) => -complexScore(h.e, r, t.e),
    layout: (c) => [...c.e],
    fallback: (s) => [...s],
    rankForm: 'dot',
  },
  ikrl: {
    comps: projected('ikrl'),
    energy: (h, r, t) => l1(h.s, r, t.s) + l1(h.s, r, t.m) + l1(h.m, r, t.s) + l1(h.m, r, t.m),
    layout: (c) => [...c.s, ...c.m, ...c.s, ...c.m],
    fallback: (s) => [...s, ...s, ...s, ...s],
    rankForm: 'l1',
  },
  tbkge: {
    comps: projected('tbkge'),
    energy: (h, r, t) =>
      l1(h.s, r, t.s) + l1(h.m, r, t.m) + l1(h.s, r, t.m) + l1(h.m, r, t.s) + l1(add(h.s, h.m), r, add(t.s, t.m)),
    layout: (c) => [...c.s, ...c.m, ...c.s, ...c.m, ...add(c.s, c.m)],
    fallback: (s) => [...s, ...s, ...s, ...s, ...scale(s, 2)],
    rankForm: 'l1',
  },
  mmkrl: {
    comps: projected('mmkrl'),
    energy: (h, r, t) => (l1(h.s, r, t.s) + l1(h.s, r, t.m) + l1(h.m, r, t.s) + l1(h.m, r, t.m)) / 4,
    layout: (c) => scale([...c.s, ...c.m, ...c.s, ...c.m], 0.25),
    fallback: (s) => scale([...s, ...s, ...s, ...s], 0.25),
    rankForm: 'l1',
    aux: (ctx) => {
      let sq = 0;
      let n = 0;
      for (let e = 0; e < K; e++) {
        if (!present(ctx, e)) continue;
        const s = structural(ctx, e);
        const m = project(ctx, e, 'mmkrl');
        for (let c = 0; c < DIM; c++) sq += (s[c] - m[c]) ** 2;
        n += DIM;
      }
      return sq / Math.max(1, n);
    },
  },
  transae: {
    comps: (ctx, e) => {
      const s = structural(ctx, e);
      return { e: present(ctx, e) ? add(s, transaeCode(ctx, e)) : s };
    },
    energy: (h, r, t) => l1(h.e, r, t.e),
    layout: (c) => [...c.e],
    fallback: (s) => [...s],
    rankForm: 'l1',
    aux: (ctx) => {
      let sq = 0;
      let n = 0;
      for (let e = 0; e < K; e++) {
        const code = transaeCode(ctx, e);
        ctx.feats.forEach((f, m) => {
          if (!f.mask[e]) return;
          const U = ctx.param(`transae.dec.W.${m}`);
          const u = ctx.param(`transae.dec.b.${m}`);
          for (let k = 0; k < f.dim; k++) {
            let rec = u[k];
            for (let c = 0; c < DIM; c++) rec += code[c] * U[c * f.dim + k];
            sq += (rec - f.data[e * f.dim + k]) ** 2;
          }
          n += f.dim;
        });
      }
      return sq / Math.max(1, n);
    },
  },
};

// ---------------------------------------------------------------- the spec factory

interface Setup {
  model: MultimodalKgModel;
  feats: ModalityFeatures[];
  S: Float32Array;
  R: Float32Array;
  sw: number;
  We: number;
  Wr: number;
}

function makeSetup(name: string, config: string[], seed: number): Setup {
  const rng = new Rng(seed);
  const feats = config.map((m) => makeFeatures(m, rng.derive(`features-${m}`)));
  const model = createMultimodalModel(name, makeOptions(feats, seed + 1));
  const sw = model.structuralWidth;
  const S = uniform(rng.derive('structural'), K * sw);
  const R = uniform(rng.derive('relations'), NR * model.scorer.relationWidth);
  model.refresh?.(S, K, rng.derive('refresh'));
  return { model, feats, S, R, sw, We: model.scorer.entityWidth, Wr: model.scorer.relationWidth };
}

const featureTensors = (feats: ModalityFeatures[]) => feats.map((f) => tf.tensor2d(f.data, [f.rows, f.dim]));
const maskTensors = (feats: ModalityFeatures[]) => feats.map((f) => tf.tensor2d(Float32Array.from(f.mask), [f.rows, 1]));

/** Ranking representations of all K entities, [K * We]. */
function representAll(st: Setup, feats = st.feats): Float32Array {
  return tf.tidy(() => {
    const p = st.model.params.tensors();
    const hs = st.model.encode(tf.tensor2d(st.S, [K, st.sw]), featureTensors(feats), p);
    return st.model.fuse(hs, maskTensors(feats), p).dataSync().slice() as Float32Array;
  });
}

function refCtx(st: Setup): Ctx {
  return { S: st.S, feats: st.feats, param: (n) => st.model.params.get(n).data };
}

/** The reference of a registered model; a model without one fails (write one in REFERENCES). */
function referenceOf(name: string): Reference {
  const ref = REFERENCES[name];
  if (!ref) expect.fail(`multimodal model '${name}' has no plain-JS reference in REFERENCES (test/baselines/kg/multimodal.test.ts): write one`);
  return ref;
}

/** A one-thread ort-cpu engine, or the test skipped (with the reason) where onnxruntime-node cannot load. */
function ortCpuOrSkip(ctx: Mocha.Context): DenseHead {
  try {
    return createEngine('ort-cpu', 1);
  } catch (err) {
    console.log(`      (skipped: ${(err as Error).message.split('\n')[0]})`);
    ctx.skip();
    throw err; // not reached: skip() throws
  }
}

function multimodalSuite(name: string, config: string[], seed: number): void {
  describe(`${name} [${config.join(' + ')}]`, () => {
    let st: Setup;
    before(() => {
      st = makeSetup(name, config, seed);
    });

    it('encode gives [structural, one per modality]; fuse gives [k, entityWidth]', () => {
      tf.tidy(() => {
        const p = st.model.params.tensors();
        const hs = st.model.encode(tf.tensor2d(st.S, [K, st.sw]), featureTensors(st.feats), p);
        expect(hs.length).to.equal(1 + config.length);
        expect(hs[0].shape).to.deep.equal([K, st.sw]);
        for (const h of hs) {
          expect(h.rank).to.equal(2);
          expect(h.shape[0]).to.equal(K);
        }
        const rep = st.model.fuse(hs, maskTensors(st.feats), p);
        expect(rep.shape).to.deep.equal([K, st.We]);
        expect(Array.from(rep.dataSync()).every(Number.isFinite)).to.equal(true);
      });
      expect(st.model.modalities.map((m) => m.modality)).to.deep.equal(config);
    });

    it('fuse is row-wise: a subset of entities gets the same rows', () => {
      const all = representAll(st);
      const ids = [4, 1, 6, 2];
      const sub = tf.tidy(() => {
        const idx = tf.tensor1d(ids, 'int32');
        const p = st.model.params.tensors();
        const hs = st.model.encode(
          tf.gather(tf.tensor2d(st.S, [K, st.sw]), idx) as tf.Tensor2D,
          featureTensors(st.feats).map((f) => tf.gather(f, idx) as tf.Tensor2D),
          p,
        );
        return st.model.fuse(hs, maskTensors(st.feats).map((m) => tf.gather(m, idx) as tf.Tensor2D), p).dataSync().slice();
      });
      ids.forEach((e, i) => expectAllClose(row(sub, i, st.We), row(all, e, st.We), 1e-5, 1e-5, `entity ${e}`));
    });

    it('masks: a masked-out feature row is ignored, whatever it holds', () => {
      const before = representAll(st);
      const rng = new Rng(seed + 7);
      const garbage = st.feats.map((f) => {
        const data = f.data.slice();
        for (let e = 0; e < K; e++) if (!f.mask[e]) data.set(uniform(rng, f.dim, 3), e * f.dim);
        return { ...f, data };
      });
      expectAllClose(representAll(st, garbage), before, 1e-6, 1e-6, 'representation');
    });

    it('score on fused representations equals the plain-JS reference of the paper energy', () => {
      const ref = referenceOf(name);
      const rep = representAll(st);
      const ctx = refCtx(st);
      const B = HEADS.length;
      const got = tf.tidy(() => {
        const gather = (ids: number[]) => tf.tensor2d(ids.flatMap((e) => row(rep, e, st.We)), [B, st.We]);
        const r = tf.tensor2d(RELS.flatMap((k) => row(st.R, k, st.Wr)), [B, st.Wr]);
        const out = st.model.scorer.score(gather(HEADS), r, gather(TAILS));
        expect(out.shape).to.deep.equal([B]);
        return out.dataSync().slice();
      });
      for (let i = 0; i < B; i++) {
        const expected = -ref.energy(ref.comps(ctx, HEADS[i]), row(st.R, RELS[i], st.Wr), ref.comps(ctx, TAILS[i]));
        expectClose(got[i], expected, 1e-4, 1e-4, `score (${HEADS[i]}, ${RELS[i]}, ${TAILS[i]})`);
      }
    });

    it('fused representation follows the documented layout (masks and fallback included)', () => {
      const ref = referenceOf(name);
      const rep = representAll(st);
      const ctx = refCtx(st);
      for (let e = 0; e < K; e++) expectAllClose(row(rep, e, st.We), ref.layout(ref.comps(ctx, e)), 1e-5, 1e-5, `entity ${e}`);
    });

    it('an entity without any auxiliary modality gets the documented structural fallback', () => {
      const ref = referenceOf(name);
      const rep = representAll(st);
      expect(st.feats.every((f) => f.mask[NO_MODALITY] === 0)).to.equal(true);
      expectAllClose(row(rep, NO_MODALITY, st.We), ref.fallback(row(st.S, NO_MODALITY, st.sw)), 1e-6, 1e-6, 'fallback');
      // and the other entities do not get it
      const withAux = config.length === 2 ? 2 : config[0] === 'image' ? 1 : 2;
      const fb = ref.fallback(row(st.S, withAux, st.sw));
      expect(row(rep, withAux, st.We).some((v, k) => Math.abs(v - fb[k]) > 1e-4)).to.equal(true);
    });

    it('auxiliaryLoss equals the plain-JS reference (or is absent)', () => {
      const ref = referenceOf(name);
      if (!ref.aux) {
        expect(st.model.auxiliaryLoss, 'auxiliaryLoss').to.equal(undefined);
        return;
      }
      expect(st.model.auxiliaryLoss, 'auxiliaryLoss').to.be.a('function');
      const got = tf.tidy(() => {
        const p = st.model.params.tensors();
        const hs = st.model.encode(tf.tensor2d(st.S, [K, st.sw]), featureTensors(st.feats), p);
        const l = st.model.auxiliaryLoss!(hs, maskTensors(st.feats), p);
        expect(l.shape).to.deep.equal([]);
        return l.dataSync()[0];
      });
      expectClose(got, ref.aux!(refCtx(st)), 1e-5, 1e-4, 'auxiliaryLoss');
      expect(got).to.be.above(0);
      // unweighted: another auxWeight gives the same value (the trainer multiplies by it)
      const other = createMultimodalModel(name, { ...makeOptions(st.feats, seed + 1), auxWeight: 3 * AUX_WEIGHT });
      const got2 = tf.tidy(() => {
        const p = other.params.tensors();
        const hs = other.encode(tf.tensor2d(st.S, [K, st.sw]), featureTensors(st.feats), p);
        return other.auxiliaryLoss!(hs, maskTensors(st.feats), p).dataSync()[0];
      });
      expectClose(got2, got, 1e-6, 1e-6, 'auxiliaryLoss with another auxWeight');
    });

    it('rankForm + queryTail/queryHead reproduce scorer.score for every candidate, both sides; same ranks', function () {
      const s = st.model.scorer;
      if (s.rankForm === undefined) this.skip(); // no fast ranking for this model: nothing to reproduce
      const ref = referenceOf(name);
      expect(s.rankForm).to.equal(ref.rankForm);
      const form = s.rankForm!;
      const rep = representAll(st);
      const B = HEADS.length;
      const [byTail, byHead, qT, qH] = tf.tidy(() => {
        const repT = tf.tensor2d(rep, [K, st.We]);
        const h = tf.tensor2d(HEADS.flatMap((e) => row(rep, e, st.We)), [B, st.We]);
        const t = tf.tensor2d(TAILS.flatMap((e) => row(rep, e, st.We)), [B, st.We]);
        const r = tf.tensor2d(RELS.flatMap((k) => row(st.R, k, st.Wr)), [B, st.Wr]);
        const r3 = r.reshape([B, 1, st.Wr]);
        const cand = repT.reshape([1, K, st.We]);
        const a = s.score(h.reshape([B, 1, st.We]), r3, cand); // (h_i, r_i, e) for all e
        const b = s.score(cand, r3, t.reshape([B, 1, st.We])); // (e, r_i, t_i) for all e
        expect(a.shape).to.deep.equal([B, K]);
        expect(b.shape).to.deep.equal([B, K]);
        const q1 = s.queryTail!(h, r);
        const q2 = s.queryHead!(r, t);
        expect(q1.shape).to.deep.equal([B, st.We]);
        expect(q2.shape).to.deep.equal([B, st.We]);
        return [a, b, q1, q2].map((x) => x.dataSync().slice());
      });
      for (const side of ['tail', 'head'] as const) {
        const sc = side === 'tail' ? byTail : byHead;
        const q = side === 'tail' ? qT : qH;
        for (let i = 0; i < B; i++) {
          const scores = row(sc, i, K);
          const forms = Array.from({ length: K }, (_, e) => rankFormRef(form, row(q, i, st.We), row(rep, e, st.We)));
          const diffs = scores.map((v, e) => v - forms[e]);
          // the L1 and dot forms are exact; other forms may differ by a constant per query
          const c = form === 'l1' || form === 'dot' ? 0 : diffs[0];
          diffs.forEach((dv, e) => expectClose(dv, c, 2e-4, 0, `${side} query ${i}, candidate ${e}: score - form(q, e)`));
          expect(ranksOf(forms), `${side} query ${i}: ranks`).to.deep.equal(ranksOf(scores));
        }
      }
    });

    it('gradients of encode + fuse + score (+ auxiliaryLoss) match central differences', function () {
      this.timeout(300000);
      const m = st.model;
      const B = HEADS.length;
      const g = uniform(new Rng(seed + 11), B);
      const feats = featureTensors(st.feats);
      const masks = maskTensors(st.feats);
      const hIdx = tf.tensor1d(HEADS, 'int32');
      const rIdx = tf.tensor1d(RELS, 'int32');
      const tIdx = tf.tensor1d(TAILS, 'int32');
      const gT = tf.tensor1d(g);
      const lossFn = (ins: tf.Tensor[], p: ParamTensors): tf.Scalar => {
        const hs = m.encode(ins[0] as tf.Tensor2D, feats, p);
        const rep = m.fuse(hs, masks, p);
        const sc = m.scorer.score(tf.gather(rep, hIdx), tf.gather(ins[1], rIdx), tf.gather(rep, tIdx));
        let loss = tf.sum(tf.mul(sc, gT)) as tf.Scalar;
        if (m.auxiliaryLoss) loss = tf.add(loss, m.auxiliaryLoss(hs, masks, p)) as tf.Scalar;
        return loss;
      };
      const S = st.S.slice();
      const R = st.R.slice();
      const evalLoss = (): number =>
        tf.tidy(() => lossFn([tf.tensor2d(S, [K, st.sw]), tf.tensor2d(R, [NR, st.Wr])], m.params.tensors()).dataSync()[0]);
      const ins = [tf.tensor2d(S, [K, st.sw]), tf.tensor2d(R, [NR, st.Wr])];
      const { loss, inputGrads, paramGrads } = lossAndGrads(m.params, ins, lossFn);
      tf.dispose(ins);
      const f0 = evalLoss();
      expectClose(loss, f0, 1e-4, 1e-5, 'loss');
      // float32 central differences; L1 energies have kinks, so a coordinate whose step crosses one
      // (the one-sided slopes disagree) is skipped and counted
      const eps = 2e-3;
      const kink = 4e-2;
      let checked = 0;
      let skipped = 0;
      const check = (arr: Float32Array, k: number, grad: number, what: string) => {
        const x0 = arr[k];
        arr[k] = x0 + eps;
        const up = evalLoss();
        arr[k] = x0 - eps;
        const down = evalLoss();
        arr[k] = x0;
        const fwd = (up - f0) / eps;
        const bwd = (f0 - down) / eps;
        if (Math.abs(fwd - bwd) > kink) {
          skipped++;
          return;
        }
        checked++;
        expectClose(grad, (up - down) / (2 * eps), 2e-2, 2e-2, what);
      };
      const pick = (n: number, max: number, r: Rng): number[] =>
        n <= max ? Array.from({ length: n }, (_, i) => i) : r.shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, max);
      const pr = new Rng(seed + 13);
      for (let k = 0; k < S.length; k++) check(S, k, inputGrads[0][k], `d/dS[${k}]`);
      for (let k = 0; k < R.length; k++) check(R, k, inputGrads[1][k], `d/dR[${k}]`);
      for (const name of m.params.names()) {
        const data = m.params.get(name).data;
        for (const k of pick(data.length, 40, pr)) check(data, k, paramGrads[name][k], `d/d${name}[${k}]`);
      }
      tf.dispose([...feats, ...masks, hIdx, rIdx, tIdx, gT]);
      expect(skipped, `skipped ${skipped} of ${checked + skipped} coordinates at kinks`).to.be.at.most(0.3 * (checked + skipped));
      // every dense parameter gets a gradient somewhere (none is disconnected)
      for (const name of m.params.names()) {
        expect(Array.from(paramGrads[name]).some((v) => v !== 0), `gradient of ${name}`).to.equal(true);
      }
    });

    it('fused encoder + kernel (negative-sampling fast path): loss and gradients equal tfjs autodiff and central differences', function () {
      this.timeout(300000);
      const m = st.model;
      const enc = m.fusedEncoder;
      if (!enc) this.skip(); // a model without one trains through autodiff
      const B = HEADS.length;
      const g = uniform(new Rng(seed + 21), B);
      // the entities in a permuted order (slots), so that slot != id is exercised
      const ids = Int32Array.from([3, 0, 6, 4, 1, 2, 5]);
      const slotOf = new Int32Array(K);
      ids.forEach((e, u) => (slotOf[e] = u));
      const S = st.S.slice();
      const R = st.R.slice();
      const fused = (withGrads: boolean) => {
        const Su = new Float32Array(K * st.sw);
        ids.forEach((e, u) => Su.set(S.subarray(e * st.sw, (e + 1) * st.sw), u * st.sw));
        const e = enc!.encode(ids, Su);
        const W = enc!.rowWidth;
        let loss = AUX_WEIGHT * e.auxLoss;
        const dRows = new Float32Array(K * W);
        const dR = new Float32Array(R.length);
        for (let i = 0; i < B; i++) {
          const h = slotOf[HEADS[i]] * W;
          const t = slotOf[TAILS[i]] * W;
          loss += g[i] * enc!.kernel.score(e.rows, h, R, RELS[i] * st.Wr, t);
          if (withGrads) enc!.kernel.backward(e.rows, h, R, RELS[i] * st.Wr, t, g[i], dRows, h, t, dR, RELS[i] * st.Wr);
        }
        if (!withGrads) return { loss };
        const dSu = new Float32Array(K * st.sw);
        const paramGrads = Object.fromEntries(Object.entries(e.backward(dRows, AUX_WEIGHT, dSu)).map(([n, v]) => [n, v.slice()]));
        const dS = new Float32Array(K * st.sw);
        ids.forEach((ent, u) => dS.set(dSu.subarray(u * st.sw, (u + 1) * st.sw), ent * st.sw));
        return { loss, dS, dR, paramGrads };
      };
      // tfjs autodiff of the same objective through encode / fuse / score / auxiliaryLoss
      const feats = featureTensors(st.feats);
      const masks = maskTensors(st.feats);
      const gT = tf.tensor1d(g);
      const lossFn = (ins: tf.Tensor[], p: ParamTensors): tf.Scalar => {
        const hs = m.encode(ins[0] as tf.Tensor2D, feats, p);
        const rep = m.fuse(hs, masks, p);
        const sc = m.scorer.score(tf.gather(rep, tf.tensor1d(HEADS, 'int32')), tf.gather(ins[1], tf.tensor1d(RELS, 'int32')), tf.gather(rep, tf.tensor1d(TAILS, 'int32')));
        let loss = tf.sum(tf.mul(sc, gT)) as tf.Scalar;
        if (m.auxiliaryLoss) loss = tf.add(loss, tf.mul(AUX_WEIGHT, m.auxiliaryLoss(hs, masks, p))) as tf.Scalar;
        return loss;
      };
      const ins = [tf.tensor2d(S, [K, st.sw]), tf.tensor2d(R, [NR, st.Wr])];
      const ad = lossAndGrads(m.params, ins, lossFn);
      tf.dispose([...ins, ...feats, ...masks, gT]);
      const f = fused(true);
      expectClose(f.loss, ad.loss, 1e-4, 1e-4, 'loss');
      expectAllClose(f.dS!, ad.inputGrads[0], 1e-4, 1e-3, 'd/dS');
      expectAllClose(f.dR!, ad.inputGrads[1], 1e-4, 1e-3, 'd/dR');
      for (const name of m.params.names()) {
        expect(f.paramGrads![name], `fused gradient of ${name}`).to.not.equal(undefined);
        expectAllClose(f.paramGrads![name], ad.paramGrads[name], 1e-4, 1e-3, `d/d${name}`);
      }
      // central differences of the fused objective itself (kinks of L1 skipped and counted)
      const f0 = fused(false).loss;
      const eps = 2e-3;
      let checked = 0;
      let skipped = 0;
      const check = (arr: Float32Array, k: number, grad: number, what: string) => {
        const x0 = arr[k];
        arr[k] = x0 + eps;
        const up = fused(false).loss;
        arr[k] = x0 - eps;
        const down = fused(false).loss;
        arr[k] = x0;
        if (Math.abs((up - f0) / eps - (f0 - down) / eps) > 4e-2) {
          skipped++;
          return;
        }
        checked++;
        expectClose(grad, (up - down) / (2 * eps), 2e-2, 2e-2, what);
      };
      for (let k = 0; k < S.length; k++) check(S, k, f.dS![k], `fused d/dS[${k}]`);
      for (let k = 0; k < R.length; k++) check(R, k, f.dR![k], `fused d/dR[${k}]`);
      const pr = new Rng(seed + 23);
      for (const name of m.params.names()) {
        const data = m.params.get(name).data;
        const idx = data.length <= 30 ? Array.from({ length: data.length }, (_, i) => i) : pr.shuffle(Array.from({ length: data.length }, (_, i) => i)).slice(0, 30);
        for (const k of idx) check(data, k, f.paramGrads![name][k], `fused d/d${name}[${k}]`);
      }
      expect(skipped, `skipped ${skipped} of ${checked + skipped} coordinates at kinks`).to.be.at.most(0.3 * (checked + skipped));
    });

    it('fused encoder on the dense engine (ort-cpu) gives the rows, loss and gradients of its tfjs products', function () {
      const enc = st.model.fusedEncoder;
      if (!enc) this.skip();
      const ortHead = ortCpuOrSkip(this);
      const ids = Int32Array.from([3, 0, 6, 4, 1, 2, 5]);
      const Su = new Float32Array(K * st.sw);
      ids.forEach((e, u) => Su.set(st.S.subarray(e * st.sw, (e + 1) * st.sw), u * st.sw));
      const dRows = uniform(new Rng(seed + 31), K * enc.rowWidth);
      // copies: an encoder may reuse its buffers at the next encode
      const run = () => {
        const e = enc.encode(ids, Su);
        const rows = e.rows.slice();
        const dS = new Float32Array(K * st.sw);
        const grads = Object.fromEntries(Object.entries(e.backward(dRows, AUX_WEIGHT, dS)).map(([n, v]) => [n, v.slice()]));
        return { rows, aux: e.auxLoss, dS, grads };
      };
      const viaTfjs = run();
      setTensorEngine(ortHead);
      let viaOrt: ReturnType<typeof run>;
      try {
        viaOrt = run();
      } finally {
        setTensorEngine(undefined);
        ortHead.dispose();
      }
      expectAllClose(viaOrt.rows, viaTfjs.rows, 1e-5, 1e-4, 'rows');
      expectClose(viaOrt.aux, viaTfjs.aux, 1e-5, 1e-4, 'auxLoss');
      expectAllClose(viaOrt.dS, viaTfjs.dS, 1e-5, 1e-4, 'dS');
      for (const name of st.model.params.names()) expectAllClose(viaOrt.grads[name], viaTfjs.grads[name], 1e-5, 1e-4, `d/d${name}`);
    });

    it('fused kernel head queries give the very bits of score and backward (or are absent)', function () {
      const enc = st.model.fusedEncoder;
      if (!enc) this.skip();
      const kernel = enc.kernel;
      if (!hasHeadQueries(kernel)) this.skip();
      const W = enc.rowWidth;
      const rng = new Rng(seed + 41);
      const E = uniform(rng, K * W);
      const R = uniform(rng, NR * st.Wr);
      // exact zeros of some differences: entity 6 = entity 0's row shifted by relation 0 (sign(0) = 0 paths)
      for (let c = 0; c < W; c++) E[6 * W + c] = Math.fround(E[c] + R[c % st.Wr]);
      const q = new Float64Array(kernel.queryWidth);
      const triples: [number, number, number][] = [];
      for (let h = 0; h < K; h++) for (let r = 0; r < NR; r++) for (const t of [0, 3, 6, h]) triples.push([h, r, t]);
      const init = uniform(rng, K * W);
      const initR = uniform(rng, NR * st.Wr);
      const [gA, gB] = [init.slice(), init.slice()];
      const [rA, rB] = [initR.slice(), initR.slice()];
      triples.forEach(([h, r, t], i) => {
        const g = 2 * rng.next() - 1;
        kernel.headQuery(E, h * W, R, r * st.Wr, q);
        const plain = kernel.score(E, h * W, R, r * st.Wr, t * W);
        const viaQuery = kernel.scoreQuery(q, E, t * W);
        if (!Object.is(plain, viaQuery)) expect.fail(`triple ${i} (${h}, ${r}, ${t}): scoreQuery ${viaQuery} !== score ${plain}`);
        kernel.backward(E, h * W, R, r * st.Wr, t * W, g, gA, h * W, t * W, rA, r * st.Wr);
        kernel.backwardQuery(q, E, t * W, g, gB, h * W, t * W, rB, r * st.Wr);
      });
      const firstDiff = (a: Float32Array, b: Float32Array): number => a.findIndex((v, i) => !Object.is(v, b[i]));
      expect(firstDiff(gA, gB), 'first entity gradient that differs').to.equal(-1);
      expect(firstDiff(rA, rB), 'first relation gradient that differs').to.equal(-1);
    });

    it('the scorer\'s fused kernel on representation rows equals score and tf.grads (or is absent)', function () {
      const kernel = st.model.scorer.kernel;
      if (!kernel) this.skip();
      const We = st.We;
      const Wr = st.Wr;
      const E = uniform(new Rng(seed + 31), K * We);
      const R = st.R.slice();
      const B = HEADS.length;
      const g = uniform(new Rng(seed + 32), B);
      const [tfScore, dE, dR] = tf.tidy(() => {
        const f = (e: tf.Tensor, r: tf.Tensor) => tf.sum(tf.mul(st.model.scorer.score(tf.gather(e, tf.tensor1d(HEADS, 'int32')), tf.gather(r, tf.tensor1d(RELS, 'int32')), tf.gather(e, tf.tensor1d(TAILS, 'int32'))), tf.tensor1d(g)));
        const sc = st.model.scorer.score(tf.gather(tf.tensor2d(E, [K, We]), tf.tensor1d(HEADS, 'int32')), tf.gather(tf.tensor2d(R, [NR, Wr]), tf.tensor1d(RELS, 'int32')), tf.gather(tf.tensor2d(E, [K, We]), tf.tensor1d(TAILS, 'int32')));
        const [a, b] = tf.grads(f)([tf.tensor2d(E, [K, We]), tf.tensor2d(R, [NR, Wr])]);
        return [sc.dataSync().slice(), a.dataSync().slice(), b.dataSync().slice()];
      });
      const gE = new Float32Array(K * We);
      const gR = new Float32Array(NR * Wr);
      for (let i = 0; i < B; i++) {
        expectClose(kernel!.score(E, HEADS[i] * We, R, RELS[i] * Wr, TAILS[i] * We), tfScore[i], 1e-5, 1e-5, `kernel.score ${i}`);
        kernel!.backward(E, HEADS[i] * We, R, RELS[i] * Wr, TAILS[i] * We, g[i], gE, HEADS[i] * We, TAILS[i] * We, gR, RELS[i] * Wr);
      }
      expectAllClose(gE, dE, 1e-5, 1e-5, 'kernel d/dE');
      expectAllClose(gR, dR, 1e-5, 1e-5, 'kernel d/dR');
    });

    it('leaks no tensors (encode, fuse, score, queries, auxiliaryLoss)', () => {
      const p = st.model.params.tensors();
      const S = tf.tensor2d(st.S, [K, st.sw]);
      const feats = featureTensors(st.feats);
      const masks = maskTensors(st.feats);
      const r = tf.tensor2d(st.R.subarray(0, st.Wr), [1, st.Wr]);
      const before = tf.memory().numTensors;
      const hs = st.model.encode(S, feats, p);
      const rep = st.model.fuse(hs, masks, p);
      const outs: tf.Tensor[] = [...hs.filter((h) => h !== S && !feats.includes(h)), rep];
      const h = tf.slice(rep, [0, 0], [1, st.We]);
      outs.push(h, st.model.scorer.score(h, r, rep));
      if (st.model.scorer.queryTail) outs.push(st.model.scorer.queryTail(h, r));
      if (st.model.scorer.queryHead) outs.push(st.model.scorer.queryHead(r, h));
      if (st.model.auxiliaryLoss) outs.push(st.model.auxiliaryLoss(hs, masks, p));
      expect(tf.memory().numTensors - before, 'tensors beyond the returned ones').to.equal(outs.length);
      tf.dispose([...outs, S, r, ...feats, ...masks, ...Object.values(p)]);
    });

    it('is deterministic for a seed: parameters and structural init', () => {
      const again = makeSetup(name, config, seed);
      for (const n of st.model.params.names()) {
        expect(Array.from(again.model.params.get(n).data), n).to.deep.equal(Array.from(st.model.params.get(n).data));
      }
      const a = new Float32Array(K * st.sw);
      const b = new Float32Array(K * st.sw);
      st.model.initStructural(a, K, new Rng(3));
      again.model.initStructural(b, K, new Rng(3));
      expect(Array.from(a)).to.deep.equal(Array.from(b));
      expect(a.every(Number.isFinite) && a.some((v) => v !== 0)).to.equal(true);
      const rel = new Float32Array(NR * st.Wr);
      st.model.initRelations(rel, NR, new Rng(4));
      expect(rel.every(Number.isFinite) && rel.some((v) => v !== 0)).to.equal(true);
    });
  });
}

// ---------------------------------------------------------------- run it

describe('baselines/kg multimodal models', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  it('every registered model has a plain-JS reference here', () => {
    const missing = multimodalModelNames().filter((n) => !(n in REFERENCES));
    expect(missing, 'registered multimodal models without a reference in REFERENCES').to.deep.equal([]);
  });

  let seed = 5000;
  for (const name of multimodalModelNames()) {
    for (const config of CONFIGS) {
      multimodalSuite(name, config, seed);
      seed += 100;
    }
  }
});

describe('ranking views (rankEnergy: IKRL\'s SBR, IBR and UNION)', () => {
  before(async () => {
    await selectBackend('cpu');
  });
  const views: Record<string, (h: Comps, r: number[], t: Comps) => number> = {
    structure: (h, r, t) => l1(h.s, r, t.s),
    auxiliary: (h, r, t) => l1(h.m, r, t.m),
    union: (h, r, t) => l1(h.s, r, t.s) + l1(h.m, r, t.m),
  };
  for (const name of ['ikrl', 'tbkge', 'mmkrl']) {
    for (const [rankEnergy, energy] of Object.entries(views)) {
      it(`${name}, rankEnergy ${rankEnergy}: the view's scorer on its table is the reference energy, for every candidate; training scores unchanged`, () => {
        const base = makeSetup(name, ['image', 'text'], 3);
        const feats = base.feats;
        const model = createMultimodalModel(name, { ...makeOptions(feats, 4), rankEnergy });
        const st: Setup = { ...base, model };
        const view = model.ranking;
        if (!view) throw new Error('no ranking view');
        const table = view.table(representAll(st), K);
        const V = view.scorer.entityWidth;
        expect(table.length).to.equal(K * V);
        const ctx = refCtx(st);
        const comps = (e: number): Comps => {
          const c = referenceOf(name).comps(ctx, e);
          return { s: c.s, m: c.m ?? c.i };
        };
        for (let i = 0; i < HEADS.length; i++) {
          const got = tf.tidy(() => {
            const r = tf.tensor2d(row(st.R, RELS[i], st.Wr), [1, st.Wr]);
            const q = view.scorer.queryTail!(tf.tensor2d(row(table, HEADS[i], V), [1, V]), r);
            return Array.from({ length: K }, (_, e) => -l1(row(q.dataSync(), 0, V), new Array<number>(V).fill(0), row(table, e, V)));
          });
          for (let e = 0; e < K; e++) {
            expectClose(got[e], -energy(comps(HEADS[i]), row(st.R, RELS[i], st.Wr), comps(e)), 1e-4, 1e-4, `(${HEADS[i]}, ${RELS[i]}, ${e})`);
          }
        }
        // the training scorer is the full energy still
        expect(model.scorer.entityWidth).to.equal(base.model.scorer.entityWidth);
      });
    }
  }

  it('rankEnergy full (the default) has no view; an unknown value is refused naming the key', () => {
    const feats = [makeFeatures('text', new Rng(1))];
    expect(createMultimodalModel('ikrl', makeOptions(feats, 2)).ranking).to.equal(undefined);
    expect(() => createMultimodalModel('ikrl', { ...makeOptions(feats, 2), rankEnergy: 'both' })).to.throw(/rankEnergy/);
  });
});

describe('TransAE: the autoencoder step on the dense engine\'s graphs', () => {
  before(async () => {
    await selectBackend('cpu');
  });

  // every entity with every modality, and the suite's partial masks (entity 4 has none)
  for (const [config, everyRow] of [[['text'], true], [['image', 'text'], true], [['image'], false], [['image', 'text'], false]] as const) {
    it(`[${config.join(' + ')}, ${everyRow ? 'every entity has every modality' : 'partial modalities'}] gives the typed-array path's rows, reconstruction loss and gradients, and runs two graphs per step`, function () {
      const ortHead = ortCpuOrSkip(this);
      const rng = new Rng(9100 + config.length);
      const feats = config.map((m) => makeFeatures(m, rng.derive(`features-${m}`)));
      if (everyRow) {
        for (const f of feats) {
          f.mask.fill(1);
          f.data.set(uniform(rng.derive(`all-${f.modality}`), K * f.dim));
        }
      }
      const model = createMultimodalModel('transae', makeOptions(feats, 9200));
      const enc = model.fusedEncoder!;
      const sw = model.structuralWidth;
      const S = uniform(rng.derive('structural'), K * sw);
      const ids = Int32Array.from([3, 0, 6, 4, 1, 2, 5]);
      const Su = new Float32Array(K * sw);
      ids.forEach((e, u) => Su.set(S.subarray(e * sw, (e + 1) * sw), u * sw));
      const dRows = uniform(rng.derive('dRows'), K * enc.rowWidth);
      const run = () => {
        const e = enc.encode(ids, Su);
        const rows = e.rows.slice();
        const dS = new Float32Array(K * sw);
        const grads = Object.fromEntries(Object.entries(e.backward(dRows, AUX_WEIGHT, dS)).map(([n, v]) => [n, v.slice()]));
        return { rows, aux: e.auxLoss, dS, grads };
      };
      // the typed-array path with ORT's products (runGraph hidden), then the graph path
      const productsOnly: DenseHead = Object.create(ortHead, { runGraph: { value: undefined } });
      let graphRuns = 0;
      const counting: DenseHead = Object.create(ortHead, {
        runGraph: { value: (...a: Parameters<NonNullable<DenseHead['runGraph']>>) => (graphRuns++, ortHead.runGraph!(...a)) },
      });
      let viaLoops: ReturnType<typeof run>;
      let viaGraphs: ReturnType<typeof run>;
      try {
        setTensorEngine(productsOnly);
        viaLoops = run();
        setTensorEngine(counting);
        viaGraphs = run();
      } finally {
        setTensorEngine(undefined);
        ortHead.dispose();
      }
      expect(graphRuns, 'graph runs (forward and backward)').to.equal(2);
      expectAllClose(viaGraphs.rows, viaLoops.rows, 1e-6, 1e-5, 'rows');
      expectClose(viaGraphs.aux, viaLoops.aux, 1e-6, 1e-5, 'auxLoss');
      expectAllClose(viaGraphs.dS, viaLoops.dS, 1e-6, 1e-5, 'dS');
      expect(Object.keys(viaGraphs.grads).sort()).to.deep.equal(model.params.names().sort());
      for (const name of model.params.names()) expectAllClose(viaGraphs.grads[name], viaLoops.grads[name], 1e-6, 1e-5, `d/d${name}`);
    });
  }
});

describe('baselines/kg multimodal registry and options', () => {
  const feats = () => CONFIGS[2].map((m) => makeFeatures(m, new Rng(1)));

  it('each key builds a model of that name, from a file of that name', () => {
    expect(multimodalModelNames()).to.include.members(['otkge', 'ikrl', 'tbkge', 'transae', 'mmkrl']);
    for (const name of multimodalModelNames()) {
      const m = createMultimodalModel(name, makeOptions(feats(), 1));
      expect(m.name).to.equal(name);
      expect(() => require.resolve(path.join(__dirname, '../../../baselines/kg', name)), `baselines/kg/${name}`).to.not.throw();
    }
    expect(isMultimodalModel('ikrl')).to.equal(true);
    expect(isMultimodalModel('transe')).to.equal(false);
  });

  it('widths: structural d, relations d, representation = blocks * d', () => {
    const width = (n: string) => {
      const m = createMultimodalModel(n, makeOptions(feats(), 1));
      return [m.structuralWidth, m.scorer.relationWidth, m.scorer.entityWidth];
    };
    expect(width('ikrl')).to.deep.equal([DIM, DIM, 4 * DIM]);
    expect(width('tbkge')).to.deep.equal([DIM, DIM, 5 * DIM]);
    expect(width('mmkrl')).to.deep.equal([DIM, DIM, 4 * DIM]);
    expect(width('transae')).to.deep.equal([DIM, DIM, DIM]);
  });

  it('the TransE-family models rank through the worker kernel pool (rankForm l1: method loop)', () => {
    for (const name of ['ikrl', 'tbkge', 'transae', 'mmkrl']) {
      const m = createMultimodalModel(name, makeOptions(feats(), 1));
      expect(resolveMethod(m.scorer), name).to.equal('loop');
    }
  });

  it('norm 2 is refused with an error that says why (ranking is exact with L1)', () => {
    for (const name of ['ikrl', 'tbkge', 'transae', 'mmkrl']) {
      expect(() => createMultimodalModel(name, { ...makeOptions(feats(), 1), norm: 2 }), name).to.throw(/norm 2.*L1/);
    }
  });

  it('no auxiliary modality, a bad dim or a negative auxWeight is refused', () => {
    for (const name of ['ikrl', 'tbkge', 'transae', 'mmkrl']) {
      const o = makeOptions(feats(), 1);
      expect(() => createMultimodalModel(name, { ...o, modalities: [] }), name).to.throw(/modality/);
      // The factories check on their own too (without the registry's schema check in front).
      const entry = (MULTIMODAL_MODELS as Readonly<Record<string, MultimodalComponent>>)[name];
      const own = { dim: o.dim, norm: o.norm };
      expect(() => entry.create(own, { ...o, modalities: [] }), name).to.throw(/modality/);
      expect(() => entry.create({ ...own, dim: 0 }, o), name).to.throw(/dim/);
      expect(() => entry.create(own, { ...o, auxWeight: -1 }), name).to.throw(/auxWeight/);
    }
  });

  it('encode and fuse check their inputs', () => {
    const m = createMultimodalModel('ikrl', makeOptions(feats(), 1));
    tf.tidy(() => {
      const p = m.params.tensors();
      const S = tf.zeros([K, DIM]) as tf.Tensor2D;
      expect(() => m.encode(S, [tf.zeros([K, 5]) as tf.Tensor2D], p)).to.throw(/2 feature matrices/);
      expect(() => m.encode(S, [tf.zeros([K, 3]) as tf.Tensor2D, tf.zeros([K, 3]) as tf.Tensor2D], p)).to.throw(/image/);
      expect(() => m.fuse([S], [], p)).to.throw(/3 representations/);
    });
  });

  it('TranslationSumScorer: refuses specs without an exact head query; the layouts of the brief', () => {
    expect(() => new TranslationSumScorer('x', 2, { basis: ['s', 'i'], terms: [['s', 'i']], weight: 1 })).to.throw(/head/);
    expect(() => new TranslationSumScorer('x', 2, { basis: ['s'], terms: [['s', 'q']], weight: 1 })).to.throw(/unknown basis/);
    const ikrl = createMultimodalModel('ikrl', makeOptions(feats(), 1)).scorer as TranslationSumScorer;
    const tbkge = createMultimodalModel('tbkge', makeOptions(feats(), 1)).scorer as TranslationSumScorer;
    expect(ikrl.blocks).to.deep.equal(['s', 'i', 's', 'i']);
    expect(tbkge.blocks).to.deep.equal(['s', 'm', 's', 'm', 's+m']);
    // hand-checked queries on one-hot-like components (d = 1): h = (s 1, i 10), t = (s 100, i 1000), r = 0.5
    tf.tidy(() => {
      const s = new TranslationSumScorer('ikrl-1d', 1, { basis: ['s', 'i'], terms: [['s', 's'], ['s', 'i'], ['i', 's'], ['i', 'i']], weight: 1 });
      const h = s.layout([tf.tensor2d([[1]]), tf.tensor2d([[10]])]);
      const t = s.layout([tf.tensor2d([[100]]), tf.tensor2d([[1000]])]);
      const r = tf.tensor2d([[0.5]]);
      expect(Array.from(s.queryTail(h, r).dataSync())).to.deep.equal([1.5, 1.5, 10.5, 10.5]);
      expect(Array.from(s.queryHead(r, t).dataSync())).to.deep.equal([99.5, 99.5, 999.5, 999.5]);
      const tb = new TranslationSumScorer('tbkge-1d', 1, { basis: ['s', 'm'], terms: [['s', 's'], ['m', 'm'], ['m', 's'], ['s', 'm'], ['s+m', 's+m']], weight: 1 });
      const h5 = tb.layout([tf.tensor2d([[1]]), tf.tensor2d([[10]])]);
      const t5 = tb.layout([tf.tensor2d([[100]]), tf.tensor2d([[1000]])]);
      expect(Array.from(h5.dataSync())).to.deep.equal([1, 10, 1, 10, 11]);
      expect(Array.from(tb.queryTail(h5, r).dataSync())).to.deep.equal([1.5, 10.5, 10.5, 1.5, 11.5]);
      expect(Array.from(tb.queryHead(r, t5).dataSync())).to.deep.equal([99.5, 999.5, 999.5, 99.5, 1099.5]);
    });
  });

  it('TranslationSumScorer.initEntities lays out random components; initRelations is unit-norm TransE', () => {
    const s = createMultimodalModel('tbkge', makeOptions(feats(), 1)).scorer as TranslationSumScorer;
    const rows = 3;
    const tab = new Float32Array((rows + 1) * s.entityWidth).fill(NaN);
    s.initEntities(tab, rows, new Rng(2));
    for (let i = 0; i < rows; i++) {
      const [a, b, c, d2, e] = [0, 1, 2, 3, 4].map((k) => row(tab, i * 5 + k, DIM));
      expectAllClose(c, a, 0, 0, 's copy');
      expectAllClose(d2, b, 0, 0, 'm copy');
      expectAllClose(e, add(a, b), 1e-6, 0, 's+m');
      expect(Math.hypot(...a)).to.be.closeTo(1, 1e-5);
    }
    expect(row(tab, rows, s.entityWidth).every(Number.isNaN)).to.equal(true);
    const rel = new Float32Array(5 * DIM);
    s.initRelations(rel, 5, new Rng(3));
    for (let i = 0; i < 5; i++) expect(Math.hypot(...row(rel, i, DIM))).to.be.closeTo(1, 1e-5);
  });
});
