import * as tf from '@tensorflow/tfjs';
import type { Scorer } from '../scorer';

/**
 * Evaluation view of a model trained with reciprocal relations (Lacroix et al. 2018): head
 * prediction (?, r, t) is answered as tail prediction (t, r^-1, ?). Relation rows of this view
 * are [r | r^-1] concatenated, built by `reciprocalRelationTable`, so that any evaluator that
 * calls queryTail/queryHead ranks exactly as the model was trained.
 */
export function reciprocalView(inner: Scorer): Scorer {
  const Wr = inner.relationWidth;
  const forward = (r: tf.Tensor): tf.Tensor => tf.slice(r, Array(r.rank).fill(0), [...r.shape.slice(0, -1), Wr]);
  const inverse = (r: tf.Tensor): tf.Tensor => tf.slice(r, [...Array(r.rank - 1).fill(0), Wr], [...r.shape.slice(0, -1), Wr]);
  if (!inner.queryTail) throw new Error(`reciprocal relations need a scorer with queryTail; '${inner.name}' has none`);
  return {
    name: `${inner.name}+reciprocal`,
    entityWidth: inner.entityWidth,
    relationWidth: 2 * Wr,
    rankForm: inner.rankForm,
    // Scoring a whole triple uses the forward relation (the tail-prediction view).
    score: (h, r, t) => inner.score(h, forward(r), t),
    queryTail: (h, r) => inner.queryTail!(h, forward(r) as tf.Tensor2D),
    queryHead: (r, t) => inner.queryTail!(t, inverse(r) as tf.Tensor2D),
    initEntities: (table, rows, rng) => inner.initEntities(table, rows, rng),
    initRelations: (table, rows, rng) => inner.initRelations(table, rows, rng),
  };
}

/** Rows [R[r] | R[r + numRelations]] for r < numRelations, from a table with 2 * numRelations rows. */
export function reciprocalRelationTable(relations: Float32Array, numRelations: number, width: number): Float32Array {
  const out = new Float32Array(new SharedArrayBuffer(numRelations * 2 * width * 4));
  for (let r = 0; r < numRelations; r++) {
    out.set(relations.subarray(r * width, (r + 1) * width), 2 * r * width);
    out.set(relations.subarray((r + numRelations) * width, (r + numRelations + 1) * width), (2 * r + 1) * width);
  }
  return out;
}
