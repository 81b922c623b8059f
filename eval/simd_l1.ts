/**
 * TransE-L1's ranking kernel (`l1`, score(q, e) = -sum_k |q_k - e_k|, Bordes et al. 2013 with
 * the L1 dissimilarity) in WebAssembly SIMD: eight queries per pass over the entity table, two
 * per f64x2 lane pair.
 *
 * Bit-identical to the typed-array loop it replaces: every term is computed in float64 from the
 * float32 embeddings (promotion is exact) and added in coordinate order, as the loop does, so
 * the scores, their ties and every metric are unchanged; it is only faster (V8 does not
 * vectorise the loop). A query's scores do not depend on its lane, block or worker.
 */
import { kernelModule, op, storeNegatedLane, v } from '../src/wasm_encoder';
import { SimdBlockScorer } from './simd_block_scorer';

/** Queries scored by one pass over the entity table (four f64x2 accumulators). */
const LANES = 8;

/**
 * The module: imports "env"."mem" and exports
 * group(ePtr, n, W, qPtr, outPtr, rowBytes): for every entity j < n (row at ePtr + 4jW bytes),
 * the eight interleaved float64 queries at qPtr ([k*8 + lane]) give
 * out[lane][j] = f64 at outPtr + lane*rowBytes + 8j.
 */
export function simdL1Module(pages = 1): Uint8Array {
  const [E, N, W, Q, OUT, ROW] = [0, 1, 2, 3, 4, 5];
  const [J, EP, QP, K, X, A0, A1, A2, A3] = [6, 7, 8, 9, 10, 11, 12, 13, 14];
  const acc = [A0, A1, A2, A3];
  const body = [
    ...op.i32(0), ...op.set(J),
    ...op.get(E), ...op.set(EP),
    ...op.block, ...op.loop, // for j (EP walks the table: W coordinates per entity)
    ...op.get(J), ...op.get(N), ...op.i32GeU, ...op.brIf(1),
    ...acc.flatMap((a) => [...v.zero, ...op.set(a)]),
    ...op.get(Q), ...op.set(QP),
    ...op.i32(0), ...op.set(K),
    ...op.block, ...op.loop, // for k
    ...op.get(K), ...op.get(W), ...op.i32GeU, ...op.brIf(1),
    // X = (e_k, e_k) in float64; A_p += |q_pair - X|
    ...op.get(EP), ...v.load32Splat(0), ...v.f64x2PromoteLow, ...op.set(X),
    ...acc.flatMap((a, p) => [...op.get(a), ...op.get(QP), ...v.load(16 * p), ...op.get(X), ...v.f64x2Sub, ...v.f64x2Abs, ...v.f64x2Add, ...op.set(a)]),
    ...op.get(QP), ...op.i32(64), ...op.i32Add, ...op.set(QP),
    ...op.get(EP), ...op.i32(4), ...op.i32Add, ...op.set(EP),
    ...op.get(K), ...op.i32(1), ...op.i32Add, ...op.set(K),
    ...op.br(0), ...op.end, ...op.end,
    ...Array.from({ length: LANES }, (_, lane) => storeNegatedLane(OUT, ROW, lane, acc[lane >> 1], lane & 1)).flat(),
    ...op.get(OUT), ...op.i32(8), ...op.i32Add, ...op.set(OUT),
    ...op.get(J), ...op.i32(1), ...op.i32Add, ...op.set(J),
    ...op.br(0), ...op.end, ...op.end,
  ];
  // locals: 4 x i32 (J..K), 5 x v128 (X, A0..A3)
  return kernelModule(pages, 'group', 6, 4, 5, body);
}

/**
 * The l1 kernel over one entity table, copied into its own WebAssembly memory (one instance per
 * thread). `score(Q, q0, m)` writes the score rows of queries [q0, q0 + m) of Q to
 * `scores[i*n .. i*n + n)`, i < m <= maxQueries.
 */
export class SimdL1 extends SimdBlockScorer {
  constructor(E: Float32Array, n: number, W: number, maxQueries: number) {
    if (!(Number.isInteger(W) && W > 0)) throw new Error(`l1: entity width must be a positive integer, got ${W}`);
    super({
      form: 'l1', lanes: LANES, queryArray: Float64Array, module: simdL1Module, groupWidth: (w) => w,
      interleave: (queries, Q, qo, w, lane) => {
        for (let k = 0; k < w; k++) queries[k * LANES + lane] = Q[qo + k];
      },
    }, E, n, W, maxQueries);
  }
}
