/**
 * A batch of ranking queries in flat typed arrays: the unit of work every ranker (matmul,
 * JS loop in workers, broadcast fallback) consumes. Flat arrays because they can live in
 * SharedArrayBuffers and be handed to worker threads without copying.
 */
import type { FilterIndex } from '../src/filter';
import { NaNScoreError, RANK_SLOTS, rankRow } from './ranks';

/** Which side of the triple is predicted: `head` ranks all entities as h in (?, r, t), `tail` as t in (h, r, ?). */
export type Direction = 'head' | 'tail';

/**
 * Ranking work for triples [start, start + count) of a flat h,r,t triple array, one direction.
 * - trueIds[i]: the true answer of query i (h for head, t for tail).
 * - filterIds[filterOffsets[i] .. filterOffsets[i+1]): the sorted known true answers of query i
 *   (CSR layout; empty everywhere when unfiltered). May contain trueIds[i]; it is never excluded.
 * - results[3i .. 3i+3): written by the ranker: [optimistic, pessimistic, NaN candidates].
 */
export interface RankBatch {
  direction: Direction;
  start: number;
  count: number;
  trueIds: Int32Array;
  filterOffsets: Int32Array;
  filterIds: Int32Array;
  results: Int32Array;
}

/** An Int32Array of `length` zeros, backed by a SharedArrayBuffer when `shared`. */
export function newInt32(length: number, shared: boolean): Int32Array {
  return shared ? new Int32Array(new SharedArrayBuffer(length * 4)) : new Int32Array(length);
}

/** A Float32Array of `length` zeros, backed by a SharedArrayBuffer when `shared`. */
export function newFloat32(length: number, shared: boolean): Float32Array {
  return shared ? new Float32Array(new SharedArrayBuffer(length * 4)) : new Float32Array(length);
}

/**
 * The table itself if it already lives in a SharedArrayBuffer, else a copy in a new one, so
 * worker threads can read it without a per-worker copy (one extra table at most, once).
 */
export function toSharedFloat32(table: Float32Array): Float32Array {
  if (table.buffer instanceof SharedArrayBuffer) return table;
  const copy = newFloat32(table.length, true);
  copy.set(table);
  return copy;
}

/**
 * Build the batch of triples [start, end) of `triples` (flat h,r,t) for `direction`, with the
 * filter lists gathered from `filter` (undefined = unfiltered: no list). `shared` puts every
 * array in SharedArrayBuffers (for workers).
 */
export function makeRankBatch(
  triples: Int32Array,
  start: number,
  end: number,
  direction: Direction,
  filter: FilterIndex | undefined,
  shared: boolean,
): RankBatch {
  const count = end - start;
  const trueIds = newInt32(count, shared);
  const filterOffsets = newInt32(count + 1, shared);
  const lists: Int32Array[] = [];
  let total = 0;
  for (let i = 0; i < count; i++) {
    const o = 3 * (start + i);
    const h = triples[o];
    const r = triples[o + 1];
    const t = triples[o + 2];
    trueIds[i] = direction === 'tail' ? t : h;
    if (filter) {
      const list = direction === 'tail' ? filter.tails(h, r) : filter.heads(r, t);
      lists.push(list);
      total += list.length;
    }
    filterOffsets[i + 1] = total;
  }
  const filterIds = newInt32(total, shared);
  for (let i = 0; i < lists.length; i++) filterIds.set(lists[i], filterOffsets[i]);
  return { direction, start, count, trueIds, filterOffsets, filterIds, results: newInt32(count * RANK_SLOTS, shared) };
}

/**
 * Rank queries [from, to) of `batch` whose score rows are stored consecutively in `scores`:
 * row of query i = scores[rowsOffset + (i - from) * n .. + n). Writes batch.results.
 * A NaN true score is re-thrown with the triple index and direction, for the error message.
 */
export function rankScoreRows(
  scores: Float32Array | Float64Array,
  rowsOffset: number,
  n: number,
  batch: RankBatch,
  from: number,
  to: number,
): void {
  const { trueIds, filterOffsets, filterIds, results } = batch;
  let i = from;
  try {
    for (; i < to; i++) {
      const row = rowsOffset + (i - from) * n;
      rankRow(scores, row, n, trueIds[i], filterIds, filterOffsets[i], filterOffsets[i + 1], results, i * RANK_SLOTS);
    }
  } catch (err) {
    if (err instanceof NaNScoreError) {
      throw new NaNScoreError(trueIds[i], `${batch.direction} prediction of test triple #${batch.start + i}`);
    }
    throw err;
  }
}
