/**
 * Rank of the true candidate in one row of scores, with PyKEEN's tie semantics
 * (pykeen/evaluation/ranks.py, `compute_rank_from_scores`), filtered ranking (Bordes et al.
 * 2013) and an explicit NaN policy.
 *
 * Sign convention: higher score = more plausible; rank 1 = best.
 */

/** Number of Int32 slots `rankRow` writes per row: optimistic, pessimistic, NaN candidates. */
export const RANK_SLOTS = 3;

/** Ranks of one true candidate (see `rankRow` for the definitions). */
export interface RankResult {
  /** 1 + #{candidates scored strictly better than the truth}: ties resolved in the truth's favour. */
  optimistic: number;
  /** 1 + #{other candidates scored at least as well as the truth}: ties resolved against it. */
  pessimistic: number;
  /** (optimistic + pessimistic) / 2: the expected rank over random orders of the tied candidates. */
  realistic: number;
  /** Candidates (not filtered out) whose score was NaN; each counted as better than the truth. */
  nanCandidates: number;
}

/** Raised when the true candidate's score is NaN: no rank can be given, so none is made up. */
export class NaNScoreError extends Error {
  constructor(trueIndex: number, context?: string) {
    super(
      `the true candidate ${trueIndex} has a NaN score${context ? ` (${context})` : ''}: ` +
        'the model produced NaN (diverged training, NaN/Inf embeddings or a scorer bug); refusing to rank it',
    );
    this.name = 'NaNScoreError';
  }
}

/**
 * Filtered optimistic/pessimistic ranks of `scores[offset + trueIndex]` among the `n` scores
 * `scores[offset .. offset + n)`, written to `out[outOffset .. outOffset + 3)` as
 * `[optimistic, pessimistic, nanCandidates]` (no allocation: this is the evaluation hot path).
 *
 * Let t = score of the truth, C = all candidates except the truth and except the filtered ids
 * `filterIds[filterStart .. filterEnd)` (other known true answers; the truth itself may be in
 * the list and is never excluded). Then
 *   optimistic  = 1 + #{c in C : s_c > t}  + #{c in C : s_c is NaN}
 *   pessimistic = 1 + #{c in C : s_c >= t} + #{c in C : s_c is NaN}
 * and realistic = (optimistic + pessimistic) / 2 (computed by the caller, `realisticRank`).
 *
 * Why NaN counts as better: `NaN > t` is false, so a naive count would rank the truth first
 * whenever the model emits NaN, silently inflating the metrics (a diverged model would score
 * MRR 1). Counting NaN candidates as beating the truth makes NaN output look as bad as it is,
 * and the count is reported. A NaN true score throws `NaNScoreError`.
 *
 * Method: one pass over all n scores (including the truth, exactly like PyKEEN's
 * `(all_scores >= true_score).sum()`), then the filtered ids' contributions are subtracted:
 * O(n + |filter|), no mask array. `filterIds` must be sorted ascending (duplicates are skipped;
 * an unsorted list or an id outside [0, n) throws).
 */
export function rankRow(
  scores: Float32Array | Float64Array,
  offset: number,
  n: number,
  trueIndex: number,
  filterIds: Int32Array,
  filterStart: number,
  filterEnd: number,
  out: Int32Array,
  outOffset: number,
): void {
  if (!(trueIndex >= 0 && trueIndex < n)) throw new RangeError(`true candidate ${trueIndex} is outside [0, ${n})`);
  // The score of the true candidate; every other score is compared against it.
  const t = scores[offset + trueIndex];
  // A NaN truth cannot be ranked: comparisons with NaN are all false, which would give rank 1.
  if (t !== t) throw new NaNScoreError(trueIndex);
  // better = #{s > t}: the optimistic rank counts only strictly better candidates.
  let better = 0;
  // atLeast = #{s >= t}: the pessimistic rank also counts ties; this includes the truth itself,
  // which supplies the "+1" of a one-based rank (PyKEEN: pessimistic = (all >= true).sum()).
  let atLeast = 0;
  // nan = #{s is NaN}: neither comparison counts them, so they are tallied separately.
  let nan = 0;
  const end = offset + n;
  for (let j = offset; j < end; j++) {
    const s = scores[j];
    // Branch-free counts: unary + turns the comparison into 0 or 1.
    better += +(s > t);
    atLeast += +(s >= t);
    // Only NaN is not equal to itself.
    nan += +(s !== s);
  }
  // Filtered setting: known true answers other than the one being ranked are not errors, so
  // their contributions are taken back out (PyKEEN sets their scores to NaN before counting,
  // which has the same effect because NaN compares false there).
  let prev = -1;
  for (let i = filterStart; i < filterEnd; i++) {
    const f = filterIds[i];
    if (f >= n || f < 0) throw new RangeError(`filter id ${f} is outside [0, ${n})`);
    // A duplicate id in the sorted list must not be subtracted twice.
    if (f === prev) continue;
    if (f < prev) throw new RangeError(`filter ids must be sorted ascending (found ${f} after ${prev})`);
    prev = f;
    // Never exclude the truth itself, even when the list contains it.
    if (f === trueIndex) continue;
    const s = scores[offset + f];
    better -= +(s > t);
    atLeast -= +(s >= t);
    nan -= +(s !== s);
  }
  // Optimistic rank: the number of strictly better candidates, plus one (ranks are one-based),
  // NaN candidates counted as better.
  out[outOffset] = 1 + better + nan;
  // Pessimistic rank: the number of candidates at least as good, the truth included (the +1),
  // NaN candidates counted as better.
  out[outOffset + 1] = atLeast + nan;
  out[outOffset + 2] = nan;
}

/**
 * The realistic rank (PyKEEN): the mean of the optimistic and pessimistic ranks, i.e. the
 * expected rank when the truth is placed uniformly at random among its ties. Fractional
 * (x.5) when the number of ties is odd.
 */
export function realisticRank(optimistic: number, pessimistic: number): number {
  return (optimistic + pessimistic) * 0.5;
}

const EMPTY = new Int32Array(0);

/**
 * Convenience form of `rankRow` for one whole row (allocates its result; use `rankRow` in loops).
 * `scores`: the n candidate scores (higher = better); `trueIndex`: the true candidate;
 * `filtered`: sorted ids of other known true answers (may include `trueIndex`; default none).
 */
export function computeRank(
  scores: Float32Array | Float64Array,
  trueIndex: number,
  filtered: Int32Array = EMPTY,
): RankResult {
  const out = new Int32Array(RANK_SLOTS);
  rankRow(scores, 0, scores.length, trueIndex, filtered, 0, filtered.length, out, 0);
  return { optimistic: out[0], pessimistic: out[1], realistic: realisticRank(out[0], out[1]), nanCandidates: out[2] };
}
