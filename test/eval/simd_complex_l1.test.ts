import { expect } from 'chai';
import { SimdComplexL1, simdComplexL1Module } from '../../eval/simd_complex_l1';
import { KERNEL_BLOCK, makeBlockScorer } from '../../eval/score_kernels';
import { validModule } from '../../src/wasm_encoder';
import { randomTable as table } from './random_table';

/** -sum_k |q_k - e_k| over complex coordinates, all in float64 (the reference). */
function reference(Q: Float32Array, qi: number, E: Float32Array, j: number, W: number): number {
  const d = W / 2;
  let a = 0;
  for (let k = 0; k < d; k++) {
    const x = Q[qi * W + k] - E[j * W + k];
    const y = Q[qi * W + d + k] - E[j * W + d + k];
    a += Math.sqrt(x * x + y * y);
  }
  return -a;
}

describe('eval/simd_complex_l1', () => {
  it('is a valid WebAssembly module', () => {
    expect(validModule(simdComplexL1Module())).to.equal(true);
    expect(validModule(simdComplexL1Module(300))).to.equal(true);
  });

  for (const [n, W] of [[1, 2], [13, 6], [50, 40], [7, 400]]) {
    it(`matches the float64 reference within 1e-6 (relative) for every block size, n = ${n}, W = ${W}`, () => {
      const E = table(n, W, 1 + n);
      const Q = table(KERNEL_BLOCK + 3, W, 2 + W);
      const kernel = new SimdComplexL1(E, n, W, KERNEL_BLOCK);
      for (let m = 1; m <= KERNEL_BLOCK; m++) {
        const q0 = m % 3;
        kernel.score(Q, q0, m);
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            const want = reference(Q, q0 + i, E, j, W);
            expect(Math.abs(kernel.scores[i * n + j] - want)).to.be.at.most(1e-6 * (1 + Math.abs(want)), `m ${m} query ${i} entity ${j}`);
          }
        }
      }
    });
  }

  it("a query's scores are bit-identical whatever its lane or block", () => {
    const n = 29, W = 24;
    const E = table(n, W, 5);
    const Q = table(KERNEL_BLOCK, W, 6);
    const kernel = new SimdComplexL1(E, n, W, KERNEL_BLOCK);
    const alone: Float64Array[] = [];
    for (let i = 0; i < KERNEL_BLOCK; i++) {
      kernel.score(Q, i, 1);
      alone.push(kernel.scores.slice(0, n));
    }
    for (let m = 2; m <= KERNEL_BLOCK; m++) {
      for (let q0 = 0; q0 + m <= KERNEL_BLOCK; q0++) {
        kernel.score(Q, q0, m);
        for (let i = 0; i < m; i++) {
          expect(Array.from(kernel.scores.subarray(i * n, i * n + n))).to.deep.equal(Array.from(alone[q0 + i]), `m ${m} q0 ${q0} lane ${i}`);
        }
      }
    }
  });

  it('equal entity rows give exactly tied scores, and the query itself scores exactly 0', () => {
    const W = 8;
    const row = table(1, W, 7);
    const E = new Float32Array(3 * W);
    E.set(row, 0);
    E.set(row, 2 * W);
    E.set(table(1, W, 8), W);
    const kernel = new SimdComplexL1(E, 3, W, 4);
    kernel.score(row, 0, 1);
    expect(kernel.scores[0]).to.equal(0);
    expect(kernel.scores[2]).to.equal(kernel.scores[0]);
    expect(kernel.scores[1]).to.be.below(0);
  });

  it('agrees with the hand-computed distance', () => {
    // d = 2: q = (3+4i, 0+0i), e = (0+0i, 1+0i): |3+4i| + |-1| = 6
    const kernel = new SimdComplexL1(Float32Array.from([0, 1, 0, 0]), 1, 4, 1);
    kernel.score(Float32Array.from([3, 0, 4, 0]), 0, 1);
    expect(kernel.scores[0]).to.equal(-6);
  });

  it('is the complex-l1 kernel of makeBlockScorer', () => {
    expect(makeBlockScorer('complex-l1', new Float32Array(4), 2, 2)).to.be.instanceOf(SimdComplexL1);
  });

  it('rejects an odd width and a block outside 1..maxQueries, with the numbers', () => {
    expect(() => new SimdComplexL1(new Float32Array(6), 2, 3, 8)).to.throw(/even.*got 3/);
    const kernel = new SimdComplexL1(new Float32Array(8), 2, 4, 8);
    expect(() => kernel.score(new Float32Array(40), 0, 9)).to.throw(/9 queries, expected 1\.\.8/);
    expect(() => kernel.score(new Float32Array(40), 0, 0)).to.throw(/0 queries/);
  });
});
