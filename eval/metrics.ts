/**
 * Rank-based link-prediction metrics (MR, MRR, Hits@k) from optimistic/pessimistic ranks,
 * following PyKEEN's RankBasedEvaluator defaults: every metric is computed on the
 * *realistic* rank r = (optimistic + pessimistic) / 2.
 */
import { realisticRank } from './ranks';

/** The k of the reported Hits@k. */
export const HITS_AT = [1, 3, 10] as const;

/**
 * Metrics over a set of realistic ranks r_1..r_m (m >= 1; all fields NaN when m = 0):
 * - mr      = (1/m) sum_i r_i                 mean rank, in [1, n]; lower is better
 * - mrr     = (1/m) sum_i 1 / r_i             mean reciprocal rank, in (0, 1]; higher is better
 * - hits@k  = (1/m) #{i : r_i <= k}           in [0, 1]; higher is better
 * Hits@k thresholds the fractional realistic rank exactly as PyKEEN does
 * (`np.less_equal(ranks, k).mean()`): a truth tied with one other candidate at positions 3-4
 * has r = 3.5 and is *not* a hit@3. This is a threshold on the expected rank, not the expected
 * hit rate under random tie-breaking (which would count it as half a hit); we keep PyKEEN's
 * choice so our numbers compare with published PyKEEN results.
 */
export type RankMetrics = { mr: number; mrr: number; 'hits@1': number; 'hits@3': number; 'hits@10': number };

/** MRR computed on the optimistic and pessimistic ranks: bounds around the realistic MRR. */
export type MrrBounds = { optimistic: number; pessimistic: number };

/**
 * Result of a link-prediction evaluation.
 * - head: ranks of the true head among all entities for (?, r, t); tail: of the true tail for
 *   (h, r, ?); both: the two sets of ranks pooled (PyKEEN's `both` side), i.e. the mean over
 *   2 * count ranks. A direction that was not evaluated has NaN metrics (and `both` pools
 *   only the evaluated ones).
 * - count: number of test triples evaluated (not ranks).
 * - seconds: wall-clock time of the evaluation.
 * - filtered: whether other known true answers were removed from the candidates.
 * - mrrBounds (extra, for reference): optimistic and pessimistic MRR; a large gap means many
 *   tied scores (e.g. a collapsed model), so the realistic numbers rest on tie handling.
 * - nanCandidates (extra): number of (rank, candidate) pairs whose score was NaN; each was
 *   counted as beating the truth. Nonzero means the model is broken.
 */
export type LinkPredictionMetrics = {
  head: RankMetrics;
  tail: RankMetrics;
  both: RankMetrics;
  count: number;
  seconds: number;
  filtered: boolean;
  mrrBounds?: { head: MrrBounds; tail: MrrBounds; both: MrrBounds };
  nanCandidates?: number;
};

/**
 * The ranks of one direction for every evaluated triple, in triple order:
 * optimistic[i], pessimistic[i] as defined in `rankRow`; nanCandidates is the total over triples.
 */
export interface DirectionRanks {
  optimistic: Int32Array;
  pessimistic: Int32Array;
  nanCandidates: number;
}

/** Per-direction ranks of an evaluation; a direction that was not evaluated is absent. */
export interface LinkPredictionRanks {
  head?: DirectionRanks;
  tail?: DirectionRanks;
}

/**
 * Running sums for the metrics of `RankMetrics`, fed one (optimistic, pessimistic) pair at a
 * time. Sums are float64 and added in call order, so the same ranks in the same order give
 * bit-identical metrics (the evaluator always adds in triple order, whatever the worker count).
 */
export class RankAccumulator {
  private m = 0;
  private sumRank = 0;
  private sumInv = 0;
  private sumInvOptimistic = 0;
  private sumInvPessimistic = 0;
  private readonly hits = new Float64Array(HITS_AT.length);

  /** Add one rank pair (one-based integers, optimistic <= pessimistic). */
  add(optimistic: number, pessimistic: number): void {
    const r = realisticRank(optimistic, pessimistic);
    this.m++;
    this.sumRank += r;
    this.sumInv += 1 / r;
    this.sumInvOptimistic += 1 / optimistic;
    this.sumInvPessimistic += 1 / pessimistic;
    for (let i = 0; i < HITS_AT.length; i++) if (r <= HITS_AT[i]) this.hits[i]++;
  }

  /** Add every pair of a direction's ranks, in order. */
  addAll(ranks: DirectionRanks): void {
    for (let i = 0; i < ranks.optimistic.length; i++) this.add(ranks.optimistic[i], ranks.pessimistic[i]);
  }

  /** Number of ranks added. */
  get count(): number {
    return this.m;
  }

  /** MR, MRR and Hits@k on the realistic ranks (NaN when empty). */
  metrics(): RankMetrics {
    const m = this.m;
    return {
      mr: this.sumRank / m,
      mrr: this.sumInv / m,
      'hits@1': this.hits[0] / m,
      'hits@3': this.hits[1] / m,
      'hits@10': this.hits[2] / m,
    };
  }

  /** MRR on the optimistic and on the pessimistic ranks (NaN when empty). */
  mrrBounds(): MrrBounds {
    return { optimistic: this.sumInvOptimistic / this.m, pessimistic: this.sumInvPessimistic / this.m };
  }
}

/**
 * Metrics of an evaluation from its per-direction ranks. `count` = triples evaluated,
 * `seconds` = wall time, `filtered` = whether a filter was applied. `both` pools head ranks
 * (in triple order) then tail ranks.
 */
export function summariseRanks(
  ranks: LinkPredictionRanks,
  info: { count: number; seconds: number; filtered: boolean },
): LinkPredictionMetrics {
  const head = new RankAccumulator();
  const tail = new RankAccumulator();
  const both = new RankAccumulator();
  if (ranks.head) {
    head.addAll(ranks.head);
    both.addAll(ranks.head);
  }
  if (ranks.tail) {
    tail.addAll(ranks.tail);
    both.addAll(ranks.tail);
  }
  return {
    head: head.metrics(),
    tail: tail.metrics(),
    both: both.metrics(),
    count: info.count,
    seconds: info.seconds,
    filtered: info.filtered,
    mrrBounds: { head: head.mrrBounds(), tail: tail.mrrBounds(), both: both.mrrBounds() },
    nanCandidates: (ranks.head?.nanCandidates ?? 0) + (ranks.tail?.nanCandidates ?? 0),
  };
}
