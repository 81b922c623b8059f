import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { Rng } from '../../src/rng';
import { selectBackend } from '../../src/backend';
import { DenseOptimizer, ParamStore, constant, lossAndGrads, type ParamTensors } from '../../src/params';
import type { ArrayBundle } from '../../src/tensor_file';
import { applyRowRange } from '../../src/optim';
import {
  DEFAULT_IMML,
  ImmlPlugin,
  mdkeLoss,
  mixedCrossEntropy,
  ntXentPair,
  rollIndices,
  rollRows,
  softCrossEntropy,
  validateImml,
  type BetaDraw,
  type BetaMix,
  type ImmlOptions,
} from '../../imml';
import { scaledRows, weightedSum } from '../../src/tf_ops';

/*
 * Unit tests of the IMML plug-in (imml/losses.ts, imml/plugin.ts) and of the dense parameter
 * store (src/params.ts). Every expected value comes from an independent plain-JS, float64
 * implementation written from the paper's equations (Section IV, Eq. 2, 3, 6, 7), from closed
 * forms, or from central finite differences of the tfjs function; none reuses the code under test.
 */

// The package ships no type declarations; only Beta's CDF is used (for a KS test of Rng.beta).
const { jStat } = require('jstat') as { jStat: { beta: { cdf(x: number, a: number, b: number): number } } };

type Mat = number[][];

// ---------------------------------------------------------------- plain-JS float64 references

function randMat(rng: Rng, n: number, d: number, scale = 1): Mat {
  return Array.from({ length: n }, () => Array.from({ length: d }, () => rng.normal() * scale));
}

function dot(u: readonly number[], v: readonly number[]): number {
  let s = 0;
  for (let k = 0; k < u.length; k++) s += u[k] * v[k];
  return s;
}

function cosine(u: readonly number[], v: readonly number[]): number {
  return dot(u, v) / Math.sqrt(dot(u, u) * dot(v, v));
}

/**
 * L^{m,[m+1]_M} of Eq. 3, written term by term from the equation: numerator
 * exp(d(xi_i^m, xi_i^{m+1}) / tau), denominator sum over i' and m' in {m, [m+1]_M} of
 * exp(d(xi_i^m, xi_{i'}^{m'}) / tau) with the indicator [i != i' or m != m'].
 * Averaged over anchors i (the implementation's stated choice instead of the paper's sum).
 */
function refPairLoss(xs: Mat[], m: number, tau: number): number {
  const M = xs.length;
  const next = (m + 1) % M;
  const n = xs[m].length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const num = Math.exp(cosine(xs[m][i], xs[next][i]) / tau);
    let den = 0;
    for (const m2 of [m, next]) {
      for (let i2 = 0; i2 < n; i2++) {
        if (i2 !== i || m2 !== m) den += Math.exp(cosine(xs[m][i], xs[m2][i2]) / tau);
      }
    }
    total += -Math.log(num / den);
  }
  return total / n;
}

/** L_mdke of Eq. 2: sum over m of L^{m,[m+1]_M}. */
function refMdke(xs: Mat[], tau: number): number {
  let s = 0;
  for (let m = 0; m < xs.length; m++) s += refPairLoss(xs, m, tau);
  return s;
}

function logSumExp(z: readonly number[]): number {
  const mx = Math.max(...z);
  return mx + Math.log(z.reduce((s, v) => s + Math.exp(v - mx), 0));
}

/** Mean over rows of lambda (lse - z[yA]) + (1 - lambda) (lse - z[yB]). */
function refMixedCE(logits: Mat, yA: readonly number[], yB: readonly number[], lambda: readonly number[]): number {
  let s = 0;
  logits.forEach((z, i) => {
    const lse = logSumExp(z);
    s += lambda[i] * (lse - z[yA[i]]) + (1 - lambda[i]) * (lse - z[yB[i]]);
  });
  return s / logits.length;
}

function matMul(a: Mat, b: Mat): Mat {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
}

function addRow(a: Mat, b: readonly number[]): Mat {
  return a.map((row) => row.map((v, j) => v + b[j]));
}

function reshape(data: Float32Array, rows: number, cols: number): Mat {
  return Array.from({ length: rows }, (_, i) => Array.from(data.subarray(i * cols, (i + 1) * cols)));
}

function flat(m: Mat): Float32Array {
  return Float32Array.from(m.flat());
}

function relDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
}

// ---------------------------------------------------------------- tfjs helpers

function scalarOf(s: tf.Scalar): number {
  const v = s.dataSync()[0];
  s.dispose();
  return v;
}

/** A tensor owning a copy of `data` (on the cpu backend tf.tensor aliases a Float32Array). */
function tensorOf(data: Float32Array, shape: number[]): tf.Tensor {
  return tf.tensor(data.slice(), shape);
}

interface Var {
  data: Float32Array;
  shape: number[];
}

function varOf(m: Mat): Var {
  return { data: flat(m), shape: [m.length, m[0].length] };
}

/** Analytic gradients of f at `vars` by tf.grads. */
function tfGrads(vars: Var[], f: (...xs: tf.Tensor[]) => tf.Scalar): Float32Array[] {
  const xs = vars.map((v) => tensorOf(v.data, v.shape));
  const gs = tf.grads((...args: tf.Tensor[]) => f(...args))(xs);
  const out = gs.map((g) => Float32Array.from(g.dataSync()));
  tf.dispose([...xs, ...gs]);
  return out;
}

/**
 * Central finite differences of `evaluate` (which reads the arrays at call time) w.r.t. every
 * entry of `arrays`, perturbed in place by +-h (the float32-rounded step is used).
 */
function numericGrads(arrays: Float32Array[], evaluate: () => number, h: number): Float64Array[] {
  return arrays.map((a) => {
    const g = new Float64Array(a.length);
    for (let k = 0; k < a.length; k++) {
      const x = a[k];
      a[k] = x + h;
      const xp = a[k];
      const fp = evaluate();
      a[k] = x - h;
      const xm = a[k];
      const fm = evaluate();
      a[k] = x;
      g[k] = (fp - fm) / (xp - xm);
    }
    return g;
  });
}

/**
 * Analytic vs numeric gradient: per entry |a - n| <= rtol |n| + atol with atol = rtol * 0.1 *
 * max|n| (float32 noise on tiny entries), and relative L2 error <= rtol. Also requires a
 * non-trivial gradient, so the check cannot pass on all-zero gradients.
 */
function expectGradsClose(analytic: Float32Array[], numeric: Float64Array[], rtol: number, what: string): void {
  expect(analytic.length).to.equal(numeric.length);
  let maxAbs = 0;
  for (const n of numeric) for (const v of n) maxAbs = Math.max(maxAbs, Math.abs(v));
  expect(maxAbs, `${what}: gradient is trivially zero`).to.be.greaterThan(1e-3);
  const atol = rtol * 0.1 * maxAbs;
  let errSq = 0;
  let refSq = 0;
  analytic.forEach((a, j) => {
    expect(a.length, `${what}[${j}] length`).to.equal(numeric[j].length);
    for (let k = 0; k < a.length; k++) {
      const n = numeric[j][k];
      expect(Math.abs(a[k] - n), `${what}[${j}][${k}]: analytic ${a[k]} vs numeric ${n}`).to.be.at.most(rtol * Math.abs(n) + atol);
      errSq += (a[k] - n) ** 2;
      refSq += n * n;
    }
  });
  expect(Math.sqrt(errSq / refSq), `${what}: relative L2 error`).to.be.at.most(rtol);
}

/**
 * Largest FD step (at most `hMax`) for which perturbing any single entry of h^m, w^m, W1^m or b1^m
 * by +-h cannot change the sign of a pre-activation (h^m * w^m) W1^m + b1^m of the projection heads
 * (a ReLU kink inside the stencil would make the central difference meaningless). Computed in
 * float64 from the stored values: each pre-activation moves by at most h * (its largest
 * coefficient), with the coefficients |w W1| (input), |h W1| (w), |h w| (W1) and 1 (b1).
 */
function reluSafeStep(store: ParamStore, hs: Var[], dims: number[], hMax: number): number {
  let h = hMax;
  dims.forEach((Dm, m) => {
    const w = store.get(`imml.${m}.w`).data;
    const W1 = store.get(`imml.${m}.W1`).data;
    const b1 = store.get(`imml.${m}.b1`).data;
    const D = b1.length;
    const rows = hs[m].shape[0];
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < D; j++) {
        let pre = b1[j];
        let coef = 1;
        for (let k = 0; k < Dm; k++) {
          const x = hs[m].data[i * Dm + k];
          pre += x * w[k] * W1[k * D + j];
          coef = Math.max(coef, Math.abs(w[k] * W1[k * D + j]), Math.abs(x * W1[k * D + j]), Math.abs(x * w[k]));
        }
        // factor 2: margin for float32 rounding and the quadratic term of the w-W1 coupling
        h = Math.min(h, Math.abs(pre) / (2 * coef));
      }
    }
  });
  return h;
}

function immlOptions(over: Partial<ImmlOptions> = {}): ImmlOptions {
  return { ...DEFAULT_IMML, projectionDim: 3, ...over };
}

// ---------------------------------------------------------------- tests

describe('imml', () => {
  let previousBackend: string;

  before(async () => {
    previousBackend = tf.getBackend();
    await tf.setBackend('cpu');
    await tf.ready();
  });

  after(async () => {
    if (previousBackend && previousBackend !== tf.getBackend()) await tf.setBackend(previousBackend);
  });

  describe('ntXentPair / mdkeLoss (Eq. 2, 3)', () => {
    it('ntXentPair equals the plain-JS Eq. 3 (mean over anchors) on random 5x4 inputs', () => {
      const rng = new Rng(101);
      for (const tau of [0.1, 0.5, 2]) {
        const a = randMat(rng, 5, 4);
        const b = randMat(rng, 5, 4);
        const got = scalarOf(ntXentPair(tf.tensor2d(a), tf.tensor2d(b), tau));
        const want = refPairLoss([a, b], 0, tau);
        expect(relDiff(got, want), `tau ${tau}: ${got} vs ${want}`).to.be.below(1e-5);
        // the reverse direction is a different number (anchors in b)
        const rev = scalarOf(ntXentPair(tf.tensor2d(b), tf.tensor2d(a), tau));
        expect(relDiff(rev, refPairLoss([a, b], 1, tau))).to.be.below(1e-5);
        expect(Math.abs(rev - got)).to.be.greaterThan(1e-4);
      }
    });

    it('mdkeLoss equals the cyclic sum of Eq. 2 for M = 2 and M = 3', () => {
      const rng = new Rng(102);
      for (const M of [2, 3]) {
        for (const tau of [0.2, 0.5, 1]) {
          const xs = Array.from({ length: M }, () => randMat(rng, 5, 4));
          const got = scalarOf(mdkeLoss(xs.map((x) => tf.tensor2d(x)), tau));
          const want = refMdke(xs, tau);
          expect(relDiff(got, want), `M ${M} tau ${tau}: ${got} vs ${want}`).to.be.below(1e-5);
        }
      }
    });

    it('mdkeLoss with M = 3 uses the pairs (1,2), (2,3), (3,1) only', () => {
      const rng = new Rng(103);
      const xs = [randMat(rng, 5, 4), randMat(rng, 5, 4), randMat(rng, 5, 4)];
      const got = scalarOf(mdkeLoss(xs.map((x) => tf.tensor2d(x)), 0.5));
      // all six ordered pairs would give a different number
      const sixPairs = refMdke(xs, 0.5) + refMdke([xs[0], xs[2], xs[1]], 0.5);
      expect(Math.abs(got - sixPairs / 2)).to.be.greaterThan(1e-3);
      expect(scalarOf(mdkeLoss([tf.tensor2d(xs[0])], 0.5))).to.equal(0);
    });

    it('temperature: aligned pairs -> loss falls as tau falls; tau -> infinity -> log(2n - 1)', () => {
      const rng = new Rng(104);
      const n = 6;
      const a = randMat(rng, n, 4);
      const b = a.map((r) => r.map((v) => 3 * v)); // perfectly aligned positives (cosine 1)
      const losses = [0.05, 0.2, 1, 5].map((tau) => scalarOf(ntXentPair(tf.tensor2d(a), tf.tensor2d(b), tau)));
      for (let k = 1; k < losses.length; k++) expect(losses[k - 1]).to.be.lessThan(losses[k]);
      expect(relDiff(losses[0], refPairLoss([a, b], 0, 0.05))).to.be.below(1e-4);
      // every similarity / tau -> 0: each of the 2n - 1 terms of the denominator -> 1
      expect(scalarOf(ntXentPair(tf.tensor2d(a), tf.tensor2d(b), 1e5))).to.be.closeTo(Math.log(2 * n - 1), 1e-3);
      // for random features the value depends on tau and matches the reference at each
      const c = randMat(rng, n, 4);
      const l1 = scalarOf(ntXentPair(tf.tensor2d(a), tf.tensor2d(c), 0.1));
      const l2 = scalarOf(ntXentPair(tf.tensor2d(a), tf.tensor2d(c), 1));
      expect(Math.abs(l1 - l2)).to.be.greaterThan(0.1);
      expect(relDiff(l1, refPairLoss([a, c], 0, 0.1))).to.be.below(1e-5);
    });

    it('is unchanged by a joint permutation of the batch rows and changed by permuting one modality', () => {
      const rng = new Rng(105);
      const xs = [randMat(rng, 6, 4), randMat(rng, 6, 4), randMat(rng, 6, 4)];
      const perm = [3, 0, 5, 1, 4, 2];
      const base = scalarOf(mdkeLoss(xs.map((x) => tf.tensor2d(x)), 0.5));
      const joint = scalarOf(mdkeLoss(xs.map((x) => tf.tensor2d(perm.map((i) => x[i]))), 0.5));
      expect(relDiff(joint, base)).to.be.below(1e-5);
      const one = scalarOf(mdkeLoss(xs.map((x, m) => tf.tensor2d(m === 1 ? perm.map((i) => x[i]) : x)), 0.5));
      expect(Math.abs(one - base)).to.be.greaterThan(1e-2);
    });

    it('ntXentPair is invariant to positive per-row scaling (cosine), not to a sign flip', () => {
      const rng = new Rng(106);
      const a = randMat(rng, 5, 4);
      const b = randMat(rng, 5, 4);
      const base = scalarOf(ntXentPair(tf.tensor2d(a), tf.tensor2d(b), 0.5));
      const sa = a.map((r) => {
        const s = Math.exp(rng.normal() * 2);
        return r.map((v) => v * s);
      });
      const sb = b.map((r) => {
        const s = Math.exp(rng.normal() * 2);
        return r.map((v) => v * s);
      });
      expect(relDiff(scalarOf(ntXentPair(tf.tensor2d(sa), tf.tensor2d(sb), 0.5)), base)).to.be.below(1e-5);
      const flipped = b.map((r, i) => (i === 2 ? r.map((v) => -v) : r));
      expect(Math.abs(scalarOf(ntXentPair(tf.tensor2d(a), tf.tensor2d(flipped), 0.5)) - base)).to.be.greaterThan(1e-3);
    });
  });

  describe('gradients (central finite differences, float32)', () => {
    it('mdkeLoss w.r.t. every modality (M = 3)', () => {
      const rng = new Rng(201);
      const vars = [varOf(randMat(rng, 5, 4)), varOf(randMat(rng, 5, 4)), varOf(randMat(rng, 5, 4))];
      const f = (...xs: tf.Tensor[]): tf.Scalar => mdkeLoss(xs as tf.Tensor2D[], 0.5);
      const analytic = tfGrads(vars, f);
      const numeric = numericGrads(vars.map((v) => v.data), () => tf.tidy(() => f(...vars.map((v) => tensorOf(v.data, v.shape)))).dataSync()[0], 1e-2);
      expectGradsClose(analytic, numeric, 2e-2, 'mdke');
    });

    it('mixedCrossEntropy and softCrossEntropy w.r.t. the logits', () => {
      const rng = new Rng(202);
      const logits = varOf(randMat(rng, 6, 4, 2));
      const yA = Int32Array.of(0, 1, 2, 3, 1, 0);
      const yB = Int32Array.of(2, 1, 0, 0, 3, 3);
      const lambda = Float32Array.of(0.9, 0.5, 0.02, 1, 0, 0.3);
      const mixed = (z: tf.Tensor): tf.Scalar => mixedCrossEntropy(z as tf.Tensor2D, yA, yB, lambda);
      expectGradsClose(
        tfGrads([logits], mixed),
        numericGrads([logits.data], () => tf.tidy(() => mixed(tensorOf(logits.data, logits.shape))).dataSync()[0], 1e-2),
        2e-2,
        'mixedCE',
      );
      const targets = tf.tensor2d(randMat(rng, 6, 4).map((r) => {
        const e = r.map(Math.exp);
        const s = e.reduce((x, y) => x + y, 0);
        return e.map((v) => v / s);
      }));
      const soft = (z: tf.Tensor): tf.Scalar => softCrossEntropy(z as tf.Tensor2D, targets);
      const analytic = tfGrads([logits], soft);
      expectGradsClose(
        analytic,
        numericGrads([logits.data], () => tf.tidy(() => soft(tensorOf(logits.data, logits.shape))).dataSync()[0], 1e-2),
        2e-2,
        'softCE',
      );
      // closed form: (softmax(z) - t) / rows
      const z = reshape(logits.data, 6, 4);
      const t = targets.arraySync();
      z.forEach((row, i) => {
        const lse = logSumExp(row);
        row.forEach((v, j) => expect(analytic[0][i * 4 + j]).to.be.closeTo((Math.exp(v - lse) - t[i][j]) / 6, 1e-6));
      });
      targets.dispose();
    });

    it('a full ImmlPlugin.losses call (+ base loss) w.r.t. inputs and every parameter, via lossAndGrads', () => {
      const rng = new Rng(205);
      const dims = [4, 3, 2];
      const B = 5;
      const C = 3;
      const store = new ParamStore();
      const plugin = new ImmlPlugin(dims, immlOptions({ gamma1: 0.7, gamma2: 1.3, temperature: 0.5, partners: 2 }), store, rng.derive('plugin'));
      // Generic values for w and the biases (their inits are 1 and 0).
      for (const name of store.names()) {
        if (/\.(w|b1|b2)$/.test(name)) store.get(name).data.forEach((_, k, d) => (d[k] = (name.endsWith('.w') ? 1 : 0) + 0.3 * rng.normal()));
      }
      const hostDim = dims.reduce((a, b) => a + b, 0);
      store.add('host.W', [hostDim, C], (d) => d.forEach((_, k) => (d[k] = 0.5 * rng.normal())));
      store.add('host.b', [C], (d) => d.forEach((_, k) => (d[k] = 0.1 * rng.normal())));
      const labels = Int32Array.of(0, 1, 2, 1, 0);
      const hs = dims.map((d) => varOf(randMat(rng, B, d)));
      const draw = plugin.drawBeta(B);
      expect(draw.blocks.map((b) => b.shift)).to.deep.equal([1, 2]);
      const host = (features: tf.Tensor2D[], p: ParamTensors): tf.Tensor2D =>
        tf.add(tf.matMul(tf.concat(features, 1), p['host.W'] as tf.Tensor2D), p['host.b']) as tf.Tensor2D;
      const gather = (ids: Int32Array): Int32Array => Int32Array.from(ids, (i) => labels[i]);
      // L_imml of Eq. 7: base loss L (host CE on the weighted, unmixed batch) + gamma1 L_mdke + gamma2 L_beta.
      const lossFn = (ins: tf.Tensor[], p: ParamTensors): tf.Scalar => {
        const weighted = plugin.weigh(ins as tf.Tensor2D[], p);
        const { total } = plugin.losses(weighted, p, draw, (mix: BetaMix) =>
          mixedCrossEntropy(host(mix.features, p), gather(mix.anchors), gather(mix.partners), mix.lambda),
        );
        const base = mixedCrossEntropy(host(weighted, p), labels, labels, new Float32Array(B).fill(1));
        return tf.add(base, total) as tf.Scalar;
      };
      const inputs = hs.map((h) => tensorOf(h.data, h.shape));
      const { loss, inputGrads, paramGrads } = lossAndGrads(store, inputs, lossFn);
      tf.dispose(inputs);
      const evaluate = (): number =>
        tf.tidy(() => {
          const p = store.tensors();
          return lossFn(hs.map((h) => tensorOf(h.data, h.shape)), p);
        }).dataSync()[0];
      expect(loss).to.be.closeTo(evaluate(), 1e-5);
      // Finite differences are only valid away from the ReLU kinks of the projection heads: the
      // step h is chosen so that no single perturbation can move a pre-activation across 0.
      const step = reluSafeStep(store, hs, dims, 5e-3);
      expect(step, 'pre-activations too close to 0 for a float32 FD check; change the seed').to.be.at.least(1e-3);
      const names = store.names();
      const numeric = numericGrads([...hs.map((h) => h.data), ...names.map((n) => store.get(n).data)], evaluate, step);
      expectGradsClose([...inputGrads, ...names.map((n) => paramGrads[n])], numeric, 2e-2, 'imml');
      // every parameter of the plug-in and the host receives a gradient
      for (const n of names) expect(paramGrads[n].some((g) => g !== 0), n).to.equal(true);
    });
  });

  describe('mixedCrossEntropy / softCrossEntropy values', () => {
    it('lambda = 1 is the ordinary cross-entropy, for any second label', () => {
      const rng = new Rng(301);
      const z = randMat(rng, 7, 5, 2);
      const y = Int32Array.of(0, 4, 2, 2, 1, 3, 0);
      const other = Int32Array.of(1, 1, 1, 1, 1, 1, 1);
      const got = scalarOf(mixedCrossEntropy(tf.tensor2d(z), y, other, new Float32Array(7).fill(1)));
      const plain = z.reduce((s, row, i) => s + logSumExp(row) - row[y[i]], 0) / 7;
      expect(relDiff(got, plain)).to.be.below(1e-6);
      const tfCE = scalarOf(tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(y, 'int32'), 5), tf.tensor2d(z)) as tf.Scalar);
      expect(relDiff(got, tfCE)).to.be.below(1e-5);
      // lambda = 0 is the cross-entropy of the second label
      const zero = scalarOf(mixedCrossEntropy(tf.tensor2d(z), y, other, new Float32Array(7)));
      expect(relDiff(zero, refMixedCE(z, [...other], [...other], new Array(7).fill(1)))).to.be.below(1e-6);
    });

    it('general lambdas match the plain-JS soft-target CE', () => {
      const rng = new Rng(302);
      const z = randMat(rng, 6, 4, 2);
      const yA = [3, 0, 1, 2, 2, 0];
      const yB = [1, 0, 3, 3, 2, 1];
      const lambda = [0.1, 0.7, 0.5, 0.99, 0.3, 0.01];
      const got = scalarOf(mixedCrossEntropy(tf.tensor2d(z), Int32Array.from(yA), Int32Array.from(yB), Float32Array.from(lambda)));
      expect(relDiff(got, refMixedCE(z, yA, yB, lambda))).to.be.below(1e-5);
    });
  });

  describe('Rng.beta (lambda ~ Beta(alpha, beta))', () => {
    /** E[X^k] of Beta(a, b) = prod_{r<k} (a + r) / (a + b + r). */
    const raw = (a: number, b: number, k: number): number => {
      let p = 1;
      for (let r = 0; r < k; r++) p *= (a + r) / (a + b + r);
      return p;
    };

    for (const [a, b] of [[0.1, 0.1], [2, 5]]) {
      it(`Beta(${a}, ${b}): mean, variance within 5 standard errors, KS distance, range`, () => {
        const n = 200000;
        const rng = new Rng(400 + a * 10);
        const xs = new Float64Array(n);
        for (let i = 0; i < n; i++) xs[i] = rng.beta(a, b);
        for (const x of xs) expect(x >= 0 && x <= 1, `draw ${x}`).to.equal(true);
        const mu = a / (a + b);
        // variance a b / ((a + b)^2 (a + b + 1)): 0.2083 for Beta(0.1, 0.1), 10/392 = 0.02551 for Beta(2, 5)
        const variance = (a * b) / ((a + b) ** 2 * (a + b + 1));
        expect(variance).to.be.closeTo(raw(a, b, 2) - mu * mu, 1e-12);
        const mu4 = raw(a, b, 4) - 4 * mu * raw(a, b, 3) + 6 * mu * mu * raw(a, b, 2) - 3 * mu ** 4;
        let s = 0;
        for (const x of xs) s += x;
        const m = s / n;
        let ss = 0;
        for (const x of xs) ss += (x - m) ** 2;
        const v = ss / (n - 1);
        expect(Math.abs(m - mu), `mean ${m} vs ${mu}`).to.be.below(5 * Math.sqrt(variance / n));
        expect(Math.abs(v - variance), `variance ${v} vs ${variance}`).to.be.below(5 * Math.sqrt((mu4 - variance ** 2) / n));
        // Kolmogorov-Smirnov distance to jStat's Beta CDF; 1.95 / sqrt(n) is the 0.1% critical value.
        // The sup is taken over x < 1 - 1e-6 only (a sup over a subset, so the critical value stays
        // valid): Beta(0.1, 0.1) puts ~1.3% of its mass within 1e-16 of 1, where X/(X+Y) rounds to
        // exactly 1 in float64, a tie the continuous KS statistic cannot handle.
        const sorted = Float64Array.from(xs).sort();
        let ks = 0;
        for (let i = 0; i < n && sorted[i] < 1 - 1e-6; i++) {
          const F = jStat.beta.cdf(sorted[i], a, b);
          ks = Math.max(ks, Math.abs(F - i / n), Math.abs((i + 1) / n - F));
        }
        expect(ks).to.be.below(1.95 / Math.sqrt(n));
      });
    }

    it('Beta(0.1, 0.1) is U-shaped: most mass near 0 and 1', () => {
      const rng = new Rng(410);
      let extreme = 0;
      for (let i = 0; i < 20000; i++) {
        const x = rng.beta(0.1, 0.1);
        if (x < 0.05 || x > 0.95) extreme++;
      }
      // P(X < 0.05) + P(X > 0.95) = 2 I_0.05(0.1, 0.1)
      const want = 2 * jStat.beta.cdf(0.05, 0.1, 0.1);
      expect(extreme / 20000).to.be.closeTo(want, 0.02);
      expect(want).to.be.greaterThan(0.6);
    });
  });

  describe('rollRows / rollIndices', () => {
    const B = 5;
    const expected = (n: number): number[] => Array.from({ length: B }, (_, i) => (((i + n) % B) + B) % B);

    it('rollRows: row i of the result is row (i + n) mod B', () => {
      const x = tf.tensor2d(Array.from({ length: B }, (_, i) => [i, 10 * i]));
      for (const n of [0, 1, 2, 4, 5, 7, -1, -6]) {
        const r = rollRows(x, n).arraySync() as number[][];
        expect(r.map((row) => row[0]), `n = ${n}`).to.deep.equal(expected(n));
        expect(r.map((row) => row[1])).to.deep.equal(expected(n).map((v) => 10 * v));
      }
      expect(rollRows(tf.tensor1d([7, 8, 9]), 1).arraySync()).to.deep.equal([8, 9, 7]);
    });

    it('rollIndices agrees with rollRows, negative shifts included', () => {
      const ids = Int32Array.of(40, 41, 42, 43, 44);
      for (const n of [0, 1, 2, 4, 5, 7, -1, -6]) {
        expect(Array.from(rollIndices(ids, n)), `n = ${n}`).to.deep.equal(expected(n).map((v) => 40 + v));
      }
    });
  });

  describe('ImmlPlugin', () => {
    it('registers w^m (init 1) and the projection heads P^m with the expected shapes', () => {
      const store = new ParamStore();
      new ImmlPlugin([4, 3], immlOptions({ projectionDim: 5 }), store, new Rng(1));
      const shapes = Object.fromEntries(store.names().map((n) => [n, store.get(n).shape]));
      expect(shapes).to.deep.equal({
        'imml.0.w': [4], 'imml.0.W1': [4, 5], 'imml.0.b1': [5], 'imml.0.W2': [5, 5], 'imml.0.b2': [5],
        'imml.1.w': [3], 'imml.1.W1': [3, 5], 'imml.1.b1': [5], 'imml.1.W2': [5, 5], 'imml.1.b2': [5],
      });
      expect(Array.from(store.get('imml.1.w').data)).to.deep.equal([1, 1, 1]);
      // Glorot uniform bound sqrt(6 / (4 + 5))
      const W1 = store.get('imml.0.W1').data;
      expect(Math.max(...W1.map(Math.abs))).to.be.at.most(Math.sqrt(6 / 9));
      expect(new Set(W1).size).to.equal(W1.length);
      // no projection heads without L_mdke or with one modality
      const s2 = new ParamStore();
      new ImmlPlugin([4, 3], immlOptions({ useMdke: false }), s2, new Rng(1));
      expect(s2.names()).to.deep.equal(['imml.0.w', 'imml.1.w']);
      const s3 = new ParamStore();
      new ImmlPlugin([4], immlOptions(), s3, new Rng(1), 'solo');
      expect(s3.names()).to.deep.equal(['solo.0.w']);
      expect(() => new ImmlPlugin([], immlOptions(), new ParamStore(), new Rng(1))).to.throw(/at least one modality/);
      expect(() => new ImmlPlugin([2], immlOptions({ partners: 1.5 }), new ParamStore(), new Rng(1))).to.throw(/partners/);
      expect(() => validateImml(immlOptions({ betaFraction: 0 }))).to.throw(/betaFraction/);
      expect(() => validateImml(immlOptions({ temperature: 0 }))).to.throw(/temperature/);
    });

    it('weigh(): identity at init, h * w^m elementwise after, checks modality count and width', () => {
      const rng = new Rng(501);
      const store = new ParamStore();
      const plugin = new ImmlPlugin([3, 2], immlOptions(), store, rng);
      const h = [randMat(rng, 4, 3), randMat(rng, 4, 2)];
      const p0 = store.tensors();
      const same = plugin.weigh(h.map((x) => tf.tensor2d(x)), p0).map((t) => t.arraySync());
      same.forEach((m, k) => m.forEach((row, i) => row.forEach((v, j) => expect(v).to.be.closeTo(h[k][i][j], 1e-6))));
      store.get('imml.0.w').data.set([2, -0.5, 0]);
      store.get('imml.1.w').data.set([0.25, 3]);
      const p1 = store.tensors();
      const w = [[2, -0.5, 0], [0.25, 3]];
      const out = plugin.weigh(h.map((x) => tf.tensor2d(x)), p1).map((t) => t.arraySync());
      out.forEach((m, k) => m.forEach((row, i) => row.forEach((v, j) => expect(v).to.be.closeTo(h[k][i][j] * w[k][j], 1e-6))));
      expect(() => plugin.weigh([tf.tensor2d(h[0])], p1)).to.throw(/expected 2 modalities/);
      expect(() => plugin.weigh([tf.tensor2d(h[0]), tf.tensor2d(h[0])], p1)).to.throw(/modality 1 has width 3, expected 2/);
      tf.dispose([...Object.values(p0), ...Object.values(p1)]);
    });

    it('drawBeta with betaFraction 1: N blocks of B rows, partners (i + n) mod B, lambdas in [0, 1]', () => {
      const plugin = new ImmlPlugin([2, 2], immlOptions({ partners: 2 }), new ParamStore(), new Rng(7));
      const draw = plugin.drawBeta(5);
      expect(draw.batchSize).to.equal(5);
      expect(draw.blocks.map((b) => [b.shift, b.rows, b.lambda.length])).to.deep.equal([[1, 5, 5], [2, 5, 5]]);
      for (const b of draw.blocks) for (const l of b.lambda) expect(l >= 0 && l <= 1).to.equal(true);
      const three = new ImmlPlugin([2, 2], immlOptions({ partners: 3 }), new ParamStore(), new Rng(7));
      expect(three.drawBeta(8).blocks.map((b) => b.shift)).to.deep.equal([1, 2, 3]);
      // shifts are capped at B - 1 (a sample is never its own partner); B = 1 gives no block
      expect(plugin.drawBeta(2).blocks.map((b) => b.shift)).to.deep.equal([1]);
      expect(plugin.drawBeta(1).blocks).to.deep.equal([]);
    });

    it('drawBeta with betaFraction < 1: one block of ceil(f B) rows, shift drawn in 1..N', () => {
      const plugin = new ImmlPlugin([2, 2], immlOptions({ partners: 3, betaFraction: 0.3 }), new ParamStore(), new Rng(8));
      const shifts = new Set<number>();
      for (let k = 0; k < 60; k++) {
        const draw = plugin.drawBeta(10);
        expect(draw.blocks.length).to.equal(1);
        expect(draw.blocks[0].rows).to.equal(3);
        expect(draw.blocks[0].lambda.length).to.equal(3);
        shifts.add(draw.blocks[0].shift);
      }
      expect([...shifts].sort()).to.deep.equal([1, 2, 3]);
      const tiny = new ImmlPlugin([2, 2], immlOptions({ betaFraction: 0.01 }), new ParamStore(), new Rng(8));
      expect(tiny.drawBeta(10).blocks[0].rows).to.equal(1);
    });

    for (const M of [2, 3]) {
      it(`mix() (M = ${M}): lambda h^p_i and (1 - lambda)/(M - 1) h^a_{i'} with i' = (i + n) mod B`, () => {
        const rng = new Rng(600 + M);
        const dims = [3, 2, 4].slice(0, M);
        const B = 5;
        const plugin = new ImmlPlugin(dims, immlOptions({ partners: 2 }), new ParamStore(), rng);
        const h = dims.map((d) => randMat(rng, B, d));
        const draw: BetaDraw = {
          batchSize: B,
          blocks: [
            { shift: 1, rows: 5, lambda: Float32Array.of(0.1, 0.9, 0.5, 0, 1) },
            { shift: 2, rows: 3, lambda: Float32Array.of(0.25, 0.75, 0.6) },
          ],
        };
        const mix = plugin.mix(h.map((x) => tf.tensor2d(x)), draw);
        const anchors = [0, 1, 2, 3, 4, 0, 1, 2];
        const partners = [1, 2, 3, 4, 0, 2, 3, 4];
        const lambda = [0.1, 0.9, 0.5, 0, 1, 0.25, 0.75, 0.6];
        expect(Array.from(mix.anchors)).to.deep.equal(anchors);
        expect(Array.from(mix.partners)).to.deep.equal(partners);
        expect(Array.from(mix.lambda)).to.deep.equal(Array.from(Float32Array.from(lambda)));
        expect(mix.features.length).to.equal(M);
        mix.features.forEach((f, m) => {
          const got = f.arraySync();
          expect(got.length).to.equal(8);
          got.forEach((row, k) => {
            const want = m === 0 ? h[0][anchors[k]].map((v) => lambda[k] * v) : h[m][partners[k]].map((v) => ((1 - lambda[k]) / (M - 1)) * v);
            row.forEach((v, j) => expect(v, `modality ${m} row ${k}`).to.be.closeTo(want[j], 1e-6));
          });
        });
      });
    }

    it('mix() gives bit-identical features and (up to summation order) input gradients to the tfjs slice/roll/multiply/concat chain (cpu and wasm)', async () => {
      // the chain mix() replaced, written out with tfjs ops (its values are what main computed)
      const chain = (weighted: tf.Tensor2D[], draw: BetaDraw): tf.Tensor2D[] => {
        const M = weighted.length;
        const per: tf.Tensor2D[][] = weighted.map(() => []);
        for (const { shift, rows, lambda } of draw.blocks) {
          const lam = tf.tensor2d(lambda, [rows, 1]);
          const aux = tf.div(tf.sub(1, lam), M - 1);
          per[0].push(tf.mul(lam, tf.slice(weighted[0], 0, rows)) as tf.Tensor2D);
          for (let m = 1; m < M; m++) per[m].push(tf.mul(aux, tf.slice(rollRows(weighted[m], shift), 0, rows)) as tf.Tensor2D);
        }
        return per.map((parts) => (parts.length === 1 ? parts[0] : (tf.concat(parts, 0) as tf.Tensor2D)));
      };
      for (const [backend, M, partners, betaFraction] of [['cpu', 2, 2, 1], ['cpu', 3, 3, 1], ['cpu', 2, 3, 0.5], ['wasm', 2, 2, 1], ['wasm', 3, 3, 1]] as const) {
        if (backend === 'wasm') await selectBackend('wasm');
        const rng = new Rng(640 + M + partners);
        const dims = [7, 5, 6].slice(0, M);
        const B = 9;
        const plugin = new ImmlPlugin(dims, immlOptions({ partners, betaFraction }), new ParamStore(), rng);
        const draw = plugin.drawBeta(B);
        const hs = dims.map((d) => tf.tensor2d(randMat(rng, B, d)));
        const dys = chain(hs, draw).map((f) => tf.tensor2d(randMat(rng, f.shape[0], f.shape[1])));
        // a loss that is linear in the features with random weights: its input gradient is the op's backward
        const lossOf = (features: tf.Tensor2D[]) => tf.addN(features.map((f, m) => tf.sum(tf.mul(f, dys[m])))) as tf.Scalar;
        const run = (f: (w: tf.Tensor2D[]) => tf.Tensor2D[]) => {
          const { value, grads } = tf.valueAndGrads((...w: tf.Tensor[]) => lossOf(f(w as tf.Tensor2D[])))(hs);
          return { features: f(hs).map((t) => Array.from(t.dataSync())), grads: grads.map((g) => Array.from(g.dataSync())), value: value.dataSync()[0] };
        };
        const want = run((w) => chain(w, draw));
        const got = run((w) => plugin.mix(w, draw).features);
        expect(got.features, `${backend} M ${M} N ${partners} features`).to.deep.equal(want.features);
        // a row used by several blocks sums its gradient terms in block order (the chain: reverse
        // order); with two terms per row the sums are the same floats, with more within rounding
        if (partners <= 2) expect(got.grads, `${backend} M ${M} N ${partners} gradients`).to.deep.equal(want.grads);
        else got.grads.forEach((g, m) => g.forEach((v, i) => expect(v, `${backend} M ${M} N ${partners} gradient ${m}[${i}]`).to.be.closeTo(want.grads[m][i], 1e-6 * (1 + Math.abs(want.grads[m][i])))));
      }
      await tf.setBackend('cpu');
    });

    for (const [keepInput, backend] of [[false, 'cpu'], [true, 'cpu'], [false, 'wasm'], [true, 'wasm']] as const) {
      it(`scaledRows${keepInput ? ' with the input rows kept' : ''}, ${backend}: the device-backend form (gather, multiply${keepInput ? ', concat' : ''}) gives the host form's values and gradients`, async () => {
        // on wasm the host form reads its input and upstream gradient as views of the wasm heap; the
        // device form runs on cpu (wasm has no kernel for tf.gather's gradient)
        const rng = new Rng(77);
        const xValues = randMat(rng, 6, 3);
        const source = Int32Array.of(0, 5, 2, 2, 1, 4, 0, 3);
        const scale = Float32Array.from({ length: 8 }, () => rng.next());
        const first = keepInput ? 6 : 0;
        const dyValues = randMat(rng, first + 8, 3);
        const run = async (onHost: boolean) => {
          if (onHost && backend === 'wasm') await selectBackend('wasm');
          else await tf.setBackend('cpu');
          const [x, dy] = [tf.tensor2d(xValues), tf.tensor2d(dyValues)];
          const { value, grads } = tf.valueAndGrads((t: tf.Tensor) => tf.sum(tf.mul(scaledRows(t as tf.Tensor2D, source, scale, keepInput, onHost), dy)))([x]);
          return { out: Array.from(scaledRows(x, source, scale, keepInput, onHost).dataSync()), grad: Array.from(grads[0].dataSync()), value: value.dataSync()[0] };
        };
        const host = await run(true);
        const device = await run(false);
        const x = tf.tensor2d(xValues);
        const dy = tf.tensor2d(dyValues);
        expect(device.out).to.deep.equal(host.out);
        device.grad.forEach((g, i) => expect(g).to.be.closeTo(host.grad[i], 1e-6));
        const xs = x.dataSync();
        for (let i = 0; i < first * 3; i++) expect(host.out[i]).to.equal(xs[i]);
        for (let r = 0; r < 8; r++) for (let k = 0; k < 3; k++) expect(host.out[(first + r) * 3 + k]).to.equal(Math.fround(scale[r] * xs[source[r] * 3 + k]));
        // dx_i = dy_i (kept rows) + sum of scale_r dy_r over the rows r taken from i
        const d = dy.dataSync();
        for (let i = 0; i < 6; i++) {
          for (let k = 0; k < 3; k++) {
            let want = keepInput ? d[i * 3 + k] : 0;
            for (let r = 0; r < 8; r++) if (source[r] === i) want += scale[r] * d[(first + r) * 3 + k];
            expect(host.grad[i * 3 + k], `dx[${i}][${k}]`).to.be.closeTo(want, 1e-6);
          }
        }
        await tf.setBackend('cpu');
      });
    }

    it('mixedCrossEntropy: the host op gives the tfjs expression\'s value and gradients, at any upstream gradient', () => {
      const rng = new Rng(78);
      const z = tf.tensor2d(randMat(rng, 9, 3, 2));
      const yA = Int32Array.of(0, 1, 2, 2, 0, 1, 1, 2, 0);
      const yB = Int32Array.of(1, 1, 0, 2, 2, 0, 1, 0, 0); // rows 1, 3, 6 and 8 have yA = yB
      const lambda = Float32Array.of(0.3, 0.9, 0.01, 0.5, 1, 0, 0.77, 0.2, 0.6);
      const run = (onHost: boolean) => {
        const { value, grads } = tf.valueAndGrads((t: tf.Tensor) => tf.mul(-2.5, mixedCrossEntropy(t as tf.Tensor2D, yA, yB, lambda, onHost)))([z]);
        return { value: value.dataSync()[0], grad: Array.from(grads[0].dataSync()) };
      };
      const host = run(true);
      const device = run(false);
      expect(host.value).to.be.closeTo(device.value, 1e-6 * Math.abs(device.value));
      host.grad.forEach((g, i) => expect(g, `dz[${i}]`).to.be.closeTo(device.grad[i], 1e-6));
      expect(() => mixedCrossEntropy(z, yA, Int32Array.of(0, 0, 0, 0, 0, 0, 0, 0, 3), lambda)).to.throw(/label 3 outside 0..2/);
      expect(() => mixedCrossEntropy(z, yA, yB, lambda.subarray(1))).to.throw(/9 logit rows but 9 \/ 9 labels and 8 lambdas/);
    });

    it('weightedSum: the host op gives tf.addN\'s value and gradients', () => {
      const terms = [tf.scalar(0.7), tf.scalar(-1.3), tf.scalar(2.5)];
      const weights = [1, 0.1, 0];
      const sum = (onHost: boolean) => {
        const { value, grads } = tf.valueAndGrads((...ts: tf.Tensor[]) => tf.mul(3, weightedSum(ts as tf.Scalar[], weights, onHost)))(terms);
        return { value: value.dataSync()[0], grads: grads.map((g) => g.dataSync()[0]) };
      };
      expect(sum(true)).to.deep.equal(sum(false));
      expect(sum(true).grads).to.deep.equal([3, Math.fround(3 * Math.fround(0.1)), 0]);
      expect(() => weightedSum(terms, [1, 2])).to.throw(/3 terms but 2 weights/);
    });

    it('scaledRows refuses a source row outside the input and a scale per row missing', () => {
      const x = tf.zeros([3, 2]) as tf.Tensor2D;
      expect(() => scaledRows(x, Int32Array.of(0, 3), Float32Array.of(1, 1))).to.throw(/source row 3 outside 0..2/);
      expect(() => scaledRows(x, Int32Array.of(0, 1), Float32Array.of(1))).to.throw(/2 source rows but 1 scales/);
    });

    it('losses(): values match plain-JS Eq. 2/3 on the projections and Eq. 6 on the host, total = g1 L_mdke + g2 L_beta', () => {
      const rng = new Rng(701);
      const dims = [4, 3];
      const B = 6;
      const C = 3;
      const D = 3;
      const store = new ParamStore();
      const opts = immlOptions({ gamma1: 0.01, gamma2: 10, temperature: 0.3, projectionDim: D });
      const plugin = new ImmlPlugin(dims, opts, store, rng.derive('p'));
      store.get('imml.0.b1').data.set([0.1, -0.2, 0.3]);
      store.get('imml.1.b2').data.set([-0.1, 0.2, 0.05]);
      const Wh = randMat(rng, 7, C);
      const hs = dims.map((d) => randMat(rng, B, d));
      const labels = [0, 2, 1, 1, 0, 2];
      const draw = plugin.drawBeta(B);
      const p = store.tensors();
      const out = plugin.losses(hs.map((h) => tf.tensor2d(h)), p, draw, (mix) =>
        mixedCrossEntropy(
          tf.matMul(tf.concat(mix.features, 1), tf.tensor2d(Wh)),
          Int32Array.from(mix.anchors, (i) => labels[i]),
          Int32Array.from(mix.partners, (i) => labels[i]),
          mix.lambda,
        ),
      );
      const mdke = scalarOf(out.mdke);
      const beta = scalarOf(out.beta);
      const total = scalarOf(out.total);
      // reference projections xi^m = relu(h W1 + b1) W2 + b2 (w^m = 1 here)
      const P = (m: number): Mat => {
        const g = (n: string): Float32Array => store.get(`imml.${m}.${n}`).data;
        const hidden = addRow(matMul(hs[m], reshape(g('W1'), dims[m], D)), Array.from(g('b1'))).map((r) => r.map((v) => Math.max(0, v)));
        return addRow(matMul(hidden, reshape(g('W2'), D, D)), Array.from(g('b2')));
      };
      expect(relDiff(mdke, refMdke([P(0), P(1)], 0.3))).to.be.below(1e-5);
      // reference L_beta: every (i, n) pair of the draw, mixed features concatenated, soft targets
      const rows: Mat = [];
      const yA: number[] = [];
      const yB: number[] = [];
      const lam: number[] = [];
      for (const blk of draw.blocks) {
        for (let i = 0; i < blk.rows; i++) {
          const j = (i + blk.shift) % B;
          const l = blk.lambda[i];
          rows.push([...hs[0][i].map((v) => l * v), ...hs[1][j].map((v) => (1 - l) * v)]);
          yA.push(labels[i]);
          yB.push(labels[j]);
          lam.push(l);
        }
      }
      expect(rows.length).to.equal(2 * B);
      expect(relDiff(beta, refMixedCE(matMul(rows, Wh), yA, yB, lam))).to.be.below(1e-5);
      expect(relDiff(total, 0.01 * mdke + 10 * beta)).to.be.below(1e-6);
      expect(mdke).to.be.greaterThan(0);
      expect(beta).to.be.greaterThan(0);
      tf.dispose(Object.values(p));
    });

    it('ablation switches: useMdke = false / useBeta = false give zero terms', () => {
      const rng = new Rng(702);
      const hs = [randMat(rng, 4, 3), randMat(rng, 4, 2)];
      const run = (over: Partial<ImmlOptions>): { mdke: number; beta: number; total: number; called: boolean } => {
        const store = new ParamStore();
        const plugin = new ImmlPlugin([3, 2], immlOptions({ gamma1: 1, gamma2: 1, ...over }), store, new Rng(3));
        let called = false;
        const p = store.tensors();
        const out = plugin.losses(hs.map((h) => tf.tensor2d(h)), p, plugin.drawBeta(4), (mix) => {
          called = true;
          return tf.sum(tf.square(tf.concat(mix.features, 1))) as tf.Scalar;
        });
        const r = { mdke: scalarOf(out.mdke), beta: scalarOf(out.beta), total: scalarOf(out.total), called };
        tf.dispose(Object.values(p));
        return r;
      };
      const both = run({});
      expect(both.mdke).to.be.greaterThan(0);
      expect(both.beta).to.be.greaterThan(0);
      expect(both.called).to.equal(true);
      expect(both.total).to.be.closeTo(both.mdke + both.beta, 1e-5);
      const noMdke = run({ useMdke: false });
      expect(noMdke.mdke).to.equal(0);
      expect(noMdke.beta).to.be.closeTo(both.beta, 1e-6);
      expect(noMdke.total).to.be.closeTo(noMdke.beta, 1e-6);
      const noBeta = run({ useBeta: false });
      expect(noBeta.beta).to.equal(0);
      expect(noBeta.called).to.equal(false);
      expect(noBeta.mdke).to.be.closeTo(both.mdke, 1e-6);
      const none = run({ useMdke: false, useBeta: false });
      expect([none.mdke, none.beta, none.total]).to.deep.equal([0, 0, 0]);
      // gamma = 0 zeroes the total but not the terms
      const zeroG = run({ gamma1: 0, gamma2: 0 });
      expect(zeroG.total).to.equal(0);
      expect(zeroG.mdke).to.be.greaterThan(0);
    });

    it('same seed -> identical parameters and draws; another seed -> different', () => {
      const make = (seed: number): { store: ParamStore; plugin: ImmlPlugin } => {
        const store = new ParamStore();
        const plugin = new ImmlPlugin([3, 2], immlOptions({ betaFraction: 0.5, partners: 2 }), store, new Rng(seed));
        return { store, plugin };
      };
      const a = make(11);
      const b = make(11);
      const c = make(12);
      for (const n of a.store.names()) expect(Array.from(b.store.get(n).data), n).to.deep.equal(Array.from(a.store.get(n).data));
      expect(Array.from(c.store.get('imml.0.W1').data)).to.not.deep.equal(Array.from(a.store.get('imml.0.W1').data));
      const seq = (p: ImmlPlugin): unknown[] => Array.from({ length: 5 }, () => p.drawBeta(8).blocks.map((x) => [x.shift, x.rows, Array.from(x.lambda)]));
      const sa = seq(a.plugin);
      expect(seq(b.plugin)).to.deep.equal(sa);
      expect(seq(c.plugin)).to.not.deep.equal(sa);
    });
  });

  describe('ParamStore / lossAndGrads / DenseOptimizer', () => {
    function quadraticStore(): { store: ParamStore; T: Float32Array } {
      const store = new ParamStore();
      store.add('A', [2, 3], (d) => d.set([1, -2, 0.5, 3, 0, -1]));
      store.add('b', [3], constant(0.5));
      store.add('unused', [4], constant(7));
      return { store, T: Float32Array.of(0.5, 0.5, 0.5, -1, 2, 1) };
    }
    /** L = 0.5 ||A - T||^2 + sum(b * c) + sum(x^2), c = [1, 2, 3]. */
    const quadratic = (T: Float32Array) => (ins: tf.Tensor[], p: ParamTensors): tf.Scalar =>
      tf.addN([
        tf.mul(0.5, tf.sum(tf.square(tf.sub(p['A'], tf.tensor(T, [2, 3]))))),
        tf.sum(tf.mul(p['b'], tf.tensor1d([1, 2, 3]))),
        tf.sum(tf.square(ins[0])),
      ]) as tf.Scalar;

    it('store basics: shapes, init, size, duplicates and unknown names', () => {
      const { store } = quadraticStore();
      expect(store.names()).to.deep.equal(['A', 'b', 'unused']);
      expect(store.size()).to.equal(13);
      expect(store.has('b')).to.equal(true);
      expect(Array.from(store.get('b').data)).to.deep.equal([0.5, 0.5, 0.5]);
      expect(Array.from(store.add('z', [2]).data)).to.deep.equal([0, 0]);
      expect(() => store.add('A', [1])).to.throw(/registered twice/);
      expect(() => store.get('nope')).to.throw(/unknown parameter 'nope'/);
      const ts = store.tensors();
      expect(ts['A'].shape).to.deep.equal([2, 3]);
      tf.dispose(Object.values(ts));
    });

    it('lossAndGrads: value and gradients of a quadratic; unused parameters get zero gradients', () => {
      const { store, T } = quadraticStore();
      const x = tf.tensor1d([1, -3]);
      const before = tf.memory().numTensors;
      const { loss, inputGrads, paramGrads } = lossAndGrads(store, [x], quadratic(T));
      expect(tf.memory().numTensors).to.equal(before);
      const A = store.get('A').data;
      let want = 0;
      for (let k = 0; k < 6; k++) want += 0.5 * (A[k] - T[k]) ** 2;
      want += 0.5 * (1 + 2 + 3) + (1 + 9);
      expect(loss).to.be.closeTo(want, 1e-5);
      expect(Array.from(paramGrads['A'])).to.deep.equal(Array.from(A, (v, k) => Math.fround(v - T[k])));
      expect(Array.from(paramGrads['b'])).to.deep.equal([1, 2, 3]);
      expect(Array.from(paramGrads['unused'])).to.deep.equal([0, 0, 0, 0]);
      expect(Array.from(inputGrads[0])).to.deep.equal([2, -6]);
      // a parameter stepped elsewhere this round gets no entry when the loss does not use it
      const elsewhere = lossAndGrads(store, [x], quadratic(T), (n) => n === 'unused' || n === 'A');
      expect(Object.keys(elsewhere.paramGrads)).to.deep.equal(['A', 'b']);
      x.dispose();
    });

    it('DenseOptimizer steps move parameters downhill; parameters without a gradient are untouched', () => {
      const { store, T } = quadraticStore();
      const opt = new DenseOptimizer(store, 'adam', 0.05);
      const x = tf.tensor1d([0, 0]);
      const unused = Array.from(store.get('unused').data);
      const A0 = Array.from(store.get('A').data);
      let first = NaN;
      let last = NaN;
      for (let s = 0; s < 300; s++) {
        const { loss, paramGrads } = lossAndGrads(store, [x], quadratic(T));
        if (s === 0) first = loss;
        last = loss;
        opt.step({ A: paramGrads['A'] });
        if (s === 0) expect(Array.from(store.get('A').data)).to.not.deep.equal(A0);
      }
      expect(last).to.be.lessThan(first);
      store.get('A').data.forEach((v, k) => expect(v).to.be.closeTo(T[k], 0.05));
      expect(Array.from(store.get('b').data)).to.deep.equal([0.5, 0.5, 0.5]);
      expect(Array.from(store.get('unused').data)).to.deep.equal(unused);
      x.dispose();
    });

    for (const name of ['adam', 'adagrad'] as const) {
      it(`DenseOptimizer.offload (${name}): a step begun and applied elsewhere (applyRowRange, the table as one row) equals stepping here; step() then skips it once`, () => {
        const here = quadraticStore();
        const there = quadraticStore();
        const optHere = new DenseOptimizer(here.store, name, 0.05);
        const optThere = new DenseOptimizer(there.store, name, 0.05);
        const off = optThere.offload('A')!;
        expect(off.table.buffer).to.be.instanceOf(SharedArrayBuffer);
        expect(there.store.get('A').data).to.equal(off.table);
        const x = tf.tensor1d([0, 0]);
        for (let s = 0; s < 5; s++) {
          const g = lossAndGrads(here.store, [x], quadratic(here.T)).paramGrads;
          optHere.step(g);
          const h = lossAndGrads(there.store, [x], quadratic(there.T)).paramGrads;
          // every other step is taken elsewhere; the others here, as before the offload
          if (s % 2 === 0) applyRowRange(off.optimizer, off.begin(), off.table, off.table.length, null, 0, 1, h['A']);
          optThere.step(h);
        }
        expect(Array.from(there.store.get('A').data)).to.deep.equal(Array.from(here.store.get('A').data));
        expect(Array.from(there.store.get('b').data)).to.deep.equal(Array.from(here.store.get('b').data));
        off.begin();
        expect(() => off.begin()).to.throw(/'A': a second offloaded step began before step\(\)/);
        expect(() => optThere.offload('nope')).to.throw(/unknown parameter 'nope'/);
        x.dispose();
      });
    }

    it('toBundle / fromBundle round trip (parameters and optimiser state)', () => {
      const { store, T } = quadraticStore();
      const opt = new DenseOptimizer(store, 'adam', 0.1);
      const x = tf.tensor1d([0, 0]);
      const stepOnce = (s: ParamStore, o: DenseOptimizer): void => {
        const { paramGrads } = lossAndGrads(s, [x], quadratic(T));
        o.step(paramGrads);
      };
      stepOnce(store, opt);
      stepOnce(store, opt);
      const bundle: ArrayBundle = {};
      const scalars: Record<string, number> = {};
      store.toBundle('params', bundle);
      opt.toBundle('opt', bundle, scalars);
      expect(Object.keys(bundle).filter((k) => k.startsWith('params.')).sort()).to.deep.equal(['params.A', 'params.b', 'params.unused']);
      const snapshot = Array.from(bundle['params.A']);
      // the bundle is a snapshot: training on does not change it
      stepOnce(store, opt);
      expect(Array.from(bundle['params.A'])).to.deep.equal(snapshot);
      const { store: restored } = quadraticStore();
      restored.get('A').data.fill(0);
      restored.fromBundle('params', bundle, 'ckpt');
      expect(Array.from(restored.get('A').data)).to.deep.equal(snapshot);
      const opt2 = new DenseOptimizer(restored, 'adam', 0.1);
      opt2.fromBundle('opt', bundle, scalars);
      // resumed from the bundle, the next step equals the original run's third step bit for bit
      stepOnce(restored, opt2);
      for (const n of store.names()) expect(Array.from(restored.get(n).data), n).to.deep.equal(Array.from(store.get(n).data));
      // missing or mis-sized entries are errors naming the source
      const missing: ArrayBundle = { 'params.A': new Float32Array(6), 'params.b': new Float32Array(3) };
      expect(() => restored.fromBundle('params', missing, 'ckpt.bin')).to.throw(/ckpt.bin: parameter 'unused'/);
      const wrong: ArrayBundle = { ...missing, 'params.unused': new Float32Array(5) };
      expect(() => restored.fromBundle('params', wrong, 'ckpt.bin')).to.throw(/wrong size/);
      x.dispose();
    });
  });
});
