/**
 * Ranking for `dot` and `l2` scorers with one dense matrix product per chunk of queries:
 * all n candidate scores of b queries as S = Q · E^T, [b, W] x [n, W]^T -> [b, n].
 */
import type { DenseHead, ScoreTable } from '../src/dense/head';
import { computeQueriesInto, type QueryContext } from './queries';
import { rankScoreRows, type RankBatch } from './rank_batch';

/**
 * Float budget of one [b, n] score block: 16M floats = 64 MB (the reused score buffer plus the
 * engine's own output; with tfjs the wasm heap grows to its peak and never shrinks).
 */
export const MATMUL_BLOCK_FLOATS = 16 * 1024 * 1024;

/** Largest chunk of queries whose [chunk, n] score block fits `MATMUL_BLOCK_FLOATS`. */
export function matmulChunkLimit(numEntities: number): number {
  return Math.max(1, Math.floor(MATMUL_BLOCK_FLOATS / Math.max(1, numEntities)));
}

/**
 * Ranks all entities for batches of queries by matrix product through the dense engine
 * (src/dense: onnxruntime, tfjs or plain JS); the engine prepares the entity table once per
 * evaluation (call `dispose`), and the [chunk, n] score block is one reused buffer.
 *
 * - `dot`: score(q, e) = q . e;  S = Q · E^T.
 * - `l2`:  the scorer's score is -||q - e||_2, a decreasing function of
 *          d^2 = ||q||^2 - 2 q.e + ||e||^2. Per row ||q||^2 is a constant, so ranking by
 *          s = 2 q.e - ||e||^2 (= ||q||^2 - d^2) gives the same order. It is done in a single
 *          product with augmented operands: [2Q | -1] · [E | ||e||^2]^T, width W+1
 *          (||e||^2 summed in float64, then rounded to float32).
 *          Precision caveat: s is accumulated in float32 and cancels (2 q.e and ||e||^2 are
 *          both O(||q||^2 + ||e||^2) while their difference can be tiny), so candidates whose
 *          squared distances to q differ by less than ~1e-7 (||q||^2 + ||e||^2) may be ordered
 *          wrongly or appear tied / untied; exact ties such as duplicate entity rows stay exact
 *          ties. Leaving out the constant ||q||^2 removes one cancelling term of the expansion. Use
 *          `method: 'loop'` (float64 sum of (q_k - e_k)^2) when this matters.
 */
export class MatMulRanker {
  private readonly table: ScoreTable;
  private readonly cols: number;
  private scoresBuf = new Float32Array(0);

  constructor(
    private readonly form: 'dot' | 'l2',
    entities: Float32Array,
    private readonly n: number,
    private readonly width: number,
    private readonly head: DenseHead,
  ) {
    this.cols = form === 'l2' ? width + 1 : width;
    let rows = entities;
    if (form === 'l2') {
      rows = new Float32Array(n * this.cols);
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0, o = j * width; k < width; k++) s += entities[o + k] * entities[o + k];
        rows.set(entities.subarray(j * width, (j + 1) * width), j * this.cols);
        rows[j * this.cols + width] = s;
      }
    }
    this.table = head.prepareScores(rows, n, this.cols);
  }

  /** Compute the queries of `batch` (via `ctx.scorer`), score all n candidates, rank, fill `batch.results`. */
  rank(ctx: QueryContext, batch: RankBatch): void {
    const { count } = batch;
    if (count === 0) return;
    const q = new Float32Array(count * this.width);
    computeQueriesInto(ctx, batch.direction, batch.start, batch.start + count, q);
    let Q = q;
    if (this.form === 'l2') {
      Q = new Float32Array(count * this.cols);
      for (let i = 0; i < count; i++) {
        for (let k = 0; k < this.width; k++) Q[i * this.cols + k] = 2 * q[i * this.width + k];
        Q[i * this.cols + this.width] = -1;
      }
    }
    if (this.scoresBuf.length < count * this.n) this.scoresBuf = new Float32Array(count * this.n);
    this.head.scores(this.table, Q, count, this.scoresBuf);
    rankScoreRows(this.scoresBuf, 0, this.n, batch, 0, count);
  }

  /** Free the engine's copy of the entity table. */
  dispose(): void {
    this.table.dispose();
  }
}
