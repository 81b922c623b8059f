/**
 * Filtered link-prediction evaluation (Bordes et al. 2013, PyKEEN semantics): for every test
 * triple (h, r, t), rank the true tail among all entities for (h, r, ?) and the true head for
 * (?, r, t), other known true answers filtered out, and summarise into MR / MRR / Hits@k.
 *
 * Strategy by `scorer.rankForm` (memory bounded: the [chunk, n] score block stays <= 64 MB):
 * - `dot`, `l2`:          one matrix product per chunk in the dense engine (matmul_ranker.ts, src/dense);
 * - `l1`, `complex-l1`:   kernels on worker threads over SharedArrayBuffer tables (kernel_pool.ts):
 *                         WebAssembly SIMD (simd_l1.ts, simd_complex_l1.ts);
 * - no rankForm (or no queryTail/queryHead): generic `scorer.score` broadcast (broadcast_ranker.ts).
 * Queries are always computed in the main thread with tfjs (`queryTail` / `queryHead`).
 */
import * as os from 'node:os';
import type { FilterIndex } from '../src/filter';
import type { Scorer } from '../src/scorer';
import { BroadcastRanker } from './broadcast_ranker';
import { KernelPool } from './kernel_pool';
import { MatMulRanker, matmulChunkLimit } from './matmul_ranker';
import type { DenseHead } from '../src/dense/head';
import { selectDenseHead } from '../src/dense/select';
import { summariseRanks, type DirectionRanks, type LinkPredictionMetrics, type LinkPredictionRanks } from './metrics';
import { computeQueriesInto } from './queries';
import { RANK_SLOTS } from './ranks';
import { makeRankBatch, newFloat32, toSharedFloat32, type Direction, type RankBatch } from './rank_batch';

/**
 * How candidate scores are computed:
 * - auto:      by rankForm (see the module comment);
 * - matmul:    dense-engine matrix product ('dot' and 'l2' only; l2 in float32, see MatMulRanker);
 * - loop:      kernels on worker threads (any rankForm; float64 accumulation, exact ties;
 *              complex-l1 terms in float32, see simd_complex_l1.ts);
 * - broadcast: generic `scorer.score` fallback (any scorer).
 */
export type EvalMethod = 'auto' | 'matmul' | 'loop' | 'broadcast';

/** Options of `evaluateLinkPrediction` / `rankLinkPrediction`. */
export interface LinkPredictionOptions {
  scorer: Scorer;
  /** Row-major [numEntities, scorer.entityWidth]; may be backed by a SharedArrayBuffer (then not copied). */
  entities: Float32Array;
  /** Row-major [numRelations, scorer.relationWidth]. */
  relations: Float32Array;
  numEntities: number;
  numRelations: number;
  /** Test triples, flat [h0, r0, t0, h1, ...]. */
  triples: Int32Array;
  /** Known true triples to filter out (train + valid + test); undefined = unfiltered ranking. */
  filter?: FilterIndex;
  /**
   * Triples per chunk (one tfjs call / one worker dispatch). Defaults: matmul 512, loop 2048,
   * broadcast 64. The matmul chunk is also capped so that chunk * numEntities floats <= 16M (64 MB).
   */
  batchSize?: number;
  /** Worker threads for the loop path; default os.availableParallelism(); 0 = in the main thread. */
  workers?: number;
  /** Called after each chunk with (ranks done, ranks total); total = triples x directions. */
  onProgress?: (done: number, total: number) => void;
  /** Which sides to predict; default both ['head', 'tail']. */
  directions?: Direction[];
  /** Force a scoring method (default 'auto'). */
  method?: EvalMethod;
  /** Dense engine of the matmul path (default: onnxruntime on CPU where it loads, else tfjs). */
  engine?: DenseHead;
}

/** Default chunk sizes per method (see LinkPredictionOptions.batchSize). */
export const DEFAULT_BATCH = { matmul: 512, loop: 2048, broadcast: 64 } as const;

/**
 * The concrete method `auto` resolves to for `scorer` (or validates an explicit choice):
 * broadcast when the scorer has no rankForm or lacks a query method for a requested direction.
 */
export function resolveMethod(scorer: Scorer, method: EvalMethod = 'auto', directions: readonly Direction[] = ['head', 'tail']): Exclude<EvalMethod, 'auto'> {
  if (method === 'broadcast') return method;
  const form = scorer.rankForm;
  const hasQueries = directions.every((d) => (d === 'tail' ? scorer.queryTail : scorer.queryHead) !== undefined);
  if (method === 'auto') {
    if (!form || !hasQueries) return 'broadcast';
    return form === 'dot' || form === 'l2' ? 'matmul' : 'loop';
  }
  if (!form) throw new Error(`method '${method}' needs a scorer with a rankForm; ${scorer.name} has none`);
  if (!hasQueries) throw new Error(`method '${method}' needs queryTail/queryHead; ${scorer.name} lacks one`);
  if (method === 'matmul' && form !== 'dot' && form !== 'l2') throw new Error(`method 'matmul' supports rankForm dot and l2, not ${form}`);
  if (method !== 'matmul' && method !== 'loop') throw new Error(`unknown evaluation method '${method as string}'`);
  return method;
}

function validate(opts: LinkPredictionOptions, directions: readonly Direction[]): void {
  const { scorer, entities, relations, numEntities: n, numRelations: nr, triples, filter } = opts;
  if (!Number.isInteger(n) || n < 1) throw new Error(`numEntities must be a positive integer, got ${n}`);
  if (!Number.isInteger(nr) || nr < 1) throw new Error(`numRelations must be a positive integer, got ${nr}`);
  if (entities.length !== n * scorer.entityWidth) {
    throw new Error(`entity table has ${entities.length} floats, expected ${n} x ${scorer.entityWidth}`);
  }
  if (relations.length !== nr * scorer.relationWidth) {
    throw new Error(`relation table has ${relations.length} floats, expected ${nr} x ${scorer.relationWidth}`);
  }
  if (triples.length % 3 !== 0) throw new Error(`triples length ${triples.length} is not a multiple of 3`);
  for (let i = 0; i < triples.length; i += 3) {
    const h = triples[i], r = triples[i + 1], t = triples[i + 2];
    if (!(h >= 0 && h < n && t >= 0 && t < n && r >= 0 && r < nr)) {
      throw new Error(`test triple #${i / 3} (${h}, ${r}, ${t}) has an id outside the ${n} entities / ${nr} relations`);
    }
  }
  if (filter && (filter.numEntities !== n || filter.numRelations !== nr)) {
    throw new Error(`filter index is for ${filter.numEntities} entities / ${filter.numRelations} relations, not ${n} / ${nr}`);
  }
  if (directions.length === 0) throw new Error('directions must name at least one of head, tail');
  for (const d of directions) if (d !== 'head' && d !== 'tail') throw new Error(`unknown direction '${d as string}'`);
  if (new Set(directions).size !== directions.length) throw new Error('directions must not repeat');
  if (opts.batchSize !== undefined && !(Number.isInteger(opts.batchSize) && opts.batchSize >= 1)) {
    throw new Error(`batchSize must be a positive integer, got ${opts.batchSize}`);
  }
  if (opts.workers !== undefined && !(Number.isInteger(opts.workers) && opts.workers >= 0)) {
    throw new Error(`workers must be an integer >= 0, got ${opts.workers}`);
  }
}

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Optimistic and pessimistic filtered ranks of every test triple, per requested direction, in
 * triple order (see `rankRow`). Deterministic: independent of batchSize and worker count.
 * Throws NaNScoreError if a true score is NaN; NaN candidates are counted as beating the truth.
 */
export async function rankLinkPrediction(opts: LinkPredictionOptions): Promise<LinkPredictionRanks> {
  const directions = opts.directions ?? ['head', 'tail'];
  validate(opts, directions);
  const { scorer, numEntities: n, triples, filter } = opts;
  const W = scorer.entityWidth;
  const method = resolveMethod(scorer, opts.method, directions);
  const m = triples.length / 3;
  const total = m * directions.length;
  const ctx = { scorer, entities: opts.entities, relations: opts.relations, triples };
  const ranks: LinkPredictionRanks = {};
  let done = 0;

  // One ranker per evaluation, shared by both directions; each owns resources freed below.
  let rankBatch: (batch: RankBatch) => Promise<void>;
  let release: () => Promise<void>;
  let batchSize: number;
  let shared = false;
  if (method === 'matmul') {
    const head = opts.engine ?? selectDenseHead('auto');
    const ranker = new MatMulRanker(scorer.rankForm as 'dot' | 'l2', opts.entities, n, W, head);
    rankBatch = async (batch) => {
      ranker.rank(ctx, batch);
      await nextTick();
    };
    release = async () => {
      ranker.dispose();
      if (!opts.engine) head.dispose();
    };
    batchSize = Math.min(opts.batchSize ?? DEFAULT_BATCH.matmul, matmulChunkLimit(n));
  } else if (method === 'broadcast') {
    const ranker = new BroadcastRanker(scorer, opts.entities, n);
    rankBatch = async (batch) => {
      ranker.rank(ctx, batch);
      await nextTick();
    };
    release = async () => ranker.dispose();
    batchSize = opts.batchSize ?? DEFAULT_BATCH.broadcast;
  } else {
    const workers = opts.workers ?? os.availableParallelism();
    shared = workers > 0;
    const table = shared ? toSharedFloat32(opts.entities) : opts.entities;
    const pool = new KernelPool(scorer.rankForm!, table, n, W, workers);
    rankBatch = async (batch) => {
      const queries = newFloat32(batch.count * W, shared);
      computeQueriesInto(ctx, batch.direction, batch.start, batch.start + batch.count, queries);
      await pool.run(batch, queries);
    };
    release = () => pool.close();
    batchSize = opts.batchSize ?? DEFAULT_BATCH.loop;
  }

  try {
    for (const direction of directions) {
      const out: DirectionRanks = { optimistic: new Int32Array(m), pessimistic: new Int32Array(m), nanCandidates: 0 };
      for (let start = 0; start < m; start += batchSize) {
        const end = Math.min(m, start + batchSize);
        const batch = makeRankBatch(triples, start, end, direction, filter, shared);
        await rankBatch(batch);
        const res = batch.results;
        for (let i = 0; i < batch.count; i++) {
          out.optimistic[start + i] = res[i * RANK_SLOTS];
          out.pessimistic[start + i] = res[i * RANK_SLOTS + 1];
          out.nanCandidates += res[i * RANK_SLOTS + 2];
        }
        done += batch.count;
        opts.onProgress?.(done, total);
      }
      ranks[direction] = out;
    }
  } finally {
    await release();
  }
  return ranks;
}

/**
 * Filtered (or, without `filter`, raw) link-prediction metrics of `scorer` with the given
 * tables on `triples`: MR, MRR, Hits@1/3/10 on realistic ranks, per direction and pooled
 * (see LinkPredictionMetrics). Frees every tensor it creates; terminates its workers.
 */
export async function evaluateLinkPrediction(opts: LinkPredictionOptions): Promise<LinkPredictionMetrics> {
  const t0 = process.hrtime.bigint();
  const ranks = await rankLinkPrediction(opts);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return summariseRanks(ranks, { count: opts.triples.length / 3, seconds, filtered: opts.filter !== undefined });
}
