import { expect } from 'chai';
import { scatterAddRows, scatterAddSparse, tableRows } from '../../src/rows';
import { SparseGradient } from '../../src/optim';

describe('rows (gather and scatter-add of table rows)', () => {
  const table = Float32Array.of(0, 1, 10, 11, 20, 21);

  it('tableRows gathers rows in the given order, repeats included', () => {
    expect(Array.from(tableRows(table, 2, Int32Array.of(2, 0, 2)))).to.deep.equal([20, 21, 0, 1, 20, 21]);
  });

  it('scatterAddRows is the backward of the gather: a repeated row gets the sum of its gradients', () => {
    const dst = new Float32Array(6).fill(1);
    scatterAddRows(dst, Int32Array.of(2, 0, 2), Float32Array.of(1, 2, 3, 4, 5, 6), 2);
    expect(Array.from(dst)).to.deep.equal([4, 5, 1, 1, 7, 9]);
    // count limits the rows read
    scatterAddRows(dst, Int32Array.of(1, 1), Float32Array.of(1, 1, 9, 9), 2, 1);
    expect(Array.from(dst)).to.deep.equal([4, 5, 2, 2, 7, 9]);
  });

  it('scatterAddSparse fills slots in first-touch order and survives the buffer growing mid-batch', () => {
    const g = new SparseGradient(50, 2, 1); // capacity 1: the second row reallocates the buffer
    const rows = Int32Array.from({ length: 20 }, (_, i) => 49 - (i % 10));
    const src = Float32Array.from({ length: 40 }, (_, i) => i);
    scatterAddSparse(g, rows, src);
    expect(g.count).to.equal(10);
    expect(Array.from(g.rows.subarray(0, 3))).to.deep.equal([49, 48, 47]);
    // row 49 is rows[0] and rows[10]: (0 + 20, 1 + 21)
    expect(Array.from(g.grads.subarray(0, 2))).to.deep.equal([20, 22]);
    expect(Array.from(g.grads.subarray(18, 20))).to.deep.equal([18 + 38, 19 + 39]);
  });
});
