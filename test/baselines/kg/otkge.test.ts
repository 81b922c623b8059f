import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../src/backend';
import { Rng } from '../../../src/rng';
import type { ModalityFeatures } from '../../../src/modality';
import { Otkge, sinkhornPlan } from '../../../baselines/kg/otkge';

function features(modality: string, rows: number, dim: number, seed: number, missing: number[] = []): ModalityFeatures {
  const rng = new Rng(seed);
  const data = new Float32Array(rows * dim);
  const mask = new Uint8Array(rows).fill(1);
  for (let i = 0; i < rows; i++) {
    if (missing.includes(i)) {
      mask[i] = 0;
      continue;
    }
    for (let k = 0; k < dim; k++) data[i * dim + k] = rng.normal();
  }
  return { modality, source: 'test', rows, dim, data, mask };
}

function model(mods: ModalityFeatures[], dim = 3): Otkge {
  return new Otkge({ dim, norm: 1, modalities: mods, imageWeight: 0.1, textWeight: 0.7, otScale: 100, otEpsilon: 10, otIterations: 200, auxWeight: 1, rng: new Rng(4) });
}

/** Reference: every Sinkhorn iteration in the log domain (the implementation before the kernel-domain one). */
function logDomainSinkhorn(x: ArrayLike<number>, y: ArrayLike<number>, scale: number, epsilon: number, iterations: number): Float64Array {
  const dx = x.length;
  const dy = y.length;
  const c = new Float64Array(dx * dy);
  for (let k = 0; k < dx; k++) {
    for (let j = 0; j < dy; j++) {
      const d = x[k] - y[j];
      c[k * dy + j] = (d * d * scale) / epsilon;
    }
  }
  const logA = -Math.log(dx);
  const logB = -Math.log(dy);
  const F = new Float64Array(dx);
  const G = new Float64Array(dy);
  const colMax = new Float64Array(dy);
  const colSum = new Float64Array(dy);
  for (let it = 0; it < iterations; it++) {
    // G_j = log b - LSE_k (F_k - c_kj)
    colMax.fill(-Infinity);
    for (let k = 0; k < dx; k++) {
      const row = k * dy;
      for (let j = 0; j < dy; j++) {
        const z = F[k] - c[row + j];
        if (z > colMax[j]) colMax[j] = z;
      }
    }
    colSum.fill(0);
    for (let k = 0; k < dx; k++) {
      const row = k * dy;
      for (let j = 0; j < dy; j++) colSum[j] += Math.exp(F[k] - c[row + j] - colMax[j]);
    }
    for (let j = 0; j < dy; j++) G[j] = logB - (colMax[j] + Math.log(colSum[j]));
    // F_k = log a - LSE_j (G_j - c_kj)
    for (let k = 0; k < dx; k++) {
      const row = k * dy;
      let m = -Infinity;
      for (let j = 0; j < dy; j++) {
        const z = G[j] - c[row + j];
        if (z > m) m = z;
      }
      let sum = 0;
      for (let j = 0; j < dy; j++) sum += Math.exp(G[j] - c[row + j] - m);
      F[k] = logA - (m + Math.log(sum));
    }
  }
  for (let k = 0; k < dx; k++) for (let j = 0; j < dy; j++) c[k * dy + j] = Math.exp(F[k] + G[j] - c[k * dy + j]);
  return c;
}

describe('OTKGE (Cao et al. 2022)', () => {
  before(async () => {
    await selectBackend('wasm');
  });

  it('Sinkhorn plans have uniform marginals and total mass 1', () => {
    const rng = new Rng(1);
    const x = Array.from({ length: 5 }, () => rng.normal());
    const y = Array.from({ length: 8 }, () => 0.1 * rng.normal());
    for (const [scale, eps] of [[100, 10], [300, 10], [1, 0.05]]) {
      const P = sinkhornPlan(x, y, scale, eps, 500);
      for (let k = 0; k < 5; k++) {
        let row = 0;
        for (let j = 0; j < 8; j++) row += P[k * 8 + j];
        expect(row).to.be.closeTo(1 / 5, 1e-6);
      }
      for (let j = 0; j < 8; j++) {
        let col = 0;
        for (let k = 0; k < 5; k++) col += P[k * 8 + j];
        expect(col).to.be.closeTo(1 / 8, 1e-3);
      }
    }
  });

  it('the kernel-domain Sinkhorn equals the all-log-domain iterations, also where scalings must be absorbed', () => {
    const rng = new Rng(5);
    const cases: [number, number, number, number, number][] = [
      // dx, dy, scale, epsilon, iterations
      [40, 24, 100, 10, 50], [40, 24, 300, 10, 50], [12, 30, 1, 0.05, 200], [16, 16, 100, 0.01, 100], [7, 9, 1e4, 0.1, 30], [16, 16, 1e4, 0.001, 200] /* scalings leave [1e-100, 1e100]: absorbed */, [5, 6, 1, 1e6, 5], [3, 4, 100, 10, 1],
    ];
    for (const [dx, dy, scale, eps, iters] of cases) {
      const x = Array.from({ length: dx }, () => rng.normal());
      const y = Array.from({ length: dy }, () => 0.3 * rng.normal());
      const fast = sinkhornPlan(x, y, scale, eps, iters);
      const ref = logDomainSinkhorn(x, y, scale, eps, iters);
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(fast[i] - ref[i]));
      expect(worst, `dx ${dx} dy ${dy} scale ${scale} eps ${eps}`).to.be.lessThan(1e-9);
      expect(fast.every(Number.isFinite)).to.equal(true);
    }
  });

  it('a small epsilon moves mass to cheap pairs (the plan is not uniform)', () => {
    const x = [0, 1];
    const y = [0, 1];
    const P = sinkhornPlan(x, y, 1, 0.01, 500);
    expect(P[0]).to.be.greaterThan(0.49); // 0 -> 0
    expect(P[1]).to.be.lessThan(0.01); // 0 -> 1
    const U = sinkhornPlan(x, y, 1, 1e6, 50);
    for (const v of U) expect(v).to.be.closeTo(0.25, 1e-4);
  });

  it('fuse = E_s + sum_m w_m mask_m v_m (d_m P_m + Delta_m), checked against a plain-JS reference', () => {
    const n = 4;
    const img = features('image', n, 2, 1, [2]);
    const txt = features('text', n, 3, 2);
    const m = model([img, txt]);
    const W = m.structuralWidth;
    const structural = new Float32Array(n * W);
    const rng = new Rng(9);
    for (let i = 0; i < structural.length; i++) structural[i] = rng.normal();
    m.refresh(structural, n, new Rng(3));
    const p = m.params.tensors();
    const fused = tf.tidy(() => m.fuse(
      m.encode(tf.tensor2d(structural, [n, W]), [tf.tensor2d(img.data, [n, 2]), tf.tensor2d(txt.data, [n, 3])]),
      [tf.tensor2d(Float32Array.from(img.mask), [n, 1]), tf.tensor2d(Float32Array.from(txt.mask), [n, 1])], p,
    ).arraySync() as number[][]);
    tf.dispose(Object.values(p));
    const weights = [0.1, 0.7];
    [img, txt].forEach((f, i) => {
      // Each plan row sums to d_m * (1 / d_m) = 1 (barycentric map).
      for (let k = 0; k < f.dim; k++) {
        let s = 0;
        for (let j = 0; j < W; j++) s += m.plans[i][k * W + j];
        expect(s).to.be.closeTo(1, 1e-3);
      }
    });
    for (let e = 0; e < n; e++) {
      for (let j = 0; j < W; j++) {
        let expected = structural[e * W + j];
        [img, txt].forEach((f, i) => {
          const delta = m.params.get(`otkge.delta.${i}`).data;
          let v = 0;
          for (let k = 0; k < f.dim; k++) v += f.data[e * f.dim + k] * (m.plans[i][k * W + j] + delta[k * W + j]);
          expected += weights[i] * f.mask[e] * v;
        });
        expect(fused[e][j]).to.be.closeTo(expected, 1e-4);
      }
    }
  });

  it('gradients through fuse (to Delta_m and to the modality rows) match the closed form, with a partial modality', () => {
    const n = 6;
    const img = features('image', n, 2, 1, [0, 2, 5]); // three of six rows have the modality
    const txt = features('text', n, 3, 2);
    const m = model([img, txt]);
    const W = m.structuralWidth;
    const structural = new Float32Array(n * W).map((_, i) => Math.cos(i));
    m.refresh(structural, n, new Rng(3));
    const p = m.params.tensors();
    const R = new Float32Array(n * W).map((_, i) => Math.sin(3 * i));
    const masks = [tf.tensor2d(Float32Array.from(img.mask), [n, 1]), tf.tensor2d(Float32Array.from(txt.mask), [n, 1])];
    const s = tf.tensor2d(structural, [n, W]);
    const [gDelta0, gImg] = tf.grads((d0: tf.Tensor, hImg: tf.Tensor) =>
      tf.sum(tf.mul(m.fuse([s, hImg as tf.Tensor2D, tf.tensor2d(txt.data, [n, 3])], masks, { ...p, 'otkge.delta.0': d0 as tf.Tensor2D }), tf.tensor2d(R, [n, W]))),
    )([p['otkge.delta.0'], tf.tensor2d(img.data, [n, 2])]);
    const gd = gDelta0.dataSync();
    const gh = gImg.dataSync();
    const T = m.plans[0].map((v, i) => v + m.params.get('otkge.delta.0').data[i]);
    for (let k = 0; k < 2; k++) {
      for (let j = 0; j < W; j++) {
        let e = 0;
        for (let r = 0; r < n; r++) e += 0.1 * img.mask[r] * img.data[r * 2 + k] * R[r * W + j];
        expect(gd[k * W + j]).to.be.closeTo(e, 1e-4);
      }
    }
    for (let r = 0; r < n; r++) {
      for (let k = 0; k < 2; k++) {
        let e = 0;
        for (let j = 0; j < W; j++) e += 0.1 * img.mask[r] * R[r * W + j] * T[k * W + j];
        expect(gh[r * 2 + k]).to.be.closeTo(e, 1e-4);
      }
    }
    tf.dispose([...Object.values(p), ...masks, s, gDelta0, gImg]);
  });

  it('refresh is deterministic for a seed and depends on the structural table', () => {
    const txt = features('text', 6, 3, 2);
    const a = model([txt]);
    const b = model([txt]);
    const s = new Float32Array(6 * a.structuralWidth).map((_, i) => Math.sin(i));
    a.refresh(s, 6, new Rng(1));
    b.refresh(s, 6, new Rng(1));
    expect(Array.from(a.plans[0])).to.deep.equal(Array.from(b.plans[0]));
    const s2 = s.map((v) => v * 3);
    b.refresh(s2, 6, new Rng(1));
    expect(Array.from(a.plans[0])).to.not.deep.equal(Array.from(b.plans[0]));
  });

  it('rejects fusion weights that leave no structural share', () => {
    expect(() => new Otkge({ dim: 2, norm: 1, modalities: [features('image', 2, 2, 1), features('text', 2, 2, 1)], imageWeight: 0.5, textWeight: 0.5, otScale: 1, otEpsilon: 1, otIterations: 1, auxWeight: 0, rng: new Rng(1) })).to.throw(/sum to < 1/);
  });
});
