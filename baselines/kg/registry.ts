import type { Scorer, ScorerOptions } from '../../src/scorer';
import { ComplEx } from './complex';
import { DistMult } from './distmult';
import { RotatE } from './rotate';
import { TransE } from './transe';

/**
 * Registry of the structural KG scorers: key -> factory (ScorerOptions) => Scorer.
 * Each key is also the scorer's file name in baselines/kg and its `Scorer.name`.
 * Adding a scorer = one file + one line here (see baselines/kg/README.md).
 */
export const SCORERS = {
  transe: (o: ScorerOptions) => new TransE(o),
  distmult: (o: ScorerOptions) => new DistMult(o),
  complex: (o: ScorerOptions) => new ComplEx(o),
  rotate: (o: ScorerOptions) => new RotatE(o),
} satisfies Record<string, (o: ScorerOptions) => Scorer>;

/** Registered scorer keys: 'transe' | 'distmult' | 'complex' | 'rotate'. */
export type ScorerName = keyof typeof SCORERS;

/** True when `name` is a registered scorer key. */
export function isScorerName(name: string): name is ScorerName {
  return Object.prototype.hasOwnProperty.call(SCORERS, name);
}

/**
 * Builds the scorer registered under `name` (case-sensitive key) with `options`.
 * Throws, listing the known keys, when `name` is not registered.
 */
export function createScorer(name: string, options: ScorerOptions): Scorer {
  if (!isScorerName(name)) {
    throw new Error(`unknown scorer '${name}'; known scorers: ${scorerNames().join(', ')}`);
  }
  return SCORERS[name](options);
}

/** Registered scorer keys in registration order. */
export function scorerNames(): ScorerName[] {
  return Object.keys(SCORERS) as ScorerName[];
}
