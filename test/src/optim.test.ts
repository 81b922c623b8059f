import { expect } from 'chai';
import { Rng } from '../../src/rng';
import { Adagrad, createOptimizer, SparseAdam, SparseGradient, SparseOptimizer } from '../../src/optim';

function randomArray(rng: Rng, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
  return a;
}

function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

/** Compact grads of `rows` taken from a dense gradient. */
function compact(dense: Float32Array, width: number, rows: number[]): Float32Array {
  const g = new Float32Array(rows.length * width);
  rows.forEach((r, i) => g.set(dense.subarray(r * width, r * width + width), i * width));
  return g;
}

describe('optim', () => {
  describe('Adagrad', () => {
    it('one and two steps match hand-computed values', () => {
      const opt = new Adagrad(2, 1, { lr: 0.1 });
      const table = Float32Array.of(1, 5);
      opt.step(table, 1, Int32Array.of(0), 1, Float32Array.of(0.5));
      // G = 0.25, p = 1 - 0.1 * 0.5 / (0.5 + 1e-10)
      expect(table[0]).to.equal(Math.fround(1 - 0.05 / (0.5 + 1e-10)));
      expect(table[1]).to.equal(5);
      opt.step(table, 1, Int32Array.of(0), 1, Float32Array.of(0.5));
      // G = 0.5, p = 0.9 - 0.05 / sqrt(0.5)
      expect(table[0]).to.be.closeTo(0.9 - 0.05 / Math.sqrt(0.5), 1e-7);
      expect(opt.state().step).to.equal(2);
      expect(Array.from(opt.state().sum as Float32Array)).to.deep.equal([0.5, 0]);
    });
    it('several steps match a float64 reference', () => {
      const rng = new Rng(1);
      const w = 3;
      const opt = new Adagrad(1, w, { lr: 0.05, eps: 1e-10 });
      const table = randomArray(rng, w);
      const p = Array.from(table);
      const G = [0, 0, 0];
      for (let s = 0; s < 6; s++) {
        const g = randomArray(rng, w);
        opt.step(table, w, Int32Array.of(0), 1, g);
        for (let c = 0; c < w; c++) {
          G[c] += g[c] * g[c];
          p[c] -= (0.05 * g[c]) / (Math.sqrt(G[c]) + 1e-10);
        }
      }
      for (let c = 0; c < w; c++) expect(table[c]).to.be.closeTo(p[c], 1e-6);
    });
    it('weight decay adds lambda * p to the gradient of stepped rows only', () => {
      const opt = new Adagrad(2, 1, { lr: 0.1, weightDecay: 0.5 });
      const table = Float32Array.of(1, 1);
      opt.step(table, 1, Int32Array.of(0), 1, Float32Array.of(0));
      expect(table[0]).to.be.closeTo(0.9, 1e-7);
      expect(table[1]).to.equal(1);
    });
  });

  describe('SparseAdam', () => {
    it('one step moves each coordinate by ~lr * sign(g)', () => {
      const opt = new SparseAdam(1, 2, { lr: 0.01 });
      const table = Float32Array.of(0, 0);
      opt.step(table, 2, Int32Array.of(0), 1, Float32Array.of(3, -0.2));
      // m = 0.1 g, v = 0.001 g^2, step = lr sqrt(0.001)/0.1 * m/(sqrt(v)+eps)
      const exp = (g: number): number => -((0.01 * Math.sqrt(0.001)) / 0.1) * (0.1 * g) / (Math.sqrt(0.001 * g * g) + 1e-8);
      expect(table[0]).to.be.closeTo(exp(3), 1e-9);
      expect(table[1]).to.be.closeTo(exp(-0.2), 1e-9);
      expect(table[0]).to.be.closeTo(-0.01, 1e-7);
    });
    it('several steps match the textbook bias-corrected Adam (m_hat, v_hat)', () => {
      const rng = new Rng(2);
      const w = 4, lr = 0.01, b1 = 0.8, b2 = 0.95, eps = 1e-8;
      const opt = createOptimizer('adam', 1, w, { lr, betas: [b1, b2], eps });
      const table = randomArray(rng, w);
      const p = Array.from(table);
      const m = [0, 0, 0, 0];
      const v = [0, 0, 0, 0];
      for (let t = 1; t <= 7; t++) {
        const g = randomArray(rng, w);
        opt.step(table, w, Int32Array.of(0), 1, g);
        for (let c = 0; c < w; c++) {
          m[c] = b1 * m[c] + (1 - b1) * g[c];
          v[c] = b2 * v[c] + (1 - b2) * g[c] * g[c];
          const mh = m[c] / (1 - b1 ** t);
          const vh = v[c] / (1 - b2 ** t);
          // Kingma & Ba's efficient form puts eps on sqrt(v): eps_hat = eps / sqrt(1 - b2^t) here
          p[c] -= (lr * mh) / (Math.sqrt(vh) + eps / Math.sqrt(1 - b2 ** t));
        }
      }
      for (let c = 0; c < w; c++) expect(table[c]).to.be.closeTo(p[c], 1e-6);
    });
    it('is lazy: untouched rows keep moments, bias correction uses the global step', () => {
      const lr = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8;
      const opt = new SparseAdam(2, 1, { lr });
      const table = Float32Array.of(0, 0);
      opt.step(table, 1, Int32Array.of(0), 1, Float32Array.of(1)); // t = 1: row 0
      opt.step(table, 1, Int32Array.of(1), 1, Float32Array.of(1)); // t = 2: row 1 only
      const row0AfterT1 = table[0];
      opt.step(table, 1, Int32Array.of(0), 1, Float32Array.of(2)); // t = 3: row 0 again
      let m = (1 - b1) * 1;
      let v = (1 - b2) * 1;
      m = m + (1 - b1) * (2 - m);
      v = v + (1 - b2) * (4 - v);
      const step3 = (lr * Math.sqrt(1 - b2 ** 3)) / (1 - b1 ** 3);
      expect(table[0]).to.be.closeTo(row0AfterT1 - (step3 * m) / (Math.sqrt(v) + eps), 1e-6);
      const s = opt.state();
      expect(s.step).to.equal(3);
      expect((s.expAvg as Float32Array)[1]).to.be.closeTo(0.1, 1e-7); // row 1 not decayed at t = 3
    });
  });

  for (const name of ['adagrad', 'adam'] as const) {
    describe(`${name}: sparse vs dense, untouched rows, resume`, () => {
      const numRows = 7, w = 5;
      it('sparse equals dense (bit-identical) when every row is touched, in any order, with and without decay', () => {
        for (const weightDecay of [0, 0.01]) {
          const rng = new Rng(3);
          const t0 = randomArray(rng, numRows * w);
          const a = t0.slice();
          const b = t0.slice();
          const sparse = createOptimizer(name, numRows, w, { lr: 0.05, weightDecay });
          const dense = createOptimizer(name, numRows, w, { lr: 0.05, weightDecay });
          const order = [3, 0, 6, 1, 5, 2, 4];
          for (let s = 0; s < 4; s++) {
            const g = randomArray(rng, numRows * w);
            sparse.step(a, w, Int32Array.from(order), order.length, compact(g, w, order));
            dense.stepDense(b, w, g);
          }
          expect(bits(a), `weight decay ${weightDecay}`).to.deep.equal(bits(b));
          expect(bits(a), `weight decay ${weightDecay}: it moved`).not.to.deep.equal(bits(t0));
        }
      });
      it('leaves untouched rows bit-identical', () => {
        const rng = new Rng(4);
        const t0 = randomArray(rng, numRows * w);
        const a = t0.slice();
        const opt = createOptimizer(name, numRows, w, { lr: 0.05, weightDecay: 0.1 });
        const rows = [1, 4];
        for (let s = 0; s < 3; s++) opt.step(a, w, Int32Array.from(rows), 2, randomArray(rng, 2 * w));
        for (let r = 0; r < numRows; r++) {
          const same = bits(a.subarray(r * w, r * w + w)).join() === bits(t0.subarray(r * w, r * w + w)).join();
          expect(same, `row ${r}`).to.equal(!rows.includes(r));
        }
      });
      it('save/load state continues bit-identically', () => {
        const rng = new Rng(5);
        const table = randomArray(rng, numRows * w);
        const batches: { rows: Int32Array; g: Float32Array }[] = [];
        for (let s = 0; s < 8; s++) {
          const rows = Int32Array.from(new Rng(100 + s).shuffle([0, 1, 2, 3, 4, 5, 6]).slice(0, 3));
          batches.push({ rows, g: randomArray(rng, 3 * w) });
        }
        const run = (opt: SparseOptimizer, t: Float32Array, from: number, to: number): void => {
          for (let s = from; s < to; s++) opt.step(t, w, batches[s].rows, 3, batches[s].g);
        };
        const full = createOptimizer(name, numRows, w, { lr: 0.03 });
        const tFull = table.slice();
        run(full, tFull, 0, 4);
        const saved = full.state();
        const tSaved = tFull.slice();
        run(full, tFull, 4, 8);
        // the saved state is a copy: continuing did not change it
        const resumed = createOptimizer(name, numRows, w, { lr: 0.03 });
        resumed.loadState(saved);
        run(resumed, tSaved, 4, 8);
        expect(bits(tSaved)).to.deep.equal(bits(tFull));
        const a = full.state();
        const b = resumed.state();
        expect(a.step).to.equal(8);
        for (const key of Object.keys(a)) {
          if (a[key] instanceof Float32Array) expect(bits(b[key] as Float32Array)).to.deep.equal(bits(a[key] as Float32Array));
          else expect(b[key]).to.equal(a[key]);
        }
      });
      it('validates shapes, row ids and state', () => {
        const opt = createOptimizer(name, numRows, w, { lr: 0.1 });
        const table = new Float32Array(numRows * w);
        expect(() => opt.step(table, w + 1, Int32Array.of(0), 1, new Float32Array(w))).to.throw(/width/);
        expect(() => opt.step(table, w, Int32Array.of(numRows), 1, new Float32Array(w))).to.throw(/row id/);
        const s = opt.state();
        const key = Object.keys(s).find((k) => s[k] instanceof Float32Array)!;
        expect(() => opt.loadState({ ...s, [key]: new Float32Array(3) })).to.throw(/loadState/);
      });
    });
  }

  it('createOptimizer rejects unknown names', () => {
    expect(() => createOptimizer('sgd' as 'adam', 2, 2, { lr: 1 })).to.throw(/adagrad, adam/);
  });

  describe('SparseGradient', () => {
    it('maps rows to compact slots, accumulates duplicates, resets in O(touched) and is reusable', () => {
      const sg = new SparseGradient(10, 2, 4);
      let o = sg.offset(7);
      sg.grads[o] += 1; sg.grads[o + 1] += 2;
      o = sg.offset(3);
      sg.grads[o] += 5;
      o = sg.offset(7);
      sg.grads[o] += 1;
      expect(sg.count).to.equal(2);
      expect(Array.from(sg.rows.subarray(0, 2))).to.deep.equal([7, 3]);
      expect(Array.from(sg.grads.subarray(0, 4))).to.deep.equal([2, 2, 5, 0]);
      // feed an optimiser, then reuse for the next batch
      const opt = new Adagrad(10, 2, { lr: 0.1 });
      const table = new Float32Array(20);
      opt.step(table, 2, sg.rows, sg.count, sg.grads);
      expect(table[14]).to.be.below(0);
      expect(table[6]).to.be.below(0);
      expect(table[7]).to.equal(0);
      sg.reset();
      expect(sg.count).to.equal(0);
      expect(sg.slot(3)).to.equal(0); // fresh slot, zeroed (old contents of slot 0 were 2, 2)
      expect(Array.from(sg.grads.subarray(0, 2))).to.deep.equal([0, 0]);
      expect(sg.slot(7)).to.equal(1);
      expect(Array.from(sg.grads.subarray(2, 4))).to.deep.equal([0, 0]);
      expect(sg.slot(3)).to.equal(0);
    });
    it('grows past its capacity, keeping contents, and never beyond numRows', () => {
      const sg = new SparseGradient(50, 3, 2);
      for (let r = 49; r >= 0; r--) {
        const o = sg.offset(r);
        sg.grads[o] = r;
      }
      expect(sg.count).to.equal(50);
      expect(sg.capacity).to.equal(50);
      for (let s = 0; s < 50; s++) {
        expect(sg.rows[s]).to.equal(49 - s);
        expect(sg.grads[s * 3]).to.equal(49 - s);
      }
      sg.reset();
      for (let r = 0; r < 50; r++) expect(sg.slot(r)).to.equal(r);
      expect(() => sg.slot(50)).to.throw(/row id/);
      const sg2 = new SparseGradient(100, 2, 4);
      sg2.reserve(30);
      expect(sg2.capacity).to.be.at.least(30);
    });
  });
});
