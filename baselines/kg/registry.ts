import { EMBEDDING_OPTIONS, type Scorer, type ScorerOptions } from '../../src/scorer';
import { component, lookup, pickGiven, resolveOptions, type AnyOptions, type Component } from '../../src/options';
import { ComplEx } from './complex';
import { DistMult } from './distmult';
import { RotatE } from './rotate';
import { TRANSE_OPTIONS, TransE } from './transe';

/**
 * A structural scorer in the registry: its option schema (defaults beside it, in the scorer's
 * file) and a factory. `mmkge train` composes every registered schema into its flags, help and
 * config checks, so a scorer with a new option is its file plus one line here
 * (see baselines/kg/README.md).
 */
export type ScorerComponent = Component<AnyOptions, void, Scorer>;

/**
 * Registry of the structural KG scorers: key -> { options, create }.
 * Each key is also the scorer's file name in baselines/kg and its `Scorer.name`.
 */
export const SCORERS = {
  transe: component(TRANSE_OPTIONS, (o) => new TransE(o)),
  distmult: component(EMBEDDING_OPTIONS, (o) => new DistMult(o)),
  complex: component(EMBEDDING_OPTIONS, (o) => new ComplEx(o)),
  rotate: component(EMBEDDING_OPTIONS, (o) => new RotatE(o)),
} satisfies Record<string, ScorerComponent>;

/** Registered scorer keys: 'transe' | 'distmult' | 'complex' | 'rotate'. */
export type ScorerName = keyof typeof SCORERS;

/** Scorers added at run time (a plug-in package, a test), after the built-in ones. */
const added: Record<string, ScorerComponent> = Object.create(null);

/**
 * Adds a scorer at run time: from then on `mmkge train` lists it, takes its options as flags
 * and config keys and checks them. Built-in scorers are registered in {@link SCORERS} instead.
 * Returns the function that removes it again.
 */
export function registerScorer(name: string, component: ScorerComponent): () => void {
  if (Object.prototype.hasOwnProperty.call(SCORERS, name) || name in added) throw new Error(`scorer '${name}' is already registered`);
  added[name] = component;
  return () => {
    delete added[name];
  };
}

/** Every registered scorer: the built-in ones, then those added at run time. */
export function scorerRegistry(): Readonly<Record<string, ScorerComponent>> {
  return { ...SCORERS, ...added };
}

/** True when `name` is a registered scorer key. */
export function isScorerName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(scorerRegistry(), name);
}

/**
 * Builds the scorer registered under `name` (case-sensitive key) from `options`: missing keys
 * of its schema take their defaults, given ones are checked against it (errors name the key).
 * Throws, listing the known keys, when `name` is not registered.
 */
export function createScorer(name: string, options: ScorerOptions): Scorer {
  const entry = lookup(scorerRegistry(), name, 'scorer');
  const o = resolveOptions(entry.options, pickGiven(entry.options, options), name);
  // initStd 0 is the config's "the scorer's own initialiser"; a scorer reads that as unset.
  return entry.create({ ...options, ...o, initStd: o.initStd === 0 ? undefined : o.initStd });
}

/** Registered scorer keys in registration order. */
export function scorerNames(): string[] {
  return Object.keys(scorerRegistry());
}
