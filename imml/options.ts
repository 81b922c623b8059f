import { checkAll, defaultsOf, type Schema } from '../src/options';

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

/**
 * The IMML options with their defaults (the paper's where it gives them, betaFraction 1 and
 * mdkeRows 0 = Eq. 6 and Eq. 3 over the whole batch). A task composing IMML may override
 * defaults (link prediction does, for cost: see src/app/run_config.ts); the ranges are these.
 */
export const IMML_OPTIONS: Schema<ImmlOptions> = {
  gamma1: { type: 'number', default: 1e-3, min: 0, help: 'weight of L_mdke' },
  gamma2: { type: 'number', default: 1, min: 0, help: 'weight of L_beta' },
  alpha: { type: 'number', default: 0.1, above: 0, help: 'lambda ~ Beta(alpha, beta)' },
  beta: { type: 'number', default: 0.1, above: 0, help: 'lambda ~ Beta(alpha, beta)' },
  partners: { type: 'int', default: 2, min: 1, max: 1024, help: 'N partners i+1..i+N' },
  temperature: { type: 'number', default: 0.5, above: 0, help: 'NT-Xent temperature' },
  projectionDim: { type: 'int', default: 128, min: 1, max: 16384, help: 'projection head width' },
  useMdke: { type: 'bool', default: true, help: 'ablation: use L_mdke' },
  useBeta: { type: 'bool', default: true, help: 'ablation: use L_beta' },
  betaFraction: { type: 'number', default: 1, above: 0, max: 1, help: 'fraction of each batch with an L_beta term (cost control)' },
  mdkeRows: { type: 'int', default: 0, min: 0, max: 100_000_000, help: 'at most this many anchors in L_mdke (0 = all)' },
};

export const DEFAULT_IMML: ImmlOptions = defaultsOf(IMML_OPTIONS);

/** Check every option against {@link IMML_OPTIONS}; errors name the option. */
export function validateImml(o: ImmlOptions): ImmlOptions {
  return checkAll(IMML_OPTIONS, o, 'imml');
}
