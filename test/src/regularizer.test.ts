import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import { n3OfFactors, n3Penalty, regularizeRow, type RegularizerKind } from '../../src/train/regularizer';
import { Rng } from '../../src/rng';

/** Float64 reference penalty of one row. */
function reference(kind: RegularizerKind, x: number[], complex: boolean): number {
  if (kind === 'l2') return x.reduce((s, v) => s + v * v, 0);
  if (!complex) return x.reduce((s, v) => s + Math.abs(v) ** 3, 0);
  const d = x.length / 2;
  let s = 0;
  for (let k = 0; k < d; k++) s += Math.hypot(x[k], x[d + k]) ** 3;
  return s;
}

describe('regularizeRow', () => {
  for (const [kind, complex] of [['l2', false], ['n3', false], ['n3', true]] as [RegularizerKind, boolean][]) {
    it(`${kind}${complex ? ' (complex halves)' : ''}: value and gradient match a float64 reference`, () => {
      const rng = new Rng(5);
      const x = Array.from({ length: 6 }, () => rng.normal());
      const table = Float32Array.from([9, 9, ...x]);
      const grad = new Float32Array(8).fill(1);
      const value = regularizeRow(kind, 0.5, table, 2, 6, complex, grad, 2);
      expect(value).to.be.closeTo(0.5 * reference(kind, Array.from(table.subarray(2)), complex), 1e-5);
      expect(grad[0]).to.equal(1); // nothing outside the row
      const xs = Array.from(table.subarray(2));
      for (let k = 0; k < 6; k++) {
        const e = 1e-6;
        const up = xs.slice();
        up[k] += e;
        const down = xs.slice();
        down[k] -= e;
        const fd = (0.5 * (reference(kind, up, complex) - reference(kind, down, complex))) / (2 * e);
        expect(grad[2 + k] - 1).to.be.closeTo(fd, 1e-3 * Math.max(1, Math.abs(fd)));
      }
    });
  }

  it('none and weight 0 change nothing', () => {
    const grad = new Float32Array(3);
    expect(regularizeRow('none', 1, Float32Array.of(1, 2, 3), 0, 3, false, grad, 0)).to.equal(0);
    expect(regularizeRow('n3', 0, Float32Array.of(1, 2, 3), 0, 3, false, grad, 0)).to.equal(0);
    expect(Array.from(grad)).to.deep.equal([0, 0, 0]);
  });
});

describe('n3Penalty: the tfjs op over regularizeRow', () => {
  for (const complex of [false, true]) {
    it(`${complex ? 'complex' : 'real'} rows: value against the float64 reference, gradient against central differences through other ops`, () => {
      const rng = new Rng(7);
      const rows = 3;
      const width = 6;
      const x = Array.from({ length: rows * width }, () => rng.normal());
      // the penalty of 2x, weighted by 0.25 (a weight and an op before it, as in the multimodal steps)
      const penaltyOf = (v: number[]): number => {
        let s = 0;
        for (let i = 0; i < rows; i++) s += reference('n3', v.slice(i * width, (i + 1) * width).map((a) => 2 * a), complex);
        return 0.25 * s;
      };
      const X = tf.tensor2d(x, [rows, width]);
      const before = tf.memory().numTensors;
      const f = (t: tf.Tensor): tf.Scalar => tf.mul(0.25, n3Penalty(tf.mul(t, 2) as tf.Tensor2D, complex)) as tf.Scalar;
      const value = tf.tidy(() => f(X).dataSync()[0]);
      const g = tf.tidy(() => tf.grad(f)(X).dataSync());
      expect(tf.memory().numTensors).to.equal(before); // nothing leaked
      const expected = penaltyOf(x);
      expect(value).to.be.closeTo(expected, 1e-5 * Math.abs(expected));
      const xs = Array.from(X.dataSync());
      for (let k = 0; k < xs.length; k++) {
        const e = 1e-4;
        const up = xs.slice();
        up[k] += e;
        const down = xs.slice();
        down[k] -= e;
        const fd = (penaltyOf(up) - penaltyOf(down)) / (2 * e);
        expect(g[k]).to.be.closeTo(fd, 1e-3 * Math.max(1, Math.abs(fd)));
      }
      // the factors' sum, weighted: head + tail + relation rows of a batch
      const once = n3Penalty(X, complex).dataSync()[0];
      const sum = n3OfFactors([X, X, X], complex, 0.5).dataSync()[0];
      expect(sum).to.be.closeTo(0.5 * 3 * once, 1e-5 * Math.abs(sum));
      X.dispose();
    });
  }

  it('refuses complex rows of odd width', () => {
    expect(() => n3Penalty(tf.zeros([2, 3]) as tf.Tensor2D, true)).to.throw(/even width, got 3/);
  });
});
