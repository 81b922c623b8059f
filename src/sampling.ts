import type { Schema } from './options';
import type { Rng } from './rng';

/**
 * How the corrupted side of a negative is chosen:
 * - `uniform`: head or tail with probability 1/2 each (Bordes et al. 2013);
 * - `bernoulli`: head with probability headProb[r] of the triple's relation (Wang et al. 2014).
 */
export type NegativeSamplingMode = 'uniform' | 'bernoulli';

/** The sampler keys of a training config. */
export interface SamplerConfig {
  /** Negatives per positive triple. */
  negatives: number;
  /** Negative sampler: `uniform` or `bernoulli` (Wang et al. 2014). */
  sampler: NegativeSamplingMode;
}

/** Options, defaults and help of the negative sampler. */
export const SAMPLER_OPTIONS: Schema<SamplerConfig> = {
  negatives: { type: 'int', default: 1, min: 1, max: 4096, help: 'negatives per positive' },
  sampler: { type: 'enum', default: 'bernoulli', values: ['uniform', 'bernoulli'], help: 'negative sampler' },
};

/**
 * Negative sampler by corruption (Bordes et al. 2013, "Translating Embeddings for Modeling
 * Multi-relational Data"; Bernoulli side choice from Wang et al. 2014, "Knowledge Graph
 * Embedding by Translating on Hyperplanes", section 4.2).
 * For every positive (h, r, t) it draws k negatives independently: choose the side
 * (P(head) = 1/2, or headProb[r] in bernoulli mode), then replace that entity by e' uniform
 * over the numEntities - 1 OTHER entities: e' = u + (u >= e), u ~ U{0..numEntities-2}
 * (PyKEEN's `BasicNegativeSampler` trick: the same distribution as re-drawing until e' != e,
 * with exactly one draw). The original entity is therefore never returned at the corrupted
 * position; the other position is unchanged, so a negative may still equal another true
 * triple: no filtering of false negatives is done (`filtered` is always false).
 * Shapes: batch = flat [h, r, t] x B (Int32Array [>= 3B]); out = flat [h, r, t] x (B*k), the
 * negatives of positive i at triples i*k .. i*k+k-1 (the layout of `NegativeSamplingLoss`).
 * Deterministic given the Rng: per negative, one `rng.next()` for the side then one
 * `rng.int(numEntities - 1)` for the entity, in output order.
 */
export class NegativeSampler {
  /** False negatives are never filtered out. */
  readonly filtered = false;

  /**
   * @param numEntities entity count (>= 2); replacements are drawn from [0, numEntities).
   * @param k negatives per positive (>= 1).
   * @param mode side choice, see `NegativeSamplingMode`.
   * @param headProb bernoulli mode only: Float32Array [numRelations], probability of
   *   corrupting the head for each relation (see `bernoulliHeadProb`); ignored for uniform.
   * @param rng randomness source (kept by reference; its state advances with each call).
   */
  constructor(
    readonly numEntities: number,
    readonly k: number,
    readonly mode: NegativeSamplingMode,
    readonly headProb: Float32Array | undefined,
    private readonly rng: Rng,
  ) {
    if (!(Number.isInteger(numEntities) && numEntities >= 2)) {
      throw new Error(`NegativeSampler: numEntities must be an integer >= 2, got ${numEntities}`);
    }
    if (!(Number.isInteger(k) && k >= 1)) throw new Error(`NegativeSampler: k must be an integer >= 1, got ${k}`);
    if (mode !== 'uniform' && mode !== 'bernoulli') {
      throw new Error(`NegativeSampler: unknown mode '${String(mode)}'; known modes: uniform, bernoulli`);
    }
    if (mode === 'bernoulli' && !headProb) throw new Error('NegativeSampler: bernoulli mode needs headProb');
  }

  /**
   * Writes B*k corrupted triples for the B positives of `batch` into `out`.
   * batch: Int32Array [>= 3B] flat h, r, t; out: Int32Array [>= 3*B*k] flat h, r, t.
   */
  sample(batch: Int32Array, B: number, out: Int32Array): void {
    const k = this.k;
    if (!(Number.isInteger(B) && B >= 0)) throw new Error(`NegativeSampler.sample: B must be a non-negative integer, got ${B}`);
    if (batch.length < 3 * B) throw new Error(`NegativeSampler.sample: batch has ${batch.length} ints, need ${3 * B}`);
    if (out.length < 3 * B * k) throw new Error(`NegativeSampler.sample: out has ${out.length} ints, need ${3 * B * k}`);
    const rng = this.rng;
    const m = this.numEntities - 1;
    const bern = this.mode === 'bernoulli';
    const hp = this.headProb;
    let o = 0;
    for (let i = 0; i < B; i++) {
      const h = batch[3 * i];
      const r = batch[3 * i + 1];
      const t = batch[3 * i + 2];
      let p = 0.5;
      if (bern) {
        if (!(r >= 0 && r < hp!.length)) throw new Error(`NegativeSampler.sample: relation ${r} has no headProb entry`);
        p = hp![r];
      }
      for (let j = 0; j < k; j++) {
        const head = rng.next() < p;
        let u = rng.int(m);
        if (head) {
          if (u >= h) u++;
          out[o] = u;
          out[o + 1] = r;
          out[o + 2] = t;
        } else {
          if (u >= t) u++;
          out[o] = h;
          out[o + 1] = r;
          out[o + 2] = u;
        }
        o += 3;
      }
    }
  }
}
