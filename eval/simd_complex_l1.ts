/**
 * RotatE's ranking kernel (`complex-l1`) in WebAssembly SIMD: scores of query vectors against
 * every entity row, score(q, e) = -sum_{k<d} |q_k - e_k| with q_k, e_k complex ([re | im] rows,
 * d = W / 2), the distance of Sun et al., "RotatE: Knowledge Graph Embedding by Relational
 * Rotation in Complex Space" (ICLR 2019), Eq. 3, with q = h ∘ r (tail queries) or conj(r) ∘ t.
 *
 * Why: the kernel is bound by one square root per coordinate. V8 neither vectorises nor has a
 * float32 sqrt, so the typed-array loop took ~400 s for FB-IMG's test set on 2 cores; here
 * four queries share one f32x4 pass over the table (one `f32x4.sqrt` for four coordinates).
 *
 * Precision (an interpretation: the paper does not say): each term sqrt(x² + y²) is computed
 * in float32 from the float32 embeddings, as PyTorch computes RotatE's scores, and the terms
 * are summed in float64, in coordinate order. Every lane performs the same operations, so a
 * query's scores do not depend on its lane, its block or the worker that scores it, and equal
 * embeddings give exactly tied scores. Terms overflow to +Infinity only for coordinates
 * differing by more than ~1.8e19.
 *
 * The module is written as instructions (wasm_encoder.ts; a few dozen, no toolchain in the build).
 */
import { kernelModule, op, storeNegatedLane, v } from '../src/wasm_encoder';
import { SimdBlockScorer } from './simd_block_scorer';

/** Queries scored by one pass over the entity table (the f32x4 lanes). */
const LANES = 4;

/**
 * The module: imports "env"."mem" and exports
 * group(ePtr, n, d, qPtr, outPtr, rowBytes): for every entity j < n (row at ePtr + j*8d bytes),
 * the four interleaved queries at qPtr (re part [k*4 + lane], then im part) give
 * out[lane][j] = f64 at outPtr + lane*rowBytes + 8j.
 */
export function simdComplexL1Module(pages = 1): Uint8Array {
  // Parameters 0-5, then locals.
  const [E, N, D, Q, OUT, ROW] = [0, 1, 2, 3, 4, 5];
  const [J, EP, QP, K, IM, QIM, X, Y, S, A01, A23] = [6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
  const body = [
    // IM = 4d (byte offset of a row's imaginary half), QIM = 16d (of the queries' im part)
    ...op.get(D), ...op.i32(4), ...op.i32Mul, ...op.set(IM),
    ...op.get(D), ...op.i32(16), ...op.i32Mul, ...op.set(QIM),
    ...op.i32(0), ...op.set(J),
    ...op.get(E), ...op.set(EP),
    ...op.block, ...op.loop, // for j
    ...op.get(J), ...op.get(N), ...op.i32GeU, ...op.brIf(1),
    ...v.zero, ...op.set(A01), ...v.zero, ...op.set(A23),
    ...op.get(Q), ...op.set(QP),
    ...op.i32(0), ...op.set(K),
    ...op.block, ...op.loop, // for k
    ...op.get(K), ...op.get(D), ...op.i32GeU, ...op.brIf(1),
    // X = q_re - splat(e_re), Y = q_im - splat(e_im)
    ...op.get(QP), ...v.load(0), ...op.get(EP), ...v.load32Splat(0), ...v.f32x4Sub, ...op.set(X),
    ...op.get(QP), ...op.get(QIM), ...op.i32Add, ...v.load(0),
    ...op.get(EP), ...op.get(IM), ...op.i32Add, ...v.load32Splat(0), ...v.f32x4Sub, ...op.set(Y),
    // S = sqrt(X² + Y²), in float32
    ...op.get(X), ...op.get(X), ...v.f32x4Mul, ...op.get(Y), ...op.get(Y), ...v.f32x4Mul, ...v.f32x4Add, ...v.f32x4Sqrt, ...op.set(S),
    // float64 sums: lanes 0, 1 in A01, lanes 2, 3 in A23
    ...op.get(A01), ...op.get(S), ...v.f64x2PromoteLow, ...v.f64x2Add, ...op.set(A01),
    ...op.get(A23), ...op.get(S), ...op.get(S), ...v.highToLow, ...v.f64x2PromoteLow, ...v.f64x2Add, ...op.set(A23),
    ...op.get(QP), ...op.i32(16), ...op.i32Add, ...op.set(QP),
    ...op.get(EP), ...op.i32(4), ...op.i32Add, ...op.set(EP),
    ...op.get(K), ...op.i32(1), ...op.i32Add, ...op.set(K),
    ...op.br(0), ...op.end, ...op.end,
    // out[lane][j] = -sum; OUT walks along the rows by 8 bytes per entity
    ...storeNegatedLane(OUT, ROW, 0, A01, 0),
    ...storeNegatedLane(OUT, ROW, 1, A01, 1),
    ...storeNegatedLane(OUT, ROW, 2, A23, 0),
    ...storeNegatedLane(OUT, ROW, 3, A23, 1),
    ...op.get(OUT), ...op.i32(8), ...op.i32Add, ...op.set(OUT),
    // EP has moved past the real half (4d bytes); skip the imaginary half to the next row
    ...op.get(EP), ...op.get(IM), ...op.i32Add, ...op.set(EP),
    ...op.get(J), ...op.i32(1), ...op.i32Add, ...op.set(J),
    ...op.br(0), ...op.end, ...op.end,
  ];
  // locals: 6 x i32 (J..QIM), 5 x v128 (X..A23)
  return kernelModule(pages, 'group', 6, 6, 5, body);
}

/**
 * The complex-l1 kernel over one entity table, copied into its own WebAssembly memory (one
 * instance per thread). `score(Q, q0, m)` writes the score rows of queries [q0, q0 + m) of Q
 * to `scores[i*n .. i*n + n)`, i < m <= maxQueries.
 */
export class SimdComplexL1 extends SimdBlockScorer {
  constructor(E: Float32Array, n: number, W: number, maxQueries: number) {
    if (W % 2 !== 0 || W === 0) throw new Error(`complex-l1 needs an even, non-zero entity width ([re | im]), got ${W}`);
    super({
      form: 'complex-l1', lanes: LANES, queryArray: Float32Array, module: simdComplexL1Module, groupWidth: (w) => w / 2,
      // re part at [k*4 + lane], then the im part
      interleave: (queries, Q, qo, w, lane) => {
        const d = w / 2;
        for (let k = 0; k < d; k++) {
          queries[k * LANES + lane] = Q[qo + k];
          queries[(d + k) * LANES + lane] = Q[qo + d + k];
        }
      },
    }, E, n, W, maxQueries);
  }
}
