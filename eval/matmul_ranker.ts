/**
 * Ranking for `dot` and `l2` scorers with one dense matrix product per chunk of queries:
 * all n candidate scores of b queries as S = Q · ET, [b, W] x [W, n] -> [b, n].
 */
import * as tf from '@tensorflow/tfjs';
import { computeQueriesInto, type QueryContext } from './queries';
import { rankScoreRows, type RankBatch } from './rank_batch';

/**
 * Float budget of one [b, n] score block: 16M floats = 64 MB. The wasm backend's heap grows to
 * its peak and never shrinks, so the block (plus its JS copy from dataSync) is what bounds memory.
 */
export const MATMUL_BLOCK_FLOATS = 16 * 1024 * 1024;

/** Largest chunk of queries whose [chunk, n] score block fits `MATMUL_BLOCK_FLOATS`. */
export function matmulChunkLimit(numEntities: number): number {
  return Math.max(1, Math.floor(MATMUL_BLOCK_FLOATS / Math.max(1, numEntities)));
}

/**
 * Transpose of a row-major [n, W] table as a row-major [W + extra, n] Float32Array (the
 * `extra` trailing rows left zero for the caller). Done once, in JS, explicitly: tfjs-wasm's
 * matMul with transposeB=true measured ~8x slower than on a pre-transposed matrix.
 */
export function transposeTable(table: Float32Array, n: number, W: number, extra = 0): Float32Array {
  const out = new Float32Array((W + extra) * n);
  for (let j = 0; j < n; j++) {
    const src = j * W;
    for (let k = 0; k < W; k++) out[k * n + j] = table[src + k];
  }
  return out;
}

/**
 * Ranks all entities for batches of queries by matrix product; holds the transposed entity
 * table as one tfjs tensor (created once per evaluation; call `dispose`).
 *
 * - `dot`: score(q, e) = q . e;  S = Q · E^T.
 * - `l2`:  the scorer's score is -||q - e||_2, a decreasing function of
 *          d^2 = ||q||^2 - 2 q.e + ||e||^2. Per row ||q||^2 is a constant, so ranking by
 *          s = 2 q.e - ||e||^2 (= ||q||^2 - d^2) gives the same order. It is done in a single
 *          product with augmented operands: [2Q | -1] · [E^T ; ||e||^2], shapes
 *          [b, W+1] x [W+1, n] (||e||^2 summed in float64, then rounded to float32).
 *          Precision caveat: s is accumulated in float32 and cancels (2 q.e and ||e||^2 are
 *          both O(||q||^2 + ||e||^2) while their difference can be tiny), so candidates whose
 *          squared distances to q differ by less than ~1e-7 (||q||^2 + ||e||^2) may be ordered
 *          wrongly or appear tied / untied; exact ties such as duplicate entity rows stay exact
 *          ties. Leaving out the constant ||q||^2 removes one cancelling term of the expansion. Use
 *          `method: 'loop'` (float64 sum of (q_k - e_k)^2) when this matters.
 */
export class MatMulRanker {
  private readonly et: tf.Tensor2D;

  constructor(
    private readonly form: 'dot' | 'l2',
    entities: Float32Array,
    private readonly n: number,
    private readonly width: number,
  ) {
    const extra = form === 'l2' ? 1 : 0;
    const et = transposeTable(entities, n, width, extra);
    if (form === 'l2') {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0, o = j * width; k < width; k++) s += entities[o + k] * entities[o + k];
        et[width * n + j] = s;
      }
    }
    this.et = tf.tensor2d(et, [width + extra, n]);
  }

  /** Compute the queries of `batch` (via `ctx.scorer`), score all n candidates, rank, fill `batch.results`. */
  rank(ctx: QueryContext, batch: RankBatch): void {
    const { count } = batch;
    if (count === 0) return;
    const q = new Float32Array(count * this.width);
    computeQueriesInto(ctx, batch.direction, batch.start, batch.start + count, q);
    const S = tf.tidy(() => {
      let Q: tf.Tensor2D = tf.tensor2d(q, [count, this.width]);
      if (this.form === 'l2') Q = tf.concat([Q.mul(2), tf.fill([count, 1], -1)], 1) as tf.Tensor2D;
      // Never transposeB=true here: see transposeTable.
      return tf.matMul(Q, this.et);
    });
    // dataSync outside tf.tidy: a typed array returned from tidy is walked element by element
    // as a possible tensor container (measured: 11 s and 1.6 GB for one 1024 x 11757 block).
    let scores: Float32Array;
    try {
      scores = S.dataSync() as Float32Array;
    } finally {
      S.dispose();
    }
    rankScoreRows(scores, 0, this.n, batch, 0, count);
  }

  /** Free the entity tensor. */
  dispose(): void {
    this.et.dispose();
  }
}
