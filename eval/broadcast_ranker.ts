/**
 * Generic ranking fallback for any `Scorer`: candidate scores straight from `scorer.score`
 * by broadcasting, with no assumption on the scorer's form. Slow (it materialises
 * [b, c, W]-sized intermediates) but correct by construction; also the reference the fast
 * paths are tested against.
 */
import * as tf from '@tensorflow/tfjs';
import type { Scorer } from '../src/scorer';
import { gatherRows, type QueryContext } from './queries';
import { rankScoreRows, type RankBatch } from './rank_batch';

/** Float budget of one [b, c, W] broadcast intermediate: 4M floats = 16 MB. */
export const BROADCAST_BLOCK_FLOATS = 4 * 1024 * 1024;

/**
 * Ranks by scoring every candidate with `scorer.score`:
 *   tail: score(h [b,1,We], r [b,1,Wr], E[c0:c1] [1,c,We]) -> [b, c]
 *   head: score(E[c0:c1] [1,c,We], r [b,1,Wr], t [b,1,We]) -> [b, c]
 * over candidate chunks of c = BROADCAST_BLOCK_FLOATS / (b * We) entities, assembled into
 * [b, n] rows in JS and ranked. Holds the entity table as a tensor; call `dispose`.
 */
export class BroadcastRanker {
  private readonly table: tf.Tensor2D;

  constructor(
    private readonly scorer: Scorer,
    entities: Float32Array,
    private readonly n: number,
  ) {
    this.table = tf.tensor2d(entities, [n, scorer.entityWidth]);
  }

  /** Score all n candidates for every query of `batch` and fill `batch.results`. */
  rank(ctx: QueryContext, batch: RankBatch): void {
    const { scorer, n } = this;
    const b = batch.count;
    if (b === 0) return;
    const We = scorer.entityWidth;
    const Wr = scorer.relationWidth;
    const end = batch.start + b;
    const scores = new Float32Array(b * n);
    const c = Math.max(1, Math.min(n, Math.floor(BROADCAST_BLOCK_FLOATS / (b * Math.max(We, Wr)))));
    const fixed = tf.tidy(() => {
      const r = tf.tensor3d(gatherRows(ctx.relations, Wr, ctx.triples, batch.start, end, 1), [b, 1, Wr]);
      const column = batch.direction === 'tail' ? 0 : 2;
      const e = tf.tensor3d(gatherRows(ctx.entities, We, ctx.triples, batch.start, end, column), [b, 1, We]);
      return [r, e] as const;
    });
    try {
      const [r, e] = fixed;
      for (let c0 = 0; c0 < n; c0 += c) {
        const cc = Math.min(c, n - c0);
        const s = tf.tidy(() => {
          const cand = this.table.slice([c0, 0], [cc, We]).reshape([1, cc, We]);
          return batch.direction === 'tail' ? scorer.score(e, r, cand) : scorer.score(cand, r, e);
        });
        let block: Float32Array;
        try {
          if (s.rank !== 2 || s.shape[0] !== b || s.shape[1] !== cc) {
            throw new Error(`scorer ${scorer.name}.score broadcast to shape [${s.shape}], expected [${b},${cc}]`);
          }
          // dataSync outside tf.tidy: tidy would walk a returned typed array element by element.
          block = s.dataSync() as Float32Array;
        } finally {
          s.dispose();
        }
        for (let i = 0; i < b; i++) scores.set(block.subarray(i * cc, (i + 1) * cc), i * n + c0);
      }
    } finally {
      fixed[0].dispose();
      fixed[1].dispose();
    }
    rankScoreRows(scores, 0, n, batch, 0, b);
  }

  /** Free the entity tensor. */
  dispose(): void {
    this.table.dispose();
  }
}
