/**
 * The worker threads' score kernels: scores of a few query vectors against every entity row.
 * `makeBlockScorer` picks one per form: WebAssembly SIMD for l1 (simd_l1.ts, float64, the same
 * floats as a plain loop) and complex-l1 (simd_complex_l1.ts, float32 terms, float64 sums); the
 * typed-array loops below for l2 and dot (`method: 'loop'`), in float64 accumulators (exact
 * enough that float rounding does not create or break ties the way float32 can).
 *
 * Tables are row-major Float32Arrays: E = [n, W] entities, Q = [queries, W]. A score row for
 * query i is out[i*n .. i*n + n). Higher score = better, so distances are negated.
 *
 * Speed: V8 does not vectorise, so the blocked loops load each entity coordinate once and reuse
 * it for 8 queries (for l1 this measured ~2.4x faster than one query at a time). The blocked and
 * 1-query loops perform the same floating-point operations in the same order per (query,
 * entity), so a row's scores never depend on how queries were grouped (worker-count independence).
 */
import type { RankForm } from '../src/scorer';
import { rankScoreRows, type RankBatch } from './rank_batch';
import { SimdComplexL1 } from './simd_complex_l1';
import { SimdL1 } from './simd_l1';

/** Queries scored together by one pass over the entity table. */
export const KERNEL_BLOCK = 8;

/**
 * Score rows of queries [q0, q0 + m) (m <= KERNEL_BLOCK) of Q against all n entities of E,
 * written to out[i*n + j] for i < m, j < n (out.length >= m * n):
 * - dot:        sum_k q_k e_k
 * - l2:         -sum_k (q_k - e_k)^2   (negative *squared* distance: same order as -||q - e||_2)
 */
function scoreBlock(
  form: RankForm,
  E: Float32Array,
  n: number,
  W: number,
  Q: Float32Array,
  q0: number,
  m: number,
  out: Float64Array,
): void {
  if (m === KERNEL_BLOCK) {
    const o = q0 * W;
    if (form === 'l2') return l2Block8(E, n, W, Q, o, out);
    return dotBlock8(E, n, W, Q, o, out);
  }
  for (let i = 0; i < m; i++) scoreOne(form, E, n, W, Q, (q0 + i) * W, out, i * n);
}

/** One query (at float offset qo of Q) against all entities into out[oo .. oo + n). */
function scoreOne(form: RankForm, E: Float32Array, n: number, W: number, Q: Float32Array, qo: number, out: Float64Array, oo: number): void {
  for (let j = 0; j < n; j++) {
    const eo = j * W;
    let a = 0;
    if (form === 'l2') {
      for (let k = 0; k < W; k++) {
        const x = Q[qo + k] - E[eo + k];
        a += x * x;
      }
      a = -a;
    } else {
      for (let k = 0; k < W; k++) a += Q[qo + k] * E[eo + k];
    }
    out[oo + j] = a;
  }
}

function l2Block8(E: Float32Array, n: number, W: number, Q: Float32Array, o0: number, out: Float64Array): void {
  const o1 = o0 + W, o2 = o1 + W, o3 = o2 + W, o4 = o3 + W, o5 = o4 + W, o6 = o5 + W, o7 = o6 + W;
  for (let j = 0; j < n; j++) {
    const eo = j * W;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    for (let k = 0; k < W; k++) {
      const e = E[eo + k];
      let x = Q[o0 + k] - e; a0 += x * x;
      x = Q[o1 + k] - e; a1 += x * x;
      x = Q[o2 + k] - e; a2 += x * x;
      x = Q[o3 + k] - e; a3 += x * x;
      x = Q[o4 + k] - e; a4 += x * x;
      x = Q[o5 + k] - e; a5 += x * x;
      x = Q[o6 + k] - e; a6 += x * x;
      x = Q[o7 + k] - e; a7 += x * x;
    }
    out[j] = -a0; out[n + j] = -a1; out[2 * n + j] = -a2; out[3 * n + j] = -a3;
    out[4 * n + j] = -a4; out[5 * n + j] = -a5; out[6 * n + j] = -a6; out[7 * n + j] = -a7;
  }
}

function dotBlock8(E: Float32Array, n: number, W: number, Q: Float32Array, o0: number, out: Float64Array): void {
  const o1 = o0 + W, o2 = o1 + W, o3 = o2 + W, o4 = o3 + W, o5 = o4 + W, o6 = o5 + W, o7 = o6 + W;
  for (let j = 0; j < n; j++) {
    const eo = j * W;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    for (let k = 0; k < W; k++) {
      const e = E[eo + k];
      a0 += Q[o0 + k] * e;
      a1 += Q[o1 + k] * e;
      a2 += Q[o2 + k] * e;
      a3 += Q[o3 + k] * e;
      a4 += Q[o4 + k] * e;
      a5 += Q[o5 + k] * e;
      a6 += Q[o6 + k] * e;
      a7 += Q[o7 + k] * e;
    }
    out[j] = a0; out[n + j] = a1; out[2 * n + j] = a2; out[3 * n + j] = a3;
    out[4 * n + j] = a4; out[5 * n + j] = a5; out[6 * n + j] = a6; out[7 * n + j] = a7;
  }
}

/** Scores blocks of up to KERNEL_BLOCK queries against one entity table (one per thread). */
export interface BlockScorer {
  /** Entities per score row. */
  readonly n: number;
  /** Score rows of the last block: row i at scores[i*n .. i*n + n). */
  readonly scores: Float64Array;
  /** Score queries [q0, q0 + m) of Q ([*, W] row-major), 1 <= m <= KERNEL_BLOCK. */
  score(Q: Float32Array, q0: number, m: number): void;
}

/**
 * The kernel for `form` over the [n, W] table E: WebAssembly SIMD for l1 and complex-l1 (they
 * copy E into their own memory), the typed-array loops above for l2 and dot.
 */
export function makeBlockScorer(form: RankForm, E: Float32Array, n: number, W: number): BlockScorer {
  if (form === 'complex-l1') return new SimdComplexL1(E, n, W, KERNEL_BLOCK);
  if (form === 'l1') return new SimdL1(E, n, W, KERNEL_BLOCK);
  const scores = new Float64Array(KERNEL_BLOCK * n);
  return { n, scores, score: (Q, q0, m) => scoreBlock(form, E, n, W, Q, q0, m, scores) };
}

/**
 * Score and rank queries [from, to) of `batch`, whose query vectors are Q[i*W .. i*W + W)
 * (i relative to the batch), in blocks of KERNEL_BLOCK; writes batch.results.
 */
export function rankWithKernels(scorer: BlockScorer, Q: Float32Array, batch: RankBatch, from: number, to: number): void {
  for (let i = from; i < to; i += KERNEL_BLOCK) {
    const m = Math.min(KERNEL_BLOCK, to - i);
    scorer.score(Q, i, m);
    rankScoreRows(scorer.scores, 0, scorer.n, batch, i, i + m);
  }
}
