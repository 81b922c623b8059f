import { expect } from 'chai';
import { Rng } from '../../src/rng';
import { NegativeSampler } from '../../src/sampling';
import { bernoulliHeadProbabilities, buildKgGraph, relationStats } from '../../kg-data/graph';

function randomBatch(rng: Rng, B: number, numEntities: number, numRelations: number): Int32Array {
  const b = new Int32Array(3 * B);
  for (let i = 0; i < B; i++) {
    b[3 * i] = rng.int(numEntities);
    b[3 * i + 1] = rng.int(numRelations);
    b[3 * i + 2] = rng.int(numEntities);
  }
  return b;
}

describe('sampling', () => {
  const nE = 20, nR = 3;

  it('is deterministic for a seed and differs across seeds', () => {
    const batch = randomBatch(new Rng(1), 64, nE, nR);
    const draw = (seed: number): number[] => {
      const out = new Int32Array(3 * 64 * 4);
      const s = new NegativeSampler(nE, 4, 'uniform', undefined, new Rng(seed));
      s.sample(batch, 64, out);
      return Array.from(out);
    };
    expect(draw(7)).to.deep.equal(draw(7));
    expect(draw(7)).to.not.deep.equal(draw(8));
  });

  it('corrupts exactly one position, never back to the original entity, keeps the layout i*k+j', () => {
    const rng = new Rng(2);
    const B = 500, k = 3;
    // include the extreme entity ids 0 and nE-1 (shift trick boundaries)
    const batch = randomBatch(rng, B, nE, nR);
    batch.set([0, 0, nE - 1, nE - 1, 1, 0], 0);
    const out = new Int32Array(3 * B * k);
    const s = new NegativeSampler(nE, k, 'uniform', undefined, rng.derive('neg'));
    expect(s.filtered).to.equal(false);
    s.sample(batch, B, out);
    const seen = new Set<number>();
    for (let i = 0; i < B; i++) {
      for (let j = 0; j < k; j++) {
        const o = 3 * (i * k + j);
        const [h, r, t] = [batch[3 * i], batch[3 * i + 1], batch[3 * i + 2]];
        expect(out[o + 1]).to.equal(r);
        const headChanged = out[o] !== h;
        const tailChanged = out[o + 2] !== t;
        expect(headChanged !== tailChanged, `negative ${i},${j}`).to.equal(true);
        const e = headChanged ? out[o] : out[o + 2];
        expect(e).to.be.within(0, nE - 1);
        seen.add(e);
      }
    }
    expect(seen.size).to.equal(nE); // every entity reachable, including 0 and nE-1
  });

  it('never returns the original entity even with 2 entities', () => {
    const s = new NegativeSampler(2, 5, 'uniform', undefined, new Rng(3));
    const batch = Int32Array.of(0, 0, 1, 1, 0, 0, 0, 0, 0);
    const out = new Int32Array(3 * 3 * 5);
    s.sample(batch, 3, out);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 5; j++) {
        const o = 3 * (i * 5 + j);
        const headChanged = out[o] !== batch[3 * i];
        const tailChanged = out[o + 2] !== batch[3 * i + 2];
        expect(headChanged !== tailChanged).to.equal(true);
      }
    }
  });

  it('uniform mode corrupts the head about half of the time, replacement ~uniform', () => {
    const B = 4000, k = 5;
    const batch = new Int32Array(3 * B);
    for (let i = 0; i < B; i++) batch.set([3, i % nR, 11], 3 * i);
    const out = new Int32Array(3 * B * k);
    new NegativeSampler(nE, k, 'uniform', undefined, new Rng(4)).sample(batch, B, out);
    let heads = 0;
    const counts = new Array(nE).fill(0);
    for (let q = 0; q < B * k; q++) {
      if (out[3 * q] !== 3) {
        heads++;
        counts[out[3 * q]]++;
      }
    }
    const n = B * k;
    expect(Math.abs(heads / n - 0.5)).to.be.below(4 * Math.sqrt(0.25 / n)); // 4 sigma
    expect(counts[3]).to.equal(0);
    const expected = heads / (nE - 1);
    for (let e = 0; e < nE; e++) if (e !== 3) expect(Math.abs(counts[e] - expected)).to.be.below(5 * Math.sqrt(expected));
  });

  it('bernoulli with headProb = 1 always corrupts heads, 0 always tails, 0.2 about 20%', () => {
    const B = 3000;
    const batch = new Int32Array(3 * B);
    for (let i = 0; i < B; i++) batch.set([5, i % 3, 9], 3 * i);
    const out = new Int32Array(3 * B * 2);
    const s = new NegativeSampler(nE, 2, 'bernoulli', Float32Array.of(1, 0, 0.2), new Rng(5));
    s.sample(batch, B, out);
    const headRate = [0, 0, 0];
    const total = [0, 0, 0];
    for (let q = 0; q < 2 * B; q++) {
      const r = out[3 * q + 1];
      total[r]++;
      if (out[3 * q] !== 5) {
        headRate[r]++;
        expect(out[3 * q + 2]).to.equal(9);
      } else {
        expect(out[3 * q + 2]).to.not.equal(9);
      }
    }
    expect(headRate[0]).to.equal(total[0]);
    expect(headRate[1]).to.equal(0);
    expect(Math.abs(headRate[2] / total[2] - 0.2)).to.be.below(4 * Math.sqrt(0.16 / total[2]));
  });

  it('Bernoulli head probabilities (kg-data/graph) follow tph / (tph + hpt)', () => {
    // r0: one head -> 3 tails (1-to-N): tph 3, hpt 1 -> 0.75; r1: N-to-1 -> 0.25; r2: unused -> 0.5
    const train = Int32Array.of(0, 0, 1, 0, 0, 2, 0, 0, 3, 4, 1, 9, 5, 1, 9, 6, 1, 9);
    const p = bernoulliHeadProbabilities(relationStats(buildKgGraph(10, train), 3));
    expect(Array.from(p)).to.deep.equal([0.75, 0.25, 0.5]);
  });

  it('validates its inputs', () => {
    expect(() => new NegativeSampler(1, 1, 'uniform', undefined, new Rng(0))).to.throw(/numEntities/);
    expect(() => new NegativeSampler(5, 0, 'uniform', undefined, new Rng(0))).to.throw(/k/);
    expect(() => new NegativeSampler(5, 1, 'bernoulli', undefined, new Rng(0))).to.throw(/headProb/);
    const s = new NegativeSampler(5, 2, 'bernoulli', Float32Array.of(0.5), new Rng(0));
    expect(() => s.sample(Int32Array.of(0, 0, 1), 1, new Int32Array(3))).to.throw(/out/);
    expect(() => s.sample(Int32Array.of(0, 1, 1), 1, new Int32Array(6))).to.throw(/relation 1/);
  });
});
