/** Link-prediction evaluation: public entry points (see link_prediction.ts for the strategy). */
export { evaluateLinkPrediction, rankLinkPrediction, resolveMethod, DEFAULT_BATCH } from './link_prediction';
export type { EvalMethod, LinkPredictionOptions } from './link_prediction';
export { RankAccumulator, summariseRanks, HITS_AT } from './metrics';
export type { RankMetrics, LinkPredictionMetrics, LinkPredictionRanks, DirectionRanks, MrrBounds } from './metrics';
export { computeRank, rankRow, realisticRank, NaNScoreError, RANK_SLOTS } from './ranks';
export type { RankResult } from './ranks';
export type { Direction } from './rank_batch';
