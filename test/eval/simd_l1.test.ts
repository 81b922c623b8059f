import { expect } from 'chai';
import { SimdL1, simdL1Module } from '../../eval/simd_l1';
import { KERNEL_BLOCK, makeBlockScorer } from '../../eval/score_kernels';
import { validModule } from '../../src/wasm_encoder';
import { randomTable as table } from './random_table';

/** -sum_k |q_k - e_k| in float64, coordinate order: the typed-array loop the kernel replaced. */
function reference(Q: Float32Array, qi: number, E: Float32Array, j: number, W: number): number {
  let a = 0;
  for (let k = 0; k < W; k++) a += Math.abs(Q[qi * W + k] - E[j * W + k]);
  return -a;
}

describe('eval/simd_l1', () => {
  it('is a valid WebAssembly module', () => {
    expect(validModule(simdL1Module())).to.equal(true);
    expect(validModule(simdL1Module(300))).to.equal(true);
  });

  for (const [n, W] of [[1, 1], [13, 7], [50, 40], [7, 200]]) {
    it(`gives exactly the float64 loop's scores for every block size, n = ${n}, W = ${W}`, () => {
      const E = table(n, W, 1 + n);
      const Q = table(KERNEL_BLOCK + 3, W, 2 + W);
      const kernel = new SimdL1(E, n, W, KERNEL_BLOCK);
      for (let m = 1; m <= KERNEL_BLOCK; m++) {
        const q0 = m % 3;
        kernel.score(Q, q0, m);
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) expect(kernel.scores[i * n + j]).to.equal(reference(Q, q0 + i, E, j, W), `m ${m} query ${i} entity ${j}`);
        }
      }
    });
  }

  it('agrees with the hand-computed distance, and equal rows tie exactly', () => {
    // q = (1, -2, 0.5); e0 = (0, 0, 0): 3.5; e1 = (1, -2, 0.5): 0; e2 = e0
    const kernel = new SimdL1(Float32Array.from([0, 0, 0, 1, -2, 0.5, 0, 0, 0]), 3, 3, 2);
    kernel.score(Float32Array.from([1, -2, 0.5]), 0, 1);
    expect(Array.from(kernel.scores.subarray(0, 3))).to.deep.equal([-3.5, -0, -3.5]);
  });

  it('is the l1 kernel of makeBlockScorer', () => {
    expect(makeBlockScorer('l1', new Float32Array(4), 2, 2)).to.be.instanceOf(SimdL1);
  });

  it('rejects a bad width and a block outside 1..maxQueries, with the numbers', () => {
    expect(() => new SimdL1(new Float32Array(6), 2, 0, 8)).to.throw(/positive integer, got 0/);
    const kernel = new SimdL1(new Float32Array(8), 2, 4, 8);
    expect(() => kernel.score(new Float32Array(40), 0, 9)).to.throw(/9 queries, expected 1\.\.8/);
  });
});
