/**
 * Hyper-parameters of the IMML plug-in (Section IV, Eq. 7 and Section XI of the paper).
 * Defaults are the paper's where it gives them (alpha = beta = 0.1, N = 2).
 */
export interface ImmlOptions {
  /** gamma1: weight of L_mdke (searched in {1e-1, ..., 1e-6}). */
  gamma1: number;
  /** gamma2: weight of L_beta (searched in {1e1, ..., 1e4} on classification). */
  gamma2: number;
  /** lambda ~ Beta(alpha, beta). */
  alpha: number;
  beta: number;
  /** N: partners i' in {i+1, ..., i+N} (mod batch size). */
  partners: number;
  /**
   * Temperature tau of the NT-Xent loss of Eq. 3. The paper "follows [46]" (SimCLR) without a
   * value; 0.5 is SimCLR's default in its reference code. Our choice, stated as such.
   */
  temperature: number;
  /** Output width D of the projection heads P^m. */
  projectionDim: number;
  /** Ablation switches (Table IV): false = without L_mdke / without L_beta. */
  useMdke: boolean;
  useBeta: boolean;
  /**
   * Fraction of the batch's anchors that get an L_beta term in a step (1 = all, as Eq. 6).
   * Below 1, each step draws one shift n in {1..N} for the whole batch and uses the first
   * ceil(fraction * B) anchors of the (shuffled) batch: an unbiased estimate of the mean over
   * all (i, n) pairs at a fraction of the cost. Used by 1-vs-all link prediction, where every
   * L_beta query is scored against all entities.
   */
  betaFraction: number;
  /**
   * At most this many samples of the batch enter L_mdke (the first ones of the shuffled batch;
   * 0 = all). NT-Xent costs O(B^2); SimCLR-sized 256 keeps it cheap for 1-vs-all link prediction
   * batches of 1000+ anchors.
   */
  mdkeRows: number;
}

export const DEFAULT_IMML: ImmlOptions = {
  gamma1: 1e-3,
  gamma2: 1,
  alpha: 0.1,
  beta: 0.1,
  partners: 2,
  temperature: 0.5,
  projectionDim: 128,
  useMdke: true,
  useBeta: true,
  betaFraction: 1,
  mdkeRows: 0,
};

/** Check ranges; errors name the option. */
export function validateImml(o: ImmlOptions): ImmlOptions {
  const positive: (keyof ImmlOptions)[] = ['alpha', 'beta', 'temperature', 'projectionDim', 'partners'];
  for (const k of positive) if (!((o[k] as number) > 0)) throw new Error(`imml: '${k}' must be > 0, got ${o[k]}`);
  if (!Number.isInteger(o.partners)) throw new Error(`imml: 'partners' must be an integer, got ${o.partners}`);
  if (!(o.gamma1 >= 0) || !(o.gamma2 >= 0)) throw new Error(`imml: gamma1 and gamma2 must be >= 0`);
  if (!(Number.isInteger(o.mdkeRows) && o.mdkeRows >= 0)) throw new Error(`imml: 'mdkeRows' must be an integer >= 0, got ${o.mdkeRows}`);
  if (!(o.betaFraction > 0 && o.betaFraction <= 1)) throw new Error(`imml: 'betaFraction' must be in (0, 1], got ${o.betaFraction}`);
  return o;
}
