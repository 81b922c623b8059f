import type { MultimodalKgModel, MultimodalOptions } from '../../src/multimodal';
import { component, lookup, pickGiven, resolveOptions, type AnyOptions, type Component } from '../../src/options';
import { OTKGE_OPTIONS, createOtkge } from './otkge';
import { createIkrl } from './ikrl';
import { PROJECTED_TRANSLATION_OPTIONS, TRANSLATION_SUM_OPTIONS } from './projected_translation';
import { createTbkge } from './tbkge';
import { createTransae } from './transae';
import { createMmkrl } from './mmkrl';

/** What every multimodal factory gets besides its own options: the features, the aux weight, its Rng. */
export type MultimodalContext = Omit<MultimodalOptions, 'dim' | 'norm'>;

/** A multimodal model in the registry: its option schema (in its file) and a factory. */
export type MultimodalComponent = Component<AnyOptions, MultimodalContext, MultimodalKgModel>;

/**
 * Registry of the multimodal KG models (structure predominant, image/text auxiliary).
 * Adding one: a file exporting its options and a factory, plus one line here.
 */
export const MULTIMODAL_MODELS = {
  otkge: component(OTKGE_OPTIONS, (o, c: MultimodalContext) => createOtkge({ norm: 1, ...c, ...o })),
  ikrl: component(PROJECTED_TRANSLATION_OPTIONS, (o, c: MultimodalContext) => createIkrl({ ...c, ...o })),
  tbkge: component(PROJECTED_TRANSLATION_OPTIONS, (o, c: MultimodalContext) => createTbkge({ ...c, ...o })),
  transae: component(TRANSLATION_SUM_OPTIONS, (o, c: MultimodalContext) => createTransae({ ...c, ...o })),
  mmkrl: component(PROJECTED_TRANSLATION_OPTIONS, (o, c: MultimodalContext) => createMmkrl({ ...c, ...o })),
} satisfies Record<string, MultimodalComponent>;

/** The multimodal models whose option schema has `key` (e.g. which models can rank with another energy). */
export function multimodalModelsWithOption(key: string): string[] {
  return Object.entries(MULTIMODAL_MODELS).filter(([, c]) => Object.prototype.hasOwnProperty.call(c.options, key)).map(([n]) => n);
}

/** True when `name` is a multimodal model. */
export function isMultimodalModel(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(MULTIMODAL_MODELS, name);
}

/**
 * Build a registered multimodal model from a record holding the context and any of its
 * options: missing options take their schema defaults, given ones are checked (errors name
 * the key); an unknown name lists the known ones.
 */
export function createMultimodalModel<O extends MultimodalContext>(name: string, o: O): MultimodalKgModel {
  const entry: MultimodalComponent = lookup(MULTIMODAL_MODELS, name, 'multimodal model');
  if (o.modalities.length === 0) {
    throw new Error(`model '${name}' needs at least one auxiliary modality (image or text features); none were found or given (--image-features / --text-features)`);
  }
  return entry.create(resolveOptions(entry.options, pickGiven(entry.options, o), name), o);
}

export function multimodalModelNames(): string[] {
  return Object.keys(MULTIMODAL_MODELS);
}
