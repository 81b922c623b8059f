/**
 * Query vectors of a scorer for a chunk of triples: the fixed part of each triple folded into
 * one entity-shaped vector q, so that score(candidate e) = form(q, e) (see `RankForm`).
 */
import * as tf from '@tensorflow/tfjs';
import type { Scorer } from '../src/scorer';
import type { Direction } from './rank_batch';

/**
 * Rows `triples[3i + column]` for i in [start, end) of a row-major `table` (`width` floats per
 * row), gathered in JS into a new [end - start, width] Float32Array (fresh memory: some tfjs
 * backends keep the array they were given as the tensor's storage).
 */
export function gatherRows(
  table: Float32Array,
  width: number,
  triples: Int32Array,
  start: number,
  end: number,
  column: 0 | 1 | 2,
): Float32Array {
  const out = new Float32Array((end - start) * width);
  for (let i = start; i < end; i++) {
    const src = triples[3 * i + column] * width;
    out.set(table.subarray(src, src + width), (i - start) * width);
  }
  return out;
}

/** Tables and sizes the query computation needs. */
export interface QueryContext {
  scorer: Scorer;
  entities: Float32Array;
  relations: Float32Array;
  triples: Int32Array;
}

/**
 * Queries for triples [start, end) as a [end - start, entityWidth] tensor (caller disposes, or
 * calls inside tf.tidy): tail = scorer.queryTail(h, r), head = scorer.queryHead(r, t).
 * Throws if the scorer lacks the method or returns the wrong shape.
 */
export function queryTensor(ctx: QueryContext, direction: Direction, start: number, end: number): tf.Tensor2D {
  const { scorer, entities, relations, triples } = ctx;
  const b = end - start;
  const We = scorer.entityWidth;
  return tf.tidy(() => {
    const r = tf.tensor2d(gatherRows(relations, scorer.relationWidth, triples, start, end, 1), [b, scorer.relationWidth]);
    let q: tf.Tensor2D;
    if (direction === 'tail') {
      if (!scorer.queryTail) throw new Error(`scorer ${scorer.name} has no queryTail`);
      q = scorer.queryTail(tf.tensor2d(gatherRows(entities, We, triples, start, end, 0), [b, We]), r);
    } else {
      if (!scorer.queryHead) throw new Error(`scorer ${scorer.name} has no queryHead`);
      q = scorer.queryHead(r, tf.tensor2d(gatherRows(entities, We, triples, start, end, 2), [b, We]));
    }
    if (q.rank !== 2 || q.shape[0] !== b || q.shape[1] !== We) {
      throw new Error(`scorer ${scorer.name} query${direction === 'tail' ? 'Tail' : 'Head'} returned shape [${q.shape}], expected [${b},${We}]`);
    }
    return q.dtype === 'float32' ? q : q.toFloat();
  });
}

/**
 * Queries for triples [start, end) written into `out` (length >= (end - start) * entityWidth,
 * e.g. a SharedArrayBuffer view for worker threads). No tensor outlives the call.
 */
export function computeQueriesInto(
  ctx: QueryContext,
  direction: Direction,
  start: number,
  end: number,
  out: Float32Array,
): void {
  const q = queryTensor(ctx, direction, start, end);
  try {
    out.set(q.dataSync() as Float32Array);
  } finally {
    q.dispose();
  }
}
