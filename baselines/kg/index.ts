/** Structural KG scorers (TransE, DistMult, ComplEx, RotatE) and their registry. */
export { TransE } from './transe';
export { DistMult } from './distmult';
export { ComplEx } from './complex';
export { RotatE, ROTATE_INIT_GAMMA } from './rotate';
export { DIST_EPS } from './common';
export { SCORERS, createScorer, isScorerName, scorerNames } from './registry';
export type { ScorerName } from './registry';
