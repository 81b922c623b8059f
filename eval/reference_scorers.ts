/**
 * Small stand-in scorers for the evaluation tests (the real ones live in baselines/kg), each
 * with a float64 JS reference score used by the brute-force ranking reference.
 */
import * as tf from '@tensorflow/tfjs';
import type { FilterIndex } from '../src/filter';
import type { RankForm, Scorer } from '../src/scorer';
import type { Rng } from '../src/rng';

/** A test scorer plus its float64 reference score. */
export interface TestScorer extends Scorer {
  ref(E: Float32Array, R: Float32Array, h: number, r: number, t: number): number;
}

function fillNormal(table: Float32Array, rng: Rng): void {
  for (let i = 0; i < table.length; i++) table[i] = rng.normal();
}

/** DistMult-like: score = sum_k h_k r_k t_k; queryTail = h*r, queryHead = r*t (rankForm dot). */
export function dotScorer(dim: number): TestScorer {
  return {
    name: 'test-distmult',
    entityWidth: dim,
    relationWidth: dim,
    rankForm: 'dot',
    score: (h, r, t) => tf.tidy(() => tf.sum(tf.mul(tf.mul(h, r), t), -1)),
    queryTail: (h, r) => tf.mul(h, r) as tf.Tensor2D,
    queryHead: (r, t) => tf.mul(r, t) as tf.Tensor2D,
    initEntities: (table, _rows, rng) => fillNormal(table, rng),
    initRelations: (table, _rows, rng) => fillNormal(table, rng),
    ref(E, R, h, r, t) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += E[h * dim + k] * R[r * dim + k] * E[t * dim + k];
      return s;
    },
  };
}

/**
 * TransE-like: score = -||h + r - t||_p; queryTail = h + r, queryHead = t - r
 * (score(e, r, t) = -||e - (t - r)||). rankForm l1 or l2.
 */
export function transScorer(dim: number, norm: 1 | 2): TestScorer {
  return {
    name: `test-transe-l${norm}`,
    entityWidth: dim,
    relationWidth: dim,
    rankForm: norm === 1 ? 'l1' : 'l2',
    score: (h, r, t) =>
      tf.tidy(() => {
        const d = tf.sub(tf.add(h, r), t);
        return norm === 1 ? tf.neg(tf.sum(tf.abs(d), -1)) : tf.neg(tf.sqrt(tf.sum(tf.square(d), -1)));
      }),
    queryTail: (h, r) => tf.add(h, r) as tf.Tensor2D,
    queryHead: (r, t) => tf.sub(t, r) as tf.Tensor2D,
    initEntities: (table, _rows, rng) => fillNormal(table, rng),
    initRelations: (table, _rows, rng) => fillNormal(table, rng),
    ref(E, R, h, r, t) {
      let s = 0;
      for (let k = 0; k < dim; k++) {
        const d = E[h * dim + k] + R[r * dim + k] - E[t * dim + k];
        s += norm === 1 ? Math.abs(d) : d * d;
      }
      return norm === 1 ? -s : -Math.sqrt(s);
    },
  };
}

/**
 * RotatE-like over `dim` complex coordinates: entity rows [re | im] (width 2*dim), relation
 * rows are phases theta (width dim), rotation r = e^{i theta}.
 * score = -sum_k |h_k r_k - t_k|; queryTail = h∘r, queryHead = t∘conj(r) (|r| = 1). rankForm complex-l1.
 */
export function rotateScorer(dim: number): TestScorer {
  const split = (x: tf.Tensor) => tf.split(x, 2, -1);
  return {
    name: 'test-rotate',
    entityWidth: 2 * dim,
    relationWidth: dim,
    rankForm: 'complex-l1',
    score: (h, r, t) =>
      tf.tidy(() => {
        const [hr, hi] = split(h);
        const [tr, ti] = split(t);
        const c = tf.cos(r);
        const s = tf.sin(r);
        const re = tf.sub(tf.sub(tf.mul(hr, c), tf.mul(hi, s)), tr);
        const im = tf.sub(tf.add(tf.mul(hr, s), tf.mul(hi, c)), ti);
        return tf.neg(tf.sum(tf.sqrt(tf.add(tf.square(re), tf.square(im))), -1));
      }),
    queryTail: (h, r) =>
      tf.tidy(() => {
        const [hr, hi] = split(h);
        const c = tf.cos(r);
        const s = tf.sin(r);
        return tf.concat([tf.sub(tf.mul(hr, c), tf.mul(hi, s)), tf.add(tf.mul(hr, s), tf.mul(hi, c))], 1) as tf.Tensor2D;
      }),
    queryHead: (r, t) =>
      tf.tidy(() => {
        const [tr, ti] = split(t);
        const c = tf.cos(r);
        const s = tf.sin(r);
        return tf.concat([tf.add(tf.mul(tr, c), tf.mul(ti, s)), tf.sub(tf.mul(ti, c), tf.mul(tr, s))], 1) as tf.Tensor2D;
      }),
    initEntities: (table, _rows, rng) => fillNormal(table, rng),
    initRelations: (table, _rows, rng) => {
      for (let i = 0; i < table.length; i++) table[i] = (rng.next() * 2 - 1) * Math.PI;
    },
    ref(E, R, h, r, t) {
      const W = 2 * dim;
      let s = 0;
      for (let k = 0; k < dim; k++) {
        const c = Math.cos(R[r * dim + k]);
        const sn = Math.sin(R[r * dim + k]);
        const hr = E[h * W + k], hi = E[h * W + dim + k];
        const re = hr * c - hi * sn - E[t * W + k];
        const im = hr * sn + hi * c - E[t * W + dim + k];
        s += Math.sqrt(re * re + im * im);
      }
      return -s;
    },
  };
}

/** The same scorer without rankForm / query methods: forces the generic broadcast path. */
export function withoutRankForm(scorer: Scorer): Scorer {
  const { rankForm: _f, queryTail: _qt, queryHead: _qh, ...rest } = scorer;
  return rest;
}

/** All four forms, for table-driven tests. */
export function allTestScorers(dim: number): Record<RankForm, TestScorer> {
  return { dot: dotScorer(dim), l1: transScorer(dim, 1), l2: transScorer(dim, 2), 'complex-l1': rotateScorer(dim) };
}

/**
 * Brute-force reference ranks straight from the definitions (float64 scores from `ref`, an
 * explicit candidate loop, NaN candidates counted as better), for every triple and direction.
 */
export function referenceRanks(
  scorer: TestScorer,
  E: Float32Array,
  R: Float32Array,
  n: number,
  triples: Int32Array,
  filter: FilterIndex | undefined,
  direction: 'head' | 'tail',
): { optimistic: number[]; pessimistic: number[] } {
  const optimistic: number[] = [];
  const pessimistic: number[] = [];
  for (let i = 0; i < triples.length; i += 3) {
    const [h, r, t] = [triples[i], triples[i + 1], triples[i + 2]];
    const truth = direction === 'tail' ? t : h;
    const known = new Set(filter ? (direction === 'tail' ? filter.tails(h, r) : filter.heads(r, t)) : []);
    const sc = (e: number) => (direction === 'tail' ? scorer.ref(E, R, h, r, e) : scorer.ref(E, R, e, r, t));
    const st = sc(truth);
    let better = 0, tied = 0;
    for (let e = 0; e < n; e++) {
      if (e === truth || known.has(e)) continue;
      const s = sc(e);
      if (Number.isNaN(s) || s > st) better++;
      else if (s === st) tied++;
    }
    optimistic.push(1 + better);
    pessimistic.push(1 + better + tied);
  }
  return { optimistic, pessimistic };
}
