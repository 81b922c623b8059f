import * as tf from '@tensorflow/tfjs';
import type { Scorer } from '../scorer';

/**
 * The 1-vs-all query Q [B, We] of a batch that mixes tail and head queries, differentiable:
 * row i is queryTail(a_i, r_i) where side_i = 1 (predict the tail) and queryHead(r_i, a_i) with
 * the anchor as the tail where side_i = 0. `side` is [B, 1] of 0/1; `allTail` (every side 1,
 * e.g. with reciprocal relations) skips the head query.
 */
export function mixedQuery(scorer: Scorer, anchors: tf.Tensor2D, relations: tf.Tensor2D, side: tf.Tensor2D, allTail: boolean): tf.Tensor2D {
  if (allTail) return scorer.queryTail!(anchors, relations);
  return tf.add(tf.mul(side, scorer.queryTail!(anchors, relations)), tf.mul(tf.sub(1, side), scorer.queryHead!(relations, anchors))) as tf.Tensor2D;
}

/** [B, 1] float sides of the first B queries and whether all of them are tail queries. */
export function querySides(tailSide: Uint8Array, B: number): { side: tf.Tensor2D; allTail: boolean } {
  const sides = tailSide.subarray(0, B);
  return { side: tf.tensor2d(Float32Array.from(sides), [B, 1]), allTail: sides.every((s) => s === 1) };
}
