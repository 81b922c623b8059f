import { expect } from 'chai';
import { Rng } from '../../src/rng';
import {
  BCELoss, createLoss, LOSSES, logSigmoid, MarginRankingLoss, NSSALoss, sigmoid,
  softplus, SoftplusLoss, NegativeSamplingLoss,
} from '../../src/losses';

// ---- plain float64 references, written straight from the formulas ----
const refSoftplus = (x: number): number => (x > 30 ? x + Math.exp(-x) : x < -30 ? Math.exp(x) : Math.log(1 + Math.exp(x)));
const refLogSig = (x: number): number => -refSoftplus(-x);

type Ref = (pos: number[], neg: number[], B: number, k: number) => number;

const refMargin = (margin: number): Ref => (pos, neg, B, k) => {
  let s = 0;
  for (let i = 0; i < B; i++) for (let j = 0; j < k; j++) s += Math.max(0, margin - pos[i] + neg[i * k + j]);
  return s / (B * k);
};
const refSoftplusLoss: Ref = (pos, neg) => {
  let s = 0;
  for (const p of pos) s += refSoftplus(-p);
  for (const n of neg) s += refSoftplus(n);
  return s / (pos.length + neg.length);
};
const refBce = (eps: number): Ref => (pos, neg) => {
  const bce = (x: number, y: number): number => -y * refLogSig(x) - (1 - y) * refLogSig(-x);
  let s = 0;
  for (const p of pos) s += bce(p, 1 - eps);
  for (const n of neg) s += bce(n, eps);
  return s / (pos.length + neg.length);
};
/** RotatE written in distances as the paper/official code: d = -score. weights are given (detached). */
const refNssa = (gamma: number, weights: number[]): Ref => (pos, neg, B, k) => {
  let posPart = 0;
  let negPart = 0;
  for (let i = 0; i < B; i++) {
    const dPos = -pos[i];
    posPart += -refLogSig(gamma - dPos);
    for (let j = 0; j < k; j++) {
      const dNeg = -neg[i * k + j];
      negPart += -weights[i * k + j] * refLogSig(dNeg - gamma);
    }
  }
  return (posPart / B + negPart / B) / 2;
};
function advWeights(neg: number[], B: number, k: number, alpha: number): number[] {
  const w: number[] = [];
  for (let i = 0; i < B; i++) {
    const row = neg.slice(i * k, i * k + k).map((x) => Math.exp(alpha * x));
    const z = row.reduce((a, b) => a + b, 0);
    for (const v of row) w.push(v / z);
  }
  return w;
}

function randomScores(rng: Rng, n: number, scale: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
  return a;
}

function numericGrad(f: Ref, pos: number[], neg: number[], B: number, k: number, h = 1e-5): { gp: number[]; gn: number[] } {
  const gp = pos.map((_, i) => {
    const a = pos.slice(); const b = pos.slice();
    a[i] += h; b[i] -= h;
    return (f(a, neg, B, k) - f(b, neg, B, k)) / (2 * h);
  });
  const gn = neg.map((_, i) => {
    const a = neg.slice(); const b = neg.slice();
    a[i] += h; b[i] -= h;
    return (f(pos, a, B, k) - f(pos, b, B, k)) / (2 * h);
  });
  return { gp, gn };
}

function checkLoss(loss: NegativeSamplingLoss, ref: (neg: number[]) => Ref, B: number, k: number, seed: number, scale = 2): void {
  const rng = new Rng(seed);
  const pos = randomScores(rng, B, scale);
  const neg = randomScores(rng, B * k, scale);
  const gp = new Float32Array(B + 3).fill(NaN);
  const gn = new Float32Array(B * k + 3).fill(NaN);
  const value = loss.compute(pos, neg, B, k, gp, gn);
  const posA = Array.from(pos);
  const negA = Array.from(neg);
  const f = ref(negA);
  expect(value).to.be.closeTo(f(posA, negA, B, k), 1e-9);
  const num = numericGrad(f, posA, negA, B, k);
  for (let i = 0; i < B; i++) expect(gp[i]).to.be.closeTo(num.gp[i], 1e-6);
  for (let i = 0; i < B * k; i++) expect(gn[i]).to.be.closeTo(num.gn[i], 1e-6);
  // buffers longer than needed: the tail is not written
  expect(Number.isNaN(gp[B])).to.equal(true);
  expect(Number.isNaN(gn[B * k])).to.equal(true);
}

describe('losses', () => {
  describe('scalar helpers', () => {
    it('softplus / logSigmoid / sigmoid match references and stay finite', () => {
      for (const x of [-50, -3, -1e-3, 0, 0.5, 7, 50]) {
        expect(softplus(x)).to.be.closeTo(refSoftplus(x), 1e-12);
        expect(logSigmoid(x)).to.be.closeTo(refLogSig(x), 1e-12);
        expect(sigmoid(x)).to.be.closeTo(1 / (1 + Math.exp(-x)), 1e-15);
      }
      expect(softplus(1e4)).to.equal(1e4);
      expect(softplus(-1e4)).to.equal(0);
      expect(logSigmoid(-1e4)).to.equal(-1e4);
      expect(sigmoid(-1e4)).to.equal(0);
      expect(sigmoid(1e4)).to.equal(1);
    });
  });

  describe('margin ranking', () => {
    it('hand-computed value and gradient', () => {
      const loss = new MarginRankingLoss({ margin: 1 });
      const pos = Float32Array.of(2, 0);
      const neg = Float32Array.of(0.5, 1.5, -3, 0.25); // k = 2
      const gp = new Float32Array(2);
      const gn = new Float32Array(4);
      // pairs: max(0,1-2+0.5)=0, max(0,1-2+1.5)=0.5, max(0,1-0-3)=0, max(0,1-0+0.25)=1.25 -> 1.75/4
      expect(loss.compute(pos, neg, 2, 2, gp, gn)).to.be.closeTo(0.4375, 1e-12);
      expect(Array.from(gp)).to.deep.equal([-0.25, -0.25]);
      expect(Array.from(gn)).to.deep.equal([0, 0.25, 0, 0.25]);
    });
    it('matches reference and central differences', () => {
      checkLoss(new MarginRankingLoss({ margin: 0.7 }), () => refMargin(0.7), 5, 3, 1);
    });
  });

  describe('softplus', () => {
    it('hand-computed value', () => {
      const gp = new Float32Array(1);
      const gn = new Float32Array(1);
      const v = new SoftplusLoss().compute(Float32Array.of(0), Float32Array.of(0), 1, 1, gp, gn);
      expect(v).to.be.closeTo(Math.log(2), 1e-12);
      expect(gp[0]).to.be.closeTo(-0.25, 1e-7);
      expect(gn[0]).to.be.closeTo(0.25, 1e-7);
    });
    it('matches reference and central differences', () => {
      checkLoss(new SoftplusLoss(), () => refSoftplusLoss, 4, 5, 2);
    });
  });

  describe('bce', () => {
    it('equals softplus without smoothing', () => {
      const rng = new Rng(3);
      const pos = randomScores(rng, 6, 3);
      const neg = randomScores(rng, 12, 3);
      const g1 = [new Float32Array(6), new Float32Array(12)];
      const g2 = [new Float32Array(6), new Float32Array(12)];
      const a = new BCELoss().compute(pos, neg, 6, 2, g1[0], g1[1]);
      const b = new SoftplusLoss().compute(pos, neg, 6, 2, g2[0], g2[1]);
      expect(a).to.be.closeTo(b, 1e-12);
      for (let i = 0; i < 6; i++) expect(g1[0][i]).to.be.closeTo(g2[0][i], 1e-8);
      for (let i = 0; i < 12; i++) expect(g1[1][i]).to.be.closeTo(g2[1][i], 1e-8);
    });
    it('matches reference and central differences with label smoothing', () => {
      checkLoss(new BCELoss({ labelSmoothing: 0.1 }), () => refBce(0.1), 4, 3, 4);
      checkLoss(new BCELoss(), () => refBce(0), 3, 1, 5);
    });
    it('rejects labelSmoothing outside [0, 1)', () => {
      expect(() => new BCELoss({ labelSmoothing: 1 })).to.throw(/labelSmoothing/);
    });
  });

  describe('nssa (self-adversarial)', () => {
    it('matches the distance-form RotatE loss and central differences (weights detached)', () => {
      for (const [alpha, gamma] of [[1, 0], [0.5, 6], [2, -1]]) {
        checkLoss(new NSSALoss({ adversarialTemperature: alpha, gamma }), (neg) => refNssa(gamma, advWeights(neg, 4, 5, alpha)), 4, 5, 6);
      }
    });
    it('alpha = 0 gives uniform weights (plain negative-sampling loss of the official code)', () => {
      const rng = new Rng(7);
      const B = 3, k = 4, gamma = 2;
      const pos = randomScores(rng, B, 3);
      const neg = randomScores(rng, B * k, 3);
      const gp = new Float32Array(B);
      const gn = new Float32Array(B * k);
      const v = new NSSALoss({ adversarialTemperature: 0, gamma }).compute(pos, neg, B, k, gp, gn);
      const uniform = new Array(B * k).fill(1 / k);
      expect(v).to.be.closeTo(refNssa(gamma, uniform)(Array.from(pos), Array.from(neg), B, k), 1e-9);
      // official: neg part = mean over j of -logsigmoid(-(score)), i.e. softmax weights of equal scores
      const eq = new NSSALoss({ adversarialTemperature: 5, gamma });
      const same = new Float32Array(B * k).fill(0.3);
      const g2 = new Float32Array(B * k);
      const g0 = new Float32Array(B * k);
      eq.compute(pos, same, B, k, gp, g2);
      new NSSALoss({ adversarialTemperature: 0, gamma }).compute(pos, same, B, k, gp, g0);
      for (let i = 0; i < B * k; i++) expect(g2[i]).to.be.closeTo(g0[i], 1e-9);
    });
  });

  describe('stability at |score| = 1e4', () => {
    it('every loss gives finite values and gradients', () => {
      const pos = Float32Array.of(1e4, -1e4, 0);
      const neg = Float32Array.of(1e4, -1e4, -1e4, 1e4, 1e4, 0);
      for (const name of Object.keys(LOSSES)) {
        const loss = createLoss(name, { adversarialTemperature: 1, labelSmoothing: 0.1, gamma: 3 });
        const gp = new Float32Array(3);
        const gn = new Float32Array(6);
        const v = loss.compute(pos, neg, 3, 2, gp, gn);
        expect(Number.isFinite(v), name).to.equal(true);
        for (const g of [...gp, ...gn]) expect(Number.isFinite(g), name).to.equal(true);
      }
    });
  });

  describe('registry', () => {
    it('creates by name and lists known names for an unknown one', () => {
      expect(createLoss('margin', { margin: 2 })).to.be.instanceOf(MarginRankingLoss);
      expect((createLoss('margin', { margin: 2 }) as MarginRankingLoss).margin).to.equal(2);
      expect(createLoss('nssa').name).to.equal('nssa');
      expect(() => createLoss('hinge')).to.throw(/margin, softplus, bce, nssa/);
      expect(() => createLoss('toString')).to.throw(/unknown loss/);
    });
    it('rejects too-short buffers', () => {
      const l = new SoftplusLoss();
      expect(() => l.compute(new Float32Array(2), new Float32Array(3), 2, 2, new Float32Array(2), new Float32Array(4))).to.throw(/neg/);
    });
  });
});
